import type { UniqueKey } from '../dialects';
import type { ModelGateway } from '../gateway';
import type { Parameters } from './parameters';

/** An INSERT's column list and its values' placeholders, bound on `parameters`. */
export function insertList(
  gateway: ModelGateway<unknown>,
  values: Record<string, unknown>,
  parameters: Parameters,
): { columns: string; placeholders: string } {
  const entries = Object.entries(values);
  return {
    columns: entries.map(([property]) => gateway.column(property)!.quoted).join(', '),
    placeholders: entries
      .map(([property, value]) => gateway.bindValue(property, value, parameters.add))
      .join(', '),
  };
}

/**
 * `INSERT INTO t (<columns>) SELECT <values> WHERE NOT EXISTS (<guard>) ON CONFLICT (<key>) DO NOTHING RETURNING *`,
 * the values bound before the guard's own parameters: the INSERT of insertUnlessFound and of
 * insertUnlessFirst's WITH.
 */
export function insertUnlessSql(
  gateway: ModelGateway<unknown>,
  values: Record<string, unknown>,
  parameters: Parameters,
  key: UniqueKey,
  guard: () => string,
): string {
  const { columns, placeholders } = insertList(gateway, values, parameters);
  return `INSERT INTO ${gateway.tableSql} (${columns}) SELECT ${placeholders} WHERE NOT EXISTS (${guard()}) ${gateway.dialect.skipConflictClause(key)} RETURNING *`;
}

/**
 * Not a column: tells a row the statement created from one it found or updated (`SELECT false AS
 * "racesafe_created", * ...`).
 */
export const createdMarker = 'racesafe_created';
