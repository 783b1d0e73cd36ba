import { InvalidFieldError } from './errors';

/** Arithmetic operators an F expression may use. */
export type FOperator = '+' | '-' | '*' | '/' | '%';

/** A number, an integer literal as a string (for bigint columns), a bigint, or another F expression. */
export type FOperand = number | bigint | string | FExpression;

/** One step of an F chain: `operator operand`, applied to everything before it. */
export interface FStep {
  readonly operator: FOperator;
  readonly operand: FOperand;
}

declare const uncheckedName: unique symbol;

/**
 * The property name of an F expression built from a `string` that is not a literal
 * (`F(name)` with `name: string`): checked at run time only, accepted wherever F is.
 */
export type UncheckedName = string & {
  /** A brand no string literal has: only `F(name: string)` makes this type. */
  readonly [uncheckedName]: true;
};

/** What `F(property)` records as its name: the literal itself, or {@link UncheckedName} for a plain `string`. */
export type FName<P extends string> = string extends P ? UncheckedName : P;

/**
 * An inert description of arithmetic on a column, compiled to SQL by racesafe:
 * `F('views').plus(1)` becomes `"views" + $1`. Steps apply left to right:
 * `F('a').plus(2).times(F('a'))` is `(a + 2) * a`. Create one with {@link F}.
 *
 * `P` is the property name as the compiler knows it: values to write accept an F expression
 * only when `P` is a numeric property of the entity / model, so `F('loginz')` does not compile.
 */
export class FExpression<P extends string = string> {
  /** @param property entity/model property name, not the column name. */
  constructor(
    readonly property: P,
    readonly steps: readonly FStep[] = [],
  ) {}

  /** `this + operand` */
  plus(operand: FOperand): FExpression<P> {
    return this.then('+', operand);
  }
  /** `this - operand` */
  minus(operand: FOperand): FExpression<P> {
    return this.then('-', operand);
  }
  /** `this * operand` */
  times(operand: FOperand): FExpression<P> {
    return this.then('*', operand);
  }
  /** `this / operand` (integer division on integer columns, as in SQL) */
  div(operand: FOperand): FExpression<P> {
    return this.then('/', operand);
  }
  /** `this % operand` */
  mod(operand: FOperand): FExpression<P> {
    return this.then('%', operand);
  }

  private then(operator: FOperator, operand: FOperand): FExpression<P> {
    return new FExpression(this.property, [...this.steps, { operator, operand }]);
  }
}

/**
 * A reference to a property's current value in the database, for atomic arithmetic:
 * `F('stock').minus(1)`, `F('balance').minus(F('pending').times(2))`.
 *
 * The name is kept in the type: on a typed entity / model, a name that is not one of its
 * numeric properties (see {@link NumericProperties}) fails to compile where the expression is
 * written (`atomicUpdate`, `updateOrCreate` defaults). A name held in a plain `string` is
 * checked at run time only (InvalidFieldError).
 *
 * @param property entity/model property name (racesafe maps it to the column).
 */
export function F<P extends string>(property: P): FExpression<FName<P>> {
  return new FExpression(property as FName<P>);
}

/**
 * Property names of `T` whose values may be numbers: `number`, `bigint`, and `string`, which
 * is how the drivers hand over bigint and decimal columns (`big: string`). Its columns must
 * still be numeric in the database (checked at run time).
 */
export type NumericProperties<T> = {
  [K in keyof T]-?: NonNullable<T[K]> extends number | bigint | string ? K : never;
}[keyof T] &
  string;

/** An F expression on one of `T`'s numeric properties, or one whose name is only known at run time. */
export type FOn<T> = FExpression<NumericProperties<T>> | FExpression<UncheckedName>;

/** True for an F expression (also one made by another copy of racesafe). */
export function isFExpression(value: unknown): value is FExpression {
  return (
    value instanceof FExpression ||
    (typeof value === 'object' && value !== null && value.constructor?.name === 'FExpression')
  );
}

/** Every property an F expression reads: `F('a').plus(F('b'))` reads a and b. */
export function readProperties(expression: FExpression): string[] {
  return [
    expression.property,
    ...expression.steps.flatMap(({ operand }) =>
      isFExpression(operand) ? readProperties(operand) : [],
    ),
  ];
}

/** What the compiler needs from the ORM: column SQL for a property, and a bound-parameter slot. */
export interface FCompileContext {
  /** Quoted column SQL for a property, or undefined when the property is unknown. */
  column(property: string): string | undefined;
  /** True when the property's column holds numbers. */
  isNumeric(property: string): boolean;
  /** Binds a value and returns its placeholder (`$3`, `:p3`). */
  addParameter(value: unknown): string;
  /** True when the property's column holds whole numbers (default: false). */
  isInteger?(property: string): boolean;
  /** SQL of a bound whole-number operand (default: the placeholder): DialectAdapter.integerOperand. */
  integerOperand?(placeholder: string): string;
  /** Division of two whole-number operands (default: `/`): DialectAdapter.integerDivision. */
  integerDivision?(left: string, right: string): string;
}

