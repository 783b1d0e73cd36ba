import type { UniqueKey } from '../dialects';
import { UniqueLookupRequiredError } from '../errors';
import type { ModelGateway, RowLifecycle, Session } from '../gateway';
import { type RetryPolicy, withIdempotentRetries } from '../db/retry';
import {
  assertLookupKept,
  createOnItsOwn,
  createWithHooks,
  insertUnlessTaken,
} from '../steps/create-row';
import { findOne, findOrInsertRaw, insertRaw, insertRow, insertUnlessFound } from '../db/queries';
import { inCallerTransaction, inSavepoint } from '../db/transactions';
import { onlyPlaceholder } from '../sql/parameters';
import { run } from '../db/run';
import { lastOutcome } from '../server/last-outcome';
import { type Defaults, resolveDefaults } from '../steps/defaults';
import { readWinner } from '../steps/read-winner';
import { lookupKey } from '../server/unique-keys';
import { assertKnownFields, assertPlainLookup, assertWritableValues } from '../validate';

/** Options of getOrCreate, shared by both packages. */
export interface GetOrCreateCoreOptions {
  defaults?: Defaults<Record<string, unknown>>;
  /**
   * Explicit opt-out for lookups with no unique constraint: callers for the same lookup
   * queue on a transaction-scoped advisory lock instead. Needs READ COMMITTED.
   */
  advisoryLock?: boolean;
  /** Retries when racesafe owns the statement or transaction (default 5 attempts). */
  retry?: RetryPolicy;
}

/**
 * Django's get_or_create: SELECT; if absent INSERT; if a concurrent caller inserted the
 * same lookup first, read its row. Returns `[row, created]`.
 */
export async function getOrCreate<Row>(
  gateway: ModelGateway<Row>,
  lookup: Record<string, unknown>,
  options: GetOrCreateCoreOptions = {},
): Promise<[Row, boolean]> {
  const defaults = typeof options.defaults === 'function' ? undefined : options.defaults;
  assertKnownFields(gateway, { lookup, defaults });
  assertPlainLookup(gateway, lookup);
  if (defaults) assertWritableValues(gateway, 'defaults', defaults, false);

  const lifecycle = gateway.lifecycle(options);
  const callerTransaction = gateway.callerTransaction();
  if (options.advisoryLock) {
    const work = (session: Session) =>
      getOrCreateUnderAdvisoryLock(gateway, session, lookup, options.defaults, lifecycle);
    return callerTransaction
      ? inCallerTransaction(callerTransaction, work)
      : withIdempotentRetries(options.retry, () => gateway.transaction(work));
  }
  // Nothing of the caller's to run between finding and inserting (a defaults function, hooks): one statement where the database can.
  const oneStatement =
    gateway.dialect.writesInWith &&
    !lifecycle?.runsUserCode &&
    typeof options.defaults !== 'function';
  const work = async (session: Session) => {
    const pending = lookupKey(gateway, session, lookup);
    const key = pending instanceof Promise ? await pending : pending;
    if (oneStatement)
      return findOrInsertInOneStatement(
        gateway,
        session,
        lookup,
        options.defaults as Record<string, unknown> | undefined,
        key,
        lifecycle,
      );
    return findOrInsert(gateway, session, lookup, options.defaults, key, lifecycle);
  };
  if (callerTransaction) return inCallerTransaction(callerTransaction, work);
  // Outside a transaction every attempt is racesafe's own: a winner deleted before the re-read, a deadlock, or a lost connection is retried.
  if (!lifecycle?.atomic || oneStatement)
    return withIdempotentRetries(options.retry, () => gateway.autocommit(work));
  return withIdempotentRetries(options.retry, () =>
    findOrCreateWithHooks(gateway, lookup, options.defaults, lifecycle),
  );
}

/** SELECT, then INSERT unless a racing caller took the lookup, then read the winner. */
export async function findOrInsert<Row>(
  gateway: ModelGateway<Row>,
  session: Session,
  lookup: Record<string, unknown>,
  defaults: Defaults<Record<string, unknown>> | undefined,
  key: UniqueKey,
  lifecycle?: RowLifecycle<Row>,
): Promise<[Row, boolean]> {
  const existing = await findOne(gateway, session, lookup);
  if (existing) return [existing, false];
  const values = { ...resolveDefaults(gateway, defaults), ...lookup };
  const created = lifecycle
    ? await createWithHooks(gateway, lookup, values, key, lifecycle, (work) =>
        session.inTransaction ? inSavepoint(gateway, session, () => work(session)) : work(session),
      )
    : await insertUnlessTaken(gateway, session, values, key);
  if (created) return [created, true];
  return [await readWinner(gateway, session, lookup, key), false];
}

/**
 * One statement per call where the database allows it, which one chosen per table by the last
 * two calls' outcomes there (last-outcome.ts):
 * - both found their row: SELECT first (1 statement when found, 2 when not);
 * - both created theirs: the guarded INSERT first (insertUnlessFound; 1 statement when created,
 *   2 when a row was there);
 * - otherwise: findOrInsertRaw's WITH, 1 statement either way but dearer to plan (about 0.65x a
 *   plain SELECT or INSERT, `npm run bench`, "racesafe's one statement"), as no ORM prepares statements.
 * Inside your transaction the statement runs in a savepoint (another key's conflict must not
 * abort your transaction): SAVEPOINT, the statement, RELEASE, 3 round trips instead of 4.
 */
