import type { UniqueKey } from '../dialects';
import { InvalidFieldError, UniqueLookupRequiredError } from '../errors';
import type { ModelGateway, Session } from '../gateway';
import { cachedKeys, forgetKeys, rememberKeys, sameSet } from './known-keys';
import { onlyPlaceholder } from '../sql/parameters';
import { translateError } from './translate-error';

// Catalog reads in flight per connection configuration and table (their answers: known-keys.ts).
// A lookup no cached key covers reads the catalog again before refusing (refreshUniqueKeys).
const pending = new WeakMap<object, Map<string, Promise<UniqueKey[]>>>();

function tableMap<V>(maps: WeakMap<object, Map<string, V>>, scope: object): Map<string, V> {
  let tables = maps.get(scope);
  if (!tables) maps.set(scope, (tables = new Map<string, never>()));
  return tables;
}

/** The table's unique keys, read from the catalog once per connection configuration. */
export function uniqueKeys(gateway: ModelGateway<unknown>, session: Session): Promise<UniqueKey[]> {
  const cached = cachedKeys(gateway);
  if (cached) return Promise.resolve(cached);
  const tables = tableMap(pending, gateway.catalogScope);
  const shared = tables.get(gateway.tableSql);
  // Still pending, and this call holds a connection in a transaction: that read may be waiting for this very
  // connection's pool (a pool of one deadlocks), so it reads on its own session instead (issue 13, item 5).
  if (shared && session.inTransaction) return readUniqueKeys(gateway, session);
  // Another call's read failed (its connection lost, its statement cancelled): this call reads on its own session.
  if (shared) return shared.catch(() => uniqueKeys(gateway, session));
  const keys = readUniqueKeys(gateway, session);
  keys.catch(() => tables.delete(gateway.tableSql));
  tables.set(gateway.tableSql, keys);
  return keys;
}

/**
 * The table's unique keys read again, the cached answer dropped first: a key created while the
 * process runs (a migration, a hand-made index) is used from the next call on.
 */
export function refreshUniqueKeys(
  gateway: ModelGateway<unknown>,
  session: Session,
): Promise<UniqueKey[]> {
  forgetKeys(gateway);
  pending.get(gateway.catalogScope)?.delete(gateway.tableSql);
  return uniqueKeys(gateway, session);
}

/** The catalog read itself, on `session`; its answer is cached for {@link lookupKey}'s synchronous path. */
function readUniqueKeys(gateway: ModelGateway<unknown>, session: Session): Promise<UniqueKey[]> {
  const { dialect } = gateway;
  return session
    .query(dialect.uniqueKeysSql(onlyPlaceholder(gateway)), [
      dialect.catalogTable(gateway.tableSql),
    ])
    .then(
      (result) => {
        const parsed = result.rows.map(dialect.parseUniqueKey);
        rememberKeys(gateway, parsed);
        return parsed;
      },
      // A SELECT: a lost connection committed nothing (ConnectionLostError); 57014 and the like are racesafe errors too.
      (error: unknown) => Promise.reject(translateError(gateway, error, 'rolled-back')),
    );
}

/**
 * The unique key covering exactly the lookup's columns, or {@link UniqueLookupRequiredError}:
 * without one the database cannot stop two racing callers from inserting the same row.
 * Synchronous once the table's keys are cached (the hit path then costs one statement, no extra await).
 */
export function lookupKey(
  gateway: ModelGateway<unknown>,
  session: Session,
  lookup: Record<string, unknown>,
): UniqueKey | Promise<UniqueKey> {
  const cached = cachedKeys(gateway);
  if (!cached)
    return uniqueKeys(gateway, session).then((keys) => matchingKey(gateway, keys, lookup));
  // No cached key covers the lookup: one more catalog read before refusing finds a key created since.
  if (!findKey(gateway, cached, lookup))
    return refreshUniqueKeys(gateway, session).then((keys) => matchingKey(gateway, keys, lookup));
  return matchingKey(gateway, cached, lookup);
}

/** The usable key on exactly the lookup's columns (on a soft-deleting model one on live rows first), if any. */
function findKey(
  gateway: ModelGateway<unknown>,
  keys: UniqueKey[],
  lookup: Record<string, unknown>,
): UniqueKey | undefined {
  const columns = Object.keys(lookup).map((p) => gateway.column(p)!.column);
  const candidates = keys.filter(
    (k) => k.usableForLookup && sameSet(k.columns, columns) && coversLiveRows(gateway, k),
  );
  // On a soft-deleting model a key on live rows only (WHERE "deletedAt" IS NULL) lets a deleted row's key be used again.
  return candidates.find((k) => k.predicate !== undefined) ?? candidates[0];
}

function matchingKey(
  gateway: ModelGateway<unknown>,
  keys: UniqueKey[],
  lookup: Record<string, unknown>,
): UniqueKey {
  const properties = Object.keys(lookup);
  const key = findKey(gateway, keys, lookup);
  if (!key) throw uniqueLookupRequired(gateway, properties);
  const nullProperties = properties.filter((p) => lookup[p] === null);
  if (nullProperties.length > 0 && !key.nullsNotDistinct) {
    // NULL never equals NULL: the key admits any number of NULL rows and `= NULL` matches none.
    throw new InvalidFieldError(
      `Lookup ${nullProperties.join(', ')} is null, but unique key ${key.name} treats NULLs as distinct, so it cannot identify one row (use UNIQUE NULLS NOT DISTINCT).`,
      { fields: nullProperties },
    );
  }
  return key;
}

/** The refusal of a lookup no key covers, with the fix in the ORM's own terms (the gateway's `uniqueKeyAdvice`). */
function uniqueLookupRequired(
  gateway: ModelGateway<unknown>,
  properties: string[],
): UniqueLookupRequiredError {
  const columns = properties.map((p) => gateway.column(p)!.column);
  const names = properties.join(', ');
  const onColumns = sameSet(columns, properties) ? '' : ` (columns ${columns.join(', ')})`;
  const deleted = gateway.softDeleteColumn;
  const partial = deleted
    ? ` On this soft-deleting model a partial one WHERE ${deleted.column} IS NULL counts too.`
    : '';
  const advice =
    gateway.uniqueKeyAdvice?.(properties) ??
    `Add a unique constraint or unique index on exactly (${columns.join(', ')}).`;
  return new UniqueLookupRequiredError(
    `${gateway.modelName}: no unique constraint or unique index on exactly (${names})${onColumns} of ${gateway.tableSql}, so concurrent callers could insert duplicates. ` +
      `${advice} Create it in the database too (a migration, or synchronize); racesafe reads the catalog again when a lookup is refused, so it is used from the next call on.${partial} ` +
      `Expression, prefix and deferrable indexes do not count; getOrCreate can opt out explicitly with { advisoryLock: true }.`,
    { fields: properties },
  );
}

/** A full key, or a partial one whose predicate is exactly "not soft-deleted": every row a lookup can find is under it. */
function coversLiveRows(gateway: ModelGateway<unknown>, key: UniqueKey): boolean {
  if (key.predicate === undefined) return true;
  const deleted = gateway.softDeleteColumn;
  return (
    deleted !== undefined && gateway.dialect.isNotDeletedPredicate(key.predicate, deleted.column)
  );
}