const integerLiteral = /^-?\d+$/;

/** Every problem in an F expression, as `path: message` lines (empty when it is valid). */
export function checkExpression(
  expression: FExpression,
  context: Pick<FCompileContext, 'column' | 'isNumeric'>,
  path: string,
): string[] {
  const problems: string[] = [];
  const checkProperty = (property: string) => {
    if (context.column(property) === undefined)
      problems.push(`${path}: F('${property}') names an unknown property`);
    else if (!context.isNumeric(property))
      problems.push(`${path}: F('${property}') is not a numeric column`);
  };
  checkProperty(expression.property);
  expression.steps.forEach(({ operand }, index) => {
    const where = `${path} operand ${index + 1}`;
    if (isFExpression(operand)) problems.push(...checkExpression(operand, context, where));
    else if (typeof operand === 'number' && !Number.isFinite(operand))
      problems.push(`${where}: ${operand} is not a finite number`);
    else if (typeof operand === 'string' && !integerLiteral.test(operand))
      problems.push(`${where}: ${JSON.stringify(operand)} is not an integer literal`);
    else if (!['number', 'bigint', 'string'].includes(typeof operand) && !isFExpression(operand))
      problems.push(
        `${where}: ${operand === null || typeof operand !== 'object' ? String(operand) : Object.prototype.toString.call(operand)} is not a number, integer string or F expression`,
      );
  });
  return problems;
}

/**
 * Whether an F expression's value is a whole number: every column it reads holds whole numbers
 * (`isInteger`) and every number operand has no fraction. `F('n').div(2)` on an integer n is whole
 * (integer division); `F('n').div(2.5)` and `F('n').plus(F('ratio'))` on a REAL ratio are not.
 *
 * @example
 * isWholeExpression(F('n').times(1.5), { isInteger: () => true }); // false
 */
export function isWholeExpression(
  expression: FExpression,
  context: Pick<FCompileContext, 'isInteger'>,
): boolean {
  if (!(context.isInteger?.(expression.property) ?? false)) return false;
  return expression.steps.every(({ operand }) =>
    isFExpression(operand)
      ? isWholeExpression(operand, context)
      : typeof operand !== 'number' || Number.isSafeInteger(operand),
  );
}

function fitsInt64(value: bigint): boolean {
  return value >= -(2n ** 63n) && value < 2n ** 63n;
}

/**
 * Compiles an F expression to SQL, every operand bound as a parameter:
 * `F('a').plus(2).times(F('b'))` -> `(("a" + $1) * "b")`.
 * Throws {@link InvalidFieldError} listing every problem before anything is bound.
 */
export function compileExpression(
  expression: FExpression,
  context: FCompileContext,
  path = 'F',
): string {
  const problems = checkExpression(expression, context, path);
  if (problems.length > 0) {
    throw new InvalidFieldError(`Invalid F expression: ${problems.join('; ')}`, {
      fields: [expression.property],
    });
  }
  return compileChecked(expression, context).sql;
}

/** SQL of a checked expression, and whether its value is a whole number (integer columns and operands only). */
function compileChecked(
  expression: FExpression,
  context: FCompileContext,
): { sql: string; integer: boolean } {
  let sql = context.column(expression.property) as string;
  let integer = context.isInteger?.(expression.property) ?? false;
  for (const { operator, operand } of expression.steps) {
    const right = isFExpression(operand)
      ? compileChecked(operand, context)
      : compileOperand(operand, context);
    const integers = integer && right.integer;
    sql =
      operator === '/' && integers && context.integerDivision
        ? context.integerDivision(sql, right.sql)
        : `(${sql} ${operator} ${right.sql})`;
    integer = integers;
  }
  return { sql, integer };
}

function compileOperand(
  operand: number | bigint | string,
  context: FCompileContext,
): { sql: string; integer: boolean } {
  const placeholder = context.addParameter(normaliseOperand(operand));
  // Integer strings and bigints are whole by the check above; typed as integers only within 64 bits, and a number
  // only as a safe integer: beyond, SQLite's CAST(... AS INTEGER) would saturate it silently (the ORM stores the value as REAL).
  const integer =
    typeof operand === 'number' ? Number.isSafeInteger(operand) : fitsInt64(BigInt(operand));
  return {
    sql: integer && context.integerOperand ? context.integerOperand(placeholder) : placeholder,
    integer,
  };
}

/** Bigints travel as strings: drivers bind them exactly, JSON and pg both accept them. */
function normaliseOperand(operand: number | bigint | string): number | string {
  return typeof operand === 'bigint' ? operand.toString() : operand;
}
