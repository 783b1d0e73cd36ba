import type { ModelGateway, Session } from '../gateway';
import { onlyPlaceholder, run } from '../db/statements';

/** A column's type as the catalog gives it, for binding a batch as one array per column (DialectAdapter.arrayRows). */
export interface ColumnType {
  /** The SQL type an array of the column's values is cast to (`text`, `timestamp with time zone`), without length or precision. */
  type: string;
  /** Its values survive the array text form exactly as scalar parameters (no array, JSON or composite type). */
  arrayable: boolean;
}

// Per connection configuration and table, as the unique keys (unique-keys.ts): a process restart picks up a migration.
const known = new WeakMap<object, Map<string, Map<string, ColumnType>>>();

/**
 * The table's column types by column name, read from the catalog once per connection configuration
 * (`DialectAdapter.arrayRows.columnTypesSql`), or undefined where the dialect binds no arrays.
 * Calls racing on the first read each read on their own session: a SELECT, and none waits for another's connection.
 */
export async function columnTypes(
  gateway: ModelGateway<unknown>,
  session: Session,
): Promise<Map<string, ColumnType> | undefined> {
  const arrayRows = gateway.dialect.arrayRows;
  if (!arrayRows) return undefined;
  let tables = known.get(gateway.catalogScope);
  const cached = tables?.get(gateway.tableSql);
  if (cached) return cached;
  const { rows } = await run(gateway, session, arrayRows.columnTypesSql(onlyPlaceholder(gateway)), [
    gateway.dialect.catalogTable(gateway.tableSql),
  ]);
  const types = new Map(
    rows.map((row) => [
      String(row.name),
      { type: String(row.type), arrayable: row.arrayable === true },
    ]),
  );
  if (!tables) known.set(gateway.catalogScope, (tables = new Map<string, never>()));
  tables.set(gateway.tableSql, types);
  return types;
}
