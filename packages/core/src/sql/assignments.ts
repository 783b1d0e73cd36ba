import { InvalidFieldError } from '../errors';
import {
  type FCompileContext,
  compileExpression,
  isFExpression,
  isWholeExpression,
  readProperties,
} from '../expressions';
import type { ModelGateway } from '../gateway';
import { type Parameters, parametersFor } from './parameters';
import { assertKnownFields, assertWritableValues } from '../validate';

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
    throw new InvalidFieldError(
      `${group} is empty: name at least one ${gateway.modelName} property to update`,
    );
  }
  assertWritableValues(gateway, group, values, true);
  const context = {
    column: (property: string) => gateway.column(property)?.quoted,
    isNumeric: (property: string) => gateway.column(property)?.numeric === true,
    isInteger: (property: string) => gateway.column(property)?.integer === true,
    integerOperand: gateway.dialect.integerOperand,
    integerDivision: gateway.dialect.integerDivision,
    addParameter,
  };
  const ordered = gateway.dialect.sequentialAssignments
    ? readersFirst(gateway, values, group)
    : Object.entries(values);
  const assignments = ordered.map(([property, value]) => ({
    property,
    column: gateway.column(property)!.quoted,
    sql: isFExpression(value)
      ? compileExpression(value, context, `${group}.${property}`)
      : gateway.bindValue(property, value, addParameter),
  }));
  // After compiling, which reports unknown and non-numeric columns first.
  if (gateway.dialect.integerColumnsKeepFractions)
    assertWholeOnIntegerColumns(gateway, values, group, context);
  const written = new Set(assignments.map((a) => a.property));
  const managed = gateway.updateAssignments().filter((a) => !written.has(a.property));
  return [
    ...assignments,
    ...managed.map((a) => ({ ...a, column: gateway.column(a.property)!.quoted })),
  ];
}

/**
 * Where an integer column would keep a fractional value (SQLite's type affinity: `9 / 2.5` stored
 * as 3.6), an F expression written to it must be whole (see isWholeExpression). PostgreSQL refuses
 * a
 * fractional operand on an integer (22P02) and MariaDB rounds on assignment; storing a REAL in an
 * INTEGER column would match neither, so racesafe refuses it before any statement.
 */
function assertWholeOnIntegerColumns(
  gateway: ModelGateway<unknown>,
  values: Record<string, unknown>,
  group: string,
  context: Pick<FCompileContext, 'isInteger'>,
): void {
  const fractional = Object.entries(values)
    .filter(
      ([property, value]) =>
        isFExpression(value) &&
        gateway.column(property)?.integer === true &&
        !isWholeExpression(value, context),
    )
    .map(([property]) => property);
  if (fractional.length === 0) return;
  throw new InvalidFieldError(
    `${group}: ${fractional.join(', ')} ${fractional.length > 1 ? 'are integer columns' : 'is an integer column'}, and the F expression for it is not a whole number ` +
      `(a fractional operand or a non-integer column): ${gateway.dialect.name} would store the fraction in the integer column. ` +
      'Use whole operands (F division of integers truncates), or compute the value in your code',
    { fields: fractional },
  );
}

/**
 * `values` ordered so that no assignment runs before one that reads its column: on a database
 * whose SET applies left to right, `{ a: F('a').plus(1), b: F('a') }` is sent as `b = a, a = a +
 * 1`,
 * so b gets the old a as standard SQL (and PostgreSQL) would give it. Otherwise the user's order.
 * Throws when assignments read each other in a cycle (`{ a: F('b'), b: F('a') }`): no order keeps
 * that meaning.
 */
function readersFirst(
  gateway: ModelGateway<unknown>,
  values: Record<string, unknown>,
  group: string,
): [string, unknown][] {
  const pending = Object.entries(values);
  const reads = new Map(
    pending.map(([property, value]) => [
      property,
      new Set(isFExpression(value) ? readProperties(value) : []),
    ]),
  );
  const ordered: [string, unknown][] = [];
  while (pending.length > 0) {
    // The first (in the caller's order) whose column no other pending assignment still reads.
    const next = pending.findIndex(
      ([property]) =>
        !pending.some(([other]) => other !== property && reads.get(other)!.has(property)),
    );
    if (next === -1) {
      const cycle = pending.map(([property]) => property);
      throw new InvalidFieldError(
        `${gateway.modelName}: ${group} ${cycle.map((p) => `"${p}"`).join(', ')} read each other's columns; ${gateway.dialect.name} applies SET assignments one after another, so no order gives each F expression the row as it was: this exchange cannot be one UPDATE there.`,
        { fields: cycle },
      );
    }
    ordered.push(...pending.splice(next, 1));
  }
  return ordered;
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
  {
    returning = false,
    group = 'values',
    parameters = parametersFor(gateway),
  }: { returning?: boolean; group?: string; parameters?: Parameters } = {},
): { sql: string; parameters: unknown[] } {
  const assignments = compileAssignments(gateway, values, parameters.add, group);
  const sql = `UPDATE ${gateway.tableSql} SET ${setClause(assignments)} WHERE ${condition(parameters)}${returning && gateway.dialect.supportsReturning ? ' RETURNING *' : ''}`;
  return { sql, parameters: parameters.values };
}
