import type { ModelGateway } from '../gateway';
import { liveLookupCondition } from './conditions';
import type { Parameters } from './parameters';

/**
 * `INSERT INTO t (<columns>) VALUES (...), (...)`: one tuple per row, every row naming the same
 * properties.
 */
export function multiRowInsert(
  gateway: ModelGateway<unknown>,
  rows: Record<string, unknown>[],
  parameters: Parameters,
): string {
  const properties = Object.keys(rows[0]);
  const columns = properties.map((property) => gateway.column(property)!.quoted).join(', ');
  const tuples = rows.map(
    (row) =>
      `(${properties.map((property) => gateway.bindValue(property, row[property], parameters.add)).join(', ')})`,
  );
  return `INSERT INTO ${gateway.tableSql} (${columns}) VALUES ${tuples.join(', ')}`;
}

/**
 * The condition that matches these lookups' live rows: `"name" IN ($1, $2, ...)` for a one-column
 * key with no NULL (and `AND "deletedAt" IS NULL` on a soft-deleting model), else
 * `((<lookup 1>) OR (<lookup 2>)) OR (...)` nested in halves, as SQLite refuses an expression more
 * than 1,000 levels deep.
 */
export function lookupsCondition(
  gateway: ModelGateway<unknown>,
  wanted: { lookup: Record<string, unknown>; hasNull: boolean }[],
  parameters: Parameters,
): string {
  const [property, ...others] = Object.keys(wanted[0].lookup);
  if (others.length > 0 || wanted.some((w) => w.hasNull))
    return balancedOr(wanted.map((w) => `(${liveLookupCondition(gateway, w.lookup, parameters)})`));
  const list = wanted
    .map((w) => gateway.bindValue(property, w.lookup[property], parameters.add))
    .join(', ');
  const deleted = gateway.softDeleteColumn;
  return `${gateway.column(property)!.quoted} IN (${list})${deleted ? ` AND ${deleted.quoted} IS NULL` : ''}`;
}

/** `(a OR b)` of terms nested in halves: depth log2(n), not n. */
function balancedOr(terms: string[]): string {
  if (terms.length === 1) return terms[0];
  const half = Math.ceil(terms.length / 2);
  return `(${balancedOr(terms.slice(0, half))} OR ${balancedOr(terms.slice(half))})`;
}
