import type { ModelGateway, Session } from '../gateway';
import type { ColumnType } from '../sql/insert-new-rows';
import { onlyPlaceholder } from '../sql/parameters';
import { ScopeCache } from './scope-cache';

// Per connection configuration and table, as the unique keys: a process restart picks up a
// migration.
// Calls racing on the first read each read on their own session: a SELECT, and none waits for
// another's connection.
const types = new ScopeCache<Map<string, ColumnType>>({ sharing: 'none' });

/**
 * The table's column types by column name, read from the catalog once per connection configuration
 * (`DialectAdapter.arrayRows.columnTypesSql`, PostgreSQL: `SELECT ... FROM pg_attribute ...`), or
 * undefined where the dialect binds no arrays.
 */
export async function columnTypes(
  gateway: ModelGateway<unknown>,
  session: Session,
): Promise<Map<string, ColumnType> | undefined> {
  const arrayRows = gateway.dialect.arrayRows;
  if (!arrayRows) return undefined;
  return types.get(gateway, session, gateway.tableSql, async () => {
    const { rows } = await session.query(arrayRows.columnTypesSql(onlyPlaceholder(gateway)), [
      gateway.dialect.catalogTable(gateway.tableSql),
    ]);
    return new Map(
      rows.map((row) => [
        String(row.name),
        { type: String(row.type), arrayable: row.arrayable === true },
      ]),
    );
  });
}
