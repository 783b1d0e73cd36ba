import type { UniqueKey } from './dialects';
import { ConflictError, RetryableError } from './errors';
import type { ModelGateway, Session } from './gateway';
import { type RetryPolicy, withRetries } from './retry';
import { findOne, inCallerTransaction, inSavepoint, insertRow, run } from './statements';
import { lookupKey } from './unique-keys';
import { assertKnownFields, assertPlainLookup, assertWritableValues } from './validate';

/** Values for a new row: an object, or a function called only when a row is created. */
export type Defaults<Values> = Values | (() => Values);

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

  const callerTransaction = gateway.callerTransaction();
  if (options.advisoryLock) {
    const work = (session: Session) => getOrCreateUnderAdvisoryLock(gateway, session, lookup, options.defaults);
    return callerTransaction ? inCallerTransaction(callerTransaction, work) : withRetries(options.retry, () => gateway.transaction(work));
  }
  const work = async (session: Session) => {
    const key = lookupKey(gateway, session, lookup);
    return findOrInsert(gateway, session, lookup, options.defaults, key instanceof Promise ? await key : key);
  };
  // Outside a transaction every attempt is racesafe's own: a winner deleted before the re-read, or a deadlock, is retried.
  return callerTransaction ? inCallerTransaction(callerTransaction, work) : withRetries(options.retry, () => gateway.autocommit(work));
}

/** SELECT, then INSERT unless a racing caller took the lookup, then read the winner. */
export async function findOrInsert<Row>(
  gateway: ModelGateway<Row>,
  session: Session,
  lookup: Record<string, unknown>,
  defaults: Defaults<Record<string, unknown>> | undefined,
  key: UniqueKey,
): Promise<[Row, boolean]> {
  const existing = await findOne(gateway, session, lookup);
  if (existing) return [existing, false];
  const created = await insertUnlessTaken(gateway, session, { ...resolveDefaults(gateway, defaults), ...lookup }, key);
  if (created) return [created, true];
  return [await readWinner(gateway, session, lookup), false];
}

/**
 * INSERT that yields undefined, never an error, when the lookup's own key is already
 * taken. Inside a transaction it runs in a savepoint, so any other error (another
 * constraint, NOT NULL) leaves the caller's transaction usable.
 */
export async function insertUnlessTaken<Row>(
  gateway: ModelGateway<Row>,
  session: Session,
  values: Record<string, unknown>,
  key: UniqueKey,
): Promise<Row | undefined> {
  const skipConflictOn = gateway.dialect.supportsInsertIgnoringConflictOn ? key.columns : undefined;
  // Outside a transaction ON CONFLICT DO NOTHING cannot abort anything: no savepoint needed.
  if (!session.inTransaction && skipConflictOn) return insertRow(gateway, session, values, skipConflictOn);
  try {
    return await inSavepoint(gateway, session, () => insertRow(gateway, session, values, skipConflictOn));
  } catch (error) {
    // Without ON CONFLICT the loser sees a unique violation on the lookup's own key (23505 / 1062).
    if (error instanceof ConflictError && error.constraint === key.name) return undefined;
    throw error;
  }
}

/** The row that won the insert race, read on the same connection (the primary). */
async function readWinner<Row>(gateway: ModelGateway<Row>, session: Session, lookup: Record<string, unknown>): Promise<Row> {
  const strength = gateway.dialect.lockingReadAfterConflict;
  const winner = await findOne(gateway, session, lookup, strength ? { strength } : null);
  if (winner) return winner;
  // REPEATABLE READ / SERIALIZABLE snapshot predates the winner's commit (TRAPS T3), or it was deleted since.
  throw new RetryableError(
    `${gateway.modelName}: another transaction created this row, but it is not visible in this transaction's snapshot ` +
      `(REPEATABLE READ / SERIALIZABLE) or was deleted since. Roll back and retry the whole transaction.`,
    { fields: Object.keys(lookup) },
  );
}

/** Opt-out path: callers of the same lookup queue on an advisory lock, then SELECT and INSERT. */
async function getOrCreateUnderAdvisoryLock<Row>(
  gateway: ModelGateway<Row>,
  session: Session,
  lookup: Record<string, unknown>,
  defaults: Defaults<Record<string, unknown>> | undefined,
): Promise<[Row, boolean]> {
  await run(gateway, session, gateway.dialect.advisoryLockSql(), [advisoryKey(gateway, lookup)]);
  const existing = await findOne(gateway, session, lookup);
  if (existing) return [existing, false];
  const values = { ...resolveDefaults(gateway, defaults), ...lookup };
  return [(await inSavepoint(gateway, session, () => insertRow(gateway, session, values)))!, true];
}

function advisoryKey(gateway: ModelGateway<unknown>, lookup: Record<string, unknown>): string {
  const entries = Object.keys(lookup).sort().map((property) => [property, lookup[property]]);
  return `racesafe:${gateway.tableSql}:${JSON.stringify(entries)}`;
}

/** Calls a defaults function (only now, when a row is about to be created) and checks what it returned. */
export function resolveDefaults(
  gateway: ModelGateway<unknown>,
  defaults: Defaults<Record<string, unknown>> | undefined,
  group = 'defaults',
  allowF = false,
): Record<string, unknown> {
  if (typeof defaults !== 'function') return defaults ?? {};
  const values = defaults();
  assertKnownFields(gateway, { [group]: values });
  assertWritableValues(gateway, group, values, allowF);
  return values;
}