async function findOrInsertInOneStatement<Row>(
  gateway: ModelGateway<Row>,
  session: Session,
  lookup: Record<string, unknown>,
  defaults: Record<string, unknown> | undefined,
  key: UniqueKey,
  lifecycle: RowLifecycle<Row> | undefined,
): Promise<[Row, boolean]> {
  const last = lastOutcome(
    gateway,
    `getOrCreate ${session.inTransaction ? 'in' : 'outside'} a transaction`,
  );
  const statement = last.next === 'create-first' ? insertUnlessFound : findOrInsertRaw;
  const once = () =>
    findOrInsertOnce(gateway, session, lookup, defaults, key, lifecycle, statement);
  let result: [Row, boolean];
  if (last.next === 'find-first')
    result = await findOrInsert(gateway, session, lookup, defaults, key, lifecycle);
  else result = session.inTransaction ? await inSavepoint(gateway, session, once) : await once();
  last.remember(!result[1]);
  return result;
}

/** The new row's values prepared as for an INSERT, one statement, and the row found or the winner's if that statement made none. */
async function findOrInsertOnce<Row>(
  gateway: ModelGateway<Row>,
  session: Session,
  lookup: Record<string, unknown>,
  defaults: Record<string, unknown> | undefined,
  key: UniqueKey,
  lifecycle: RowLifecycle<Row> | undefined,
  statement: typeof findOrInsertRaw,
): Promise<[Row, boolean]> {
  const values = { ...defaults, ...lookup };
  // Built-in validation only (no user code): run before knowing; values it refuses take the SELECT-first path, so a hit still returns its row.
  const pending = lifecycle
    ? await lifecycle.beforeCreate(values, session).catch(() => undefined)
    : { values: gateway.insertValues(values), stored: undefined };
  if (!pending) return findOrInsert(gateway, session, lookup, defaults, key, lifecycle);
  assertLookupKept(gateway, lookup, pending.values);
  const result = await statement(gateway, session, lookup, pending.values, key);
  // Nothing made: the row was there (the guarded INSERT), or a concurrent caller committed it after the statement's snapshot.
  if (!result) return [await readWinner(gateway, session, lookup, key), false];
  if (result.created && pending.stored) return [await pending.stored(result.raw), true];
  return [gateway.hydrate(result.raw), result.created];
}

/**
 * Outside a transaction, on a model whose ORM runs hooks: the SELECT autocommits (a found row
 * costs one statement), and a miss creates in a transaction of racesafe's own, as
 * `Model.findOrCreate` and TypeORM's `save()` do, so the hooks' writes and the INSERT commit together.
 */
async function findOrCreateWithHooks<Row>(
  gateway: ModelGateway<Row>,
  lookup: Record<string, unknown>,
  defaults: Defaults<Record<string, unknown>> | undefined,
  lifecycle: RowLifecycle<Row>,
): Promise<[Row, boolean]> {
  const [key, existing] = await gateway.autocommit(async (session) => {
    const key = await lookupKey(gateway, session, lookup);
    return [key, await findOne(gateway, session, lookup)] as const;
  });
  if (existing) return [existing, false];
  const values = { ...resolveDefaults(gateway, defaults), ...lookup };
  const created = await createOnItsOwn(gateway, lookup, values, key, lifecycle);
  if (created) return [created, true];
  return [await gateway.autocommit((session) => readWinner(gateway, session, lookup, key)), false];
}

/** Opt-out path: callers of the same lookup queue on an advisory lock, then SELECT and INSERT. */
async function getOrCreateUnderAdvisoryLock<Row>(
  gateway: ModelGateway<Row>,
  session: Session,
  lookup: Record<string, unknown>,
  defaults: Defaults<Record<string, unknown>> | undefined,
  lifecycle: RowLifecycle<Row> | undefined,
): Promise<[Row, boolean]> {
  const lockSql = gateway.dialect.advisoryLockSql(onlyPlaceholder(gateway));
  if (!lockSql) {
    throw new UniqueLookupRequiredError(
      `${gateway.modelName}: ${gateway.dialect.name} has no transaction-scoped advisory lock, so advisoryLock cannot serialise this lookup: add a unique key on exactly its columns.`,
      { fields: Object.keys(lookup) },
    );
  }
  await run(gateway, session, lockSql, [advisoryKey(gateway, lookup)]);
  const existing = await findOne(gateway, session, lookup);
  if (existing) return [existing, false];
  const values = { ...resolveDefaults(gateway, defaults), ...lookup };
  const create = async () => {
    if (!lifecycle) return (await insertRow(gateway, session, values))!;
    const pending = await lifecycle.beforeCreate(values, session);
    assertLookupKept(gateway, lookup, pending.values);
    return pending.stored((await insertRaw(gateway, session, pending.values))!);
  };
  return [await inSavepoint(gateway, session, create), true];
}

function advisoryKey(gateway: ModelGateway<unknown>, lookup: Record<string, unknown>): string {
  const entries = Object.keys(lookup)
    .sort()
    .map((property) => [property, lookup[property]]);
  return `racesafe:${gateway.tableSql}:${JSON.stringify(entries)}`;
}
