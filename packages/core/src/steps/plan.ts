/**
 * One row of an operation's plan: the inputs it requires (any input it leaves out may be anything)
 * and the strategy it names.
 */
export type PlanRow<Inputs, Strategy> = [when: Partial<Inputs>, strategy: Strategy];

/**
 * The strategy of the first row of `table` whose inputs all hold: an operation's plan, written as
 * a decision table above its algorithm. Pure: it reads only `inputs`, sends nothing.
 */
export function choose<Inputs extends object, Strategy>(
  table: readonly PlanRow<Inputs, Strategy>[],
  inputs: Inputs,
): Strategy {
  const row = table.find(([when]) =>
    Object.entries(when).every(([input, value]) => inputs[input as keyof Inputs] === value),
  );
  // Every table ends with a row that requires nothing.
  return row![1];
}
