import type { UniqueKey } from './dialects';
import type { ModelGateway } from './gateway';

// Catalog answers per connection configuration and table. Constraints rarely change at
// run time; a process restart picks up a migration that adds or drops one.
const known = new WeakMap<object, Map<string, UniqueKey[]>>();

/** The table's unique keys if a catalog read has answered for this connection configuration. */
export function cachedKeys(gateway: ModelGateway<unknown>): UniqueKey[] | undefined {
  return known.get(gateway.catalogScope)?.get(gateway.tableSql);
}

/** Keeps a catalog read's answer for {@link cachedKeys}. */
export function rememberKeys(gateway: ModelGateway<unknown>, keys: UniqueKey[]): void {
  let tables = known.get(gateway.catalogScope);
  if (!tables) known.set(gateway.catalogScope, (tables = new Map<string, never>()));
  tables.set(gateway.tableSql, keys);
}

/**
 * The cached unique key on exactly `columns` (a usable, full one first), or undefined when none
 * is known (yet): names a key the database reported by its columns (SQLite).
 */
export function keyOnColumns(gateway: ModelGateway<unknown>, columns: string[]): UniqueKey | undefined {
  const keys = cachedKeys(gateway) ?? [];
  const candidates = keys.filter((key) => sameSet(key.columns, columns));
  return candidates.find((key) => key.usableForLookup && key.predicate === undefined) ?? candidates[0];
}

/** Whether two column lists hold the same columns. */
export function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}
