import type { UniqueKey } from '../dialects';
import { InvalidFieldError, UniqueLookupRequiredError } from '../errors';
import type { ModelGateway, Session } from '../gateway';
import { cachedKeys, knownKeys, sameSet } from './known-keys';
import { ScopeCache } from './scope-cache';
import { onlyPlaceholder } from '../sql/parameters';

// Per connection configuration and table; its answers are known-keys.ts's, read synchronously by
// lookupKey and translateError.
const keys = new ScopeCache<UniqueKey[]>({ sharing: 'outside-transaction', store: knownKeys });

/**
 * The table's unique keys, read from the catalog once per connection configuration
 * (`DialectAdapter.uniqueKeysSql`, PostgreSQL: `SELECT ... FROM pg_index ...`). A read in flight
 * is shared outside a transaction (scope-cache.ts, Sharing); a failed read is asked again.
 */
export async function uniqueKeys(
  gateway: ModelGateway<unknown>,
  session: Session,
): Promise<UniqueKey[]> {
  return keys.get(gateway, session, gateway.tableSql, () => readUniqueKeys(gateway, session));
}

/**
 * The table's unique keys read again, the cached answer dropped first: a key created while the
 * process runs (a migration, a hand-made index) is used from the next call on.
 */
export function refreshUniqueKeys(
  gateway: ModelGateway<unknown>,
  session: Session,
): Promise<UniqueKey[]> {
  keys.forget(gateway, gateway.tableSql);
  return uniqueKeys(gateway, session);
}

/** The catalog read itself, on `session`. */
async function readUniqueKeys(
  gateway: ModelGateway<unknown>,
  session: Session,
): Promise<UniqueKey[]> {
  const { dialect } = gateway;
  const { rows } = await session.query(dialect.uniqueKeysSql(onlyPlaceholder(gateway)), [
    dialect.catalogTable(gateway.tableSql),
  ]);
  return rows.map(dialect.parseUniqueKey);
}

/**
 * The unique key covering exactly the lookup's columns, or {@link UniqueLookupRequiredError}:
 * without one the database cannot stop two racing callers from inserting the same row.
 * Synchronous once the table's keys are cached (the hit path then costs one statement, no extra
 * await).
 */
export function lookupKey(
  gateway: ModelGateway<unknown>,
  session: Session,
  lookup: Record<string, unknown>,
): UniqueKey | Promise<UniqueKey> {
  const cached = cachedKeys(gateway);
  if (!cached)
    return uniqueKeys(gateway, session).then((keys) => matchingKey(gateway, keys, lookup));
  // No cached key covers the lookup: one more catalog read before refusing finds a key created
  // since.
  if (!findKey(gateway, cached, lookup))
    return refreshUniqueKeys(gateway, session).then((keys) => matchingKey(gateway, keys, lookup));
  return matchingKey(gateway, cached, lookup);
}

/**
 * The usable key on exactly the lookup's columns (on a soft-deleting model one on live rows first),
 * if any.
 */
function findKey(
  gateway: ModelGateway<unknown>,
  keys: UniqueKey[],
  lookup: Record<string, unknown>,
): UniqueKey | undefined {
  const columns = Object.keys(lookup).map((p) => gateway.column(p)!.column);
  const candidates = keys.filter(
    (k) => k.usableForLookup && sameSet(k.columns, columns) && coversLiveRows(gateway, k),
  );
  // On a soft-deleting model a key on live rows only (WHERE "deletedAt" IS NULL) lets a deleted
  // row's key be used again.
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

/**
 * The refusal of a lookup no key covers, with the fix in the ORM's own terms (the gateway's
 * `uniqueKeyAdvice`).
 */
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

/**
 * A full key, or a partial one whose predicate is exactly "not soft-deleted": every row a lookup
 * can find is under it.
 */
function coversLiveRows(gateway: ModelGateway<unknown>, key: UniqueKey): boolean {
  if (key.predicate === undefined) return true;
  const deleted = gateway.softDeleteColumn;
  return (
    deleted !== undefined && gateway.dialect.isNotDeletedPredicate(key.predicate, deleted.column)
  );
}
