import { InvalidFieldError } from './errors';
import { compileExpression, isFExpression } from './expressions';
import type { ModelGateway } from './gateway';
import { type Parameters, parametersFor } from './statements';
import { assertKnownFields, assertWritableValues } from './validate';

/** One `column = expression` of an UPDATE. */
export interface Assignment {
  property: string;
  /** Quoted column. */
  column: string;
  /** SQL of the new value: a placeholder, or a compiled F expression. */
  sql: string;
}

/**
 * Checks `values` (plain values and F expressions) and compiles them to SET assignments,
 * every value bound through `addParameter`. Throws before anything is sent when a
 * property is unknown, a value is an operator, or an F expression is invalid.
 */
export function compileAssignments(
  gateway: ModelGateway<unknown>,
  values: Record<string, unknown>,
  addParameter: (value: unknown) => string,
  group = 'values',
): Assignment[] {
  assertKnownFields(gateway, { [group]: values ?? null });
  if (Object.keys(values).length === 0) {
    throw new InvalidFieldError(`${group} is empty: name at least one ${gateway.modelName} property to update`);
  }
  assertWritableValues(gateway, group, values, true);
  const context = {
    column: (property: string) => gateway.column(property)?.quoted,
    isNumeric: (property: string) => gateway.column(property)?.numeric === true,
    addParameter,
  };
  const assignments = Object.entries(values).map(([property, value]) => ({
    property,
    column: gateway.column(property)!.quoted,
    sql: isFExpression(value)
      ? compileExpression(value, context, `${group}.${property}`)
      : gateway.bindValue(property, value, addParameter),
  }));
  const written = new Set(assignments.map((a) => a.property));
  const managed = gateway.updateAssignments().filter((a) => !written.has(a.property));
  return [...assignments, ...managed.map((a) => ({ ...a, column: gateway.column(a.property)!.quoted }))];
}

/** The SET list of an UPDATE. */
export function setClause(assignments: Assignment[]): string {
  return assignments.map((a) => `${a.column} = ${a.sql}`).join(', ');
}

/**
 * `UPDATE t SET <values> WHERE <condition> [RETURNING *]` (where the database has it) with every value bound; the
 * condition is built on the same parameters. Checks `values` before anything is sent.
 */
export function updateStatement(
  gateway: ModelGateway<unknown>,
  values: Record<string, unknown>,
  condition: (parameters: Parameters) => string,
  { returning = false, group = 'values' }: { returning?: boolean; group?: string } = {},
): { sql: string; parameters: unknown[] } {
  const parameters = parametersFor(gateway);
  const assignments = compileAssignments(gateway, values, parameters.add, group);
  const sql = `UPDATE ${gateway.tableSql} SET ${setClause(assignments)} WHERE ${condition(parameters)}${returning && gateway.dialect.supportsReturning ? ' RETURNING *' : ''}`;
  return { sql, parameters: parameters.values };
}
