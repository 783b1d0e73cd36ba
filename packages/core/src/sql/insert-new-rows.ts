import type { UniqueKey } from '../dialects';
import type { ModelGateway } from '../gateway';
import { parametersFor } from './parameters';

/**
 * A column's type as the catalog gives it, for binding a batch as one array per column
 * (DialectAdapter.arrayRows).
 */
export interface ColumnType {
  /**
   * The SQL type an array of the column's values is cast to (`text`, `timestamp with time zone`),
   * without length or precision.
   */
  type: string;
  /**
   * Its values survive the array text form exactly as scalar parameters (no array, JSON or
   * composite type).
   */
  arrayable: boolean;
}

/** One statement: its SQL and bound values. */
export interface Statement {
  sql: string;
  values: unknown[];
}

// Names of racesafe's own in the statement: the row source, the table inside the guard, the rows'
// position.
const rowsAlias = 'racesafe_v';
const tableAlias = 'racesafe_t';
const ordinal = 'racesafe_n';
// What bindValue returns for a value it bound as it is: anything else is SQL of the ORM's
// (fn('now'), a cast).
const boundMark = '\u0000racesafe-bound\u0000';

/**
 * The guarded multi-row INSERT of a batch: inserts only the rows whose key no live row has, in
 * the order given, and returns the rows it made (PostgreSQL):
 *
 *     INSERT INTO t (<columns>) SELECT v.<columns>
 *       FROM unnest($1::text[], $2::integer[]) WITH ORDINALITY AS v(<columns>, racesafe_n)
 *      WHERE NOT EXISTS (SELECT 1 FROM t AS racesafe_t WHERE racesafe_t.<key> = v.<key> [AND racesafe_t."deletedAt" IS NULL] OFFSET 0)
 *      ORDER BY v.racesafe_n
 *     ON CONFLICT (<key>) DO NOTHING RETURNING *
 *
 * One array per column, each element converted by the ORM and the driver as a scalar parameter
 * is. Undefined when the batch cannot be sent so: the dialect binds no arrays, rows name different
 * columns, a column's type would not survive an array (arrays, JSON), a value is SQL of the ORM's
 * (`fn('now')`) rather than a bound value, binary data (a Buffer, which a driver sends as bytes
 * alone but as hex text inside an array) or an array (one more dimension inside an array), or a key
 * column is NULL (`=` never matches NULL).
 */
export function guardedInsert(
  gateway: ModelGateway<unknown>,
  rows: Record<string, unknown>[],
  key: UniqueKey,
  types: Map<string, ColumnType>,
): Statement | undefined {
  const arrayRows = gateway.dialect.arrayRows;
  const properties = Object.keys(rows[0]);
  const columns = properties.map((property) => gateway.column(property)!);
  const columnTypes = columns.map((column) => types.get(column.column));
  if (
    !arrayRows ||
    columnTypes.some((type) => !type?.arrayable) ||
    !rows.every((row) => sameProperties(row, properties))
  )
    return undefined;
  const keyColumns = key.columns.map((name) => columns.find((column) => column.column === name));
  if (keyColumns.some((column) => column === undefined)) return undefined;
  const arrays = properties.map((property) => boundArray(gateway, property, rows));
  if (arrays.some((array) => array === undefined)) return undefined;
  if (keyColumns.some((column) => arrays[columns.indexOf(column!)]!.includes(null)))
    return undefined;

  const parameters = parametersFor(gateway);
  const source = arrayRows.source(
    arrays.map((array, i) => ({ placeholder: parameters.add(array), type: columnTypes[i]!.type })),
    rowsAlias,
    columns.map((column) => column.quoted),
    ordinal,
  );
  const quoted = columns.map((column) => column.quoted);
  const match = keyColumns.map(
    (column) => `${tableAlias}.${column!.quoted} = ${rowsAlias}.${column!.quoted}`,
  );
  const deleted = gateway.softDeleteColumn;
  if (deleted) match.push(`${tableAlias}.${deleted.quoted} IS NULL`);
  const sql =
    `INSERT INTO ${gateway.tableSql} (${quoted.join(', ')}) SELECT ${quoted.map((column) => `${rowsAlias}.${column}`).join(', ')} FROM ${source} ` +
    // OFFSET 0 keeps NOT EXISTS a per-row index probe: as an anti-join PostgreSQL hashed the whole
    // table (46 ms against 14 ms, 50,000 rows).
    `WHERE NOT EXISTS (SELECT 1 FROM ${gateway.tableSql} AS ${tableAlias} WHERE ${match.join(' AND ')} OFFSET 0) ORDER BY ${rowsAlias}.${ordinal} ` +
    `${gateway.dialect.skipConflictClause(key)} RETURNING *`;
  return { sql, values: parameters.values };
}

function sameProperties(row: Record<string, unknown>, properties: string[]): boolean {
  // Own keys only: a key a row's prototype holds is no column of it.
  const keys = Object.keys(row);
  return (
    keys.length === properties.length && keys.every((property, i) => properties[i] === property)
  );
}

/**
 * The property's values of every row, each as the ORM binds it; undefined if the ORM writes one as
 * SQL rather than a bound value.
 */
function boundArray(
  gateway: ModelGateway<unknown>,
  property: string,
  rows: Record<string, unknown>[],
): unknown[] | undefined {
  const values = new Array<unknown>(rows.length);
  let bound: unknown;
  let binds = 0;
  const collect = (value: unknown) => ((bound = value), binds++, boundMark);
  for (let i = 0; i < rows.length; i++) {
    binds = 0;
    if (gateway.bindValue(property, rows[i][property], collect) !== boundMark || binds !== 1)
      return undefined;
    // Binary data is bound alone as its bytes, but inside an array as text (node-pg: '\\x0001ff'):
    // a text column would store that text.
    // An array bound alone is one value (an array literal), inside an array one more dimension:
    // `[]` would make no row at all.
    if (ArrayBuffer.isView(bound) || bound instanceof ArrayBuffer || Array.isArray(bound))
      return undefined;
    values[i] = bound;
  }
  return values;
}
