import type { ModelGateway } from './gateway';

// Per connection configuration, then per table and call site: did the last call find an existing row?
const outcomes = new WeakMap<object, Map<string, boolean>>();

/**
 * What racesafe remembers to pick the cheaper statement for the next call on a table: whether
 * the last call at `site` (e.g. "getOrCreate outside a transaction") found an existing row.
 * Undefined before the first call. A guess only: either choice is correct, one is cheaper.
 */
export function lastOutcome(gateway: ModelGateway<unknown>, site: string): { foundExisting: boolean | undefined; remember(foundExisting: boolean): void } {
  let tables = outcomes.get(gateway.catalogScope);
  if (!tables) outcomes.set(gateway.catalogScope, (tables = new Map()));
  const memory = tables;
  const key = `${site}: ${gateway.tableSql}`;
  return { foundExisting: memory.get(key), remember: (foundExisting) => void memory.set(key, foundExisting) };
}
