import type { UniqueKey } from '../dialects';
import type { ModelGateway } from '../gateway';
import { ScopeStore } from './scope-store';

/**
 * The tables' unique keys as the catalog answered, per connection configuration and table.
 * Constraints rarely change at run time: a lookup no cached key covers reads the catalog again
 * (unique-keys.ts refreshUniqueKeys), so a key added while the process runs is found; a dropped
 * one is believed until restart. Filled by unique-keys.ts's ScopeCache; kept apart so that error
 * translation can name a key without importing the reads.
 */
export const knownKeys = new ScopeStore<UniqueKey[]>();

/** The table's unique keys if a catalog read has answered for this connection configuration. */
export function cachedKeys(gateway: ModelGateway<unknown>): UniqueKey[] | undefined {
  return knownKeys.peek(gateway, gateway.tableSql);
}

/**
 * The cached key named `name` (what the database reported on a violation), if the catalog was read.
 */
export function keyNamed(gateway: ModelGateway<unknown>, name: string): UniqueKey | undefined {
  return cachedKeys(gateway)?.find((key) => key.name === name);
}

/** True once the table's keys were read (and not dropped since). */
export function keysKnown(gateway: ModelGateway<unknown>): boolean {
  return cachedKeys(gateway) !== undefined;
}

/**
 * The cached unique key on exactly `columns` (a usable, full one first), or undefined when none
 * is known (yet): names a key the database reported by its columns (SQLite).
 */
export function keyOnColumns(
  gateway: ModelGateway<unknown>,
  columns: string[],
): UniqueKey | undefined {
  const keys = cachedKeys(gateway) ?? [];
  const candidates = keys.filter((key) => sameSet(key.columns, columns));
  return (
    candidates.find((key) => key.usableForLookup && key.predicate === undefined) ?? candidates[0]
  );
}

/** Whether two column lists hold the same columns. */
export function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}
