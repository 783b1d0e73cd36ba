// getOrCreate, as Django's get_or_create: SELECT the lookup's row; INSERT it unless a racing
// caller took its unique key; if one did, read the winner's row. The file reads in that order:
// the plan (a decision table naming a strategy), Django's three steps (findOrInsert), the call
// (its checks, its session, its strategy), then the other strategies.
import type { ModelGateway, RowLifecycle, Session } from '../gateway';
import { UniqueLookupRequiredError } from '../errors';
import {
  findOne,
  findOrInsertCompound,
  findOrInsertRaw,
  insertFirst,
  insertRaw,
  insertRow,
} from '../db/queries';
import { type RetryPolicy, withIdempotentRetries } from '../db/retry';
import { run } from '../db/run';
import { inSavepoint, withSession } from '../db/transactions';
import { type Recent, lastOutcome } from '../server/last-outcome';
import { serverFact } from '../server/server-facts';
import { lookupKey } from '../server/unique-keys';
import { onlyPlaceholder } from '../sql/parameters';
import {
  assertLookupKept,
  createOnItsOwn,
  createWithHooks,
  insertUnlessTaken,
  refusedForItsValues,
} from '../steps/create-row';
import { type Defaults, resolveDefaults } from '../steps/defaults';
import type { LookupCall } from '../steps/lookup-call';
import { type PlanRow, choose } from '../steps/plan';
import { readWinner } from '../steps/read-winner';
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
 * How one getOrCreate call runs; docs/guide.md section 8 shows each one's SQL under the same name.
 * - `select-first`: Django's three steps on one session ({@link findOrInsert});
 * - `one-statement`: the WITH that finds or inserts in 1 round trip (findOrInsertRaw);
 * - `insert-first`: the plain `INSERT ... VALUES ... ON CONFLICT (<key>) DO NOTHING RETURNING *` first
 *   ({@link insertFirst}), then the row that holds the key if it inserted none: 1 round trip per
 *   miss; a hit costs 2 and draws one sequence value (column defaults run before the conflict
 *   check), as a lost race does in Django's get_or_create;
 * - `compound-statement`: count the lookup's row, INSERT it if missing, read it back, in one
 *   compound statement (MariaDB's `BEGIN NOT ATOMIC`, {@link DialectAdapter.findOrInsert}), in a
 *   transaction of its own or in yours: 1 round trip, a lost race included (findOrInsertCompound);
 * - `select-first-own-transaction`: the SELECT autocommits, a miss creates with the ORM's hooks
 *   in a transaction of racesafe's own;
 * - `advisory-lock`: callers of one lookup queue on a transaction-scoped advisory lock (the opt-out
 *   for a lookup with no unique key).
 */
export type GetOrCreateStrategy =
  | 'select-first'
  | 'one-statement'
  | 'insert-first'
  | 'compound-statement'
  | 'select-first-own-transaction'
  | 'advisory-lock';

/** What the plan reads, all known before any statement. */
interface PlanInputs {
  advisoryLock: boolean;
  /**
   * Nothing of the caller's runs between finding and inserting (a defaults function, hooks) and the
   * database writes inside WITH.
   */
  oneStatement: boolean;
  /**
   * As oneStatement, where the adapter has getOrCreate's compound statement instead (whether the
   * server runs it is asked in the attempt).
   */
  compound: boolean;
  /** What the table's last two calls here did (last-outcome.ts). */
  recent: Recent;
  /**
   * The ORM's hooks may write (they and the row commit together) and the caller has no transaction.
   */
  hooksOutsideTransaction: boolean;
}

/** The plan: the first row whose inputs hold names the strategy. */
const plan: PlanRow<PlanInputs, GetOrCreateStrategy>[] = [
  [{ advisoryLock: true }, 'advisory-lock'],
  [{ oneStatement: true, recent: 'finding' }, 'select-first'],
  // After two misses: a hit that breaks the streak draws at most one sequence value (and fires
  // BEFORE INSERT triggers once), then the WITH follows. A soft-deleted row holding a full key
  // refuses this INSERT as it refuses the WITH's: the same ConflictError, no extra condition.
  [{ oneStatement: true, recent: 'creating' }, 'insert-first'],
  [{ oneStatement: true, recent: 'mixed' }, 'one-statement'],
  [{ compound: true, recent: 'finding' }, 'select-first'],
  [{ compound: true }, 'compound-statement'],
  [{ hooksOutsideTransaction: true }, 'select-first-own-transaction'],
  [{}, 'select-first'],
];

/**
 * Django's three steps: SELECT; INSERT unless a racing caller took the lookup's key; read the
 * winner.
 */
async function findOrInsert<Row>(at: Attempt<Row>): Promise<[Row, boolean]> {
  const { gateway, session, lookup } = at;
  const existing = await findOne(gateway, session, lookup);
  if (existing) return [existing, false];
  const values = { ...resolveDefaults(gateway, at.defaults), ...lookup };
  const created = at.lifecycle
    ? await createWithHooks({ ...at, lifecycle: at.lifecycle }, values, (work) =>
        session.inTransaction ? inSavepoint(gateway, session, () => work(session)) : work(session),
      )
    : await insertUnlessTaken(gateway, session, values, at.key);
  if (created) return [created, true];
  return [await readWinner(gateway, session, lookup, at.key), false];
}

/** One getOrCreate call: its checked arguments, and the caller's transaction if it runs in one. */
interface Call<Row> {
  gateway: ModelGateway<Row>;
  lookup: Record<string, unknown>;
  defaults: Defaults<Record<string, unknown>> | undefined;
  lifecycle: RowLifecycle<Row> | undefined;
  caller: Session | undefined;
}

/** One attempt of a call: the session it runs on and the lookup's unique key. */
interface Attempt<Row> extends Call<Row>, LookupCall<Row> {
  session: Session;
}

/**
 * Django's get_or_create: SELECT; if absent INSERT; if a concurrent caller inserted the
 * same lookup first, read its row. Returns `[row, created]`. The statements each strategy
 * sends are in {@link GetOrCreateStrategy}; outside a transaction every attempt is racesafe's
 * own, so a winner deleted before the re-read, a deadlock, or a lost connection is retried.
 */
export async function getOrCreate<Row>(
  gateway: ModelGateway<Row>,
  lookup: Record<string, unknown>,
  options: GetOrCreateCoreOptions = {},
): Promise<[Row, boolean]> {
  const call = checkedCall(gateway, lookup, options);
  const inputs = planInputs(call, options);
  // The session follows from the plan whatever the recent outcomes, which the attempt reads.
  const strategy = choose(plan, { ...inputs, recent: 'mixed' });
  const retry = (attempt: () => Promise<[Row, boolean]>) =>
    withIdempotentRetries(options.retry, attempt);
  if (strategy === 'advisory-lock')
    return withSession(gateway, call.caller, { own: 'transaction', retry }, (session) =>
      getOrCreateUnderAdvisoryLock({ ...call, session }),
    );
  if (strategy === 'select-first-own-transaction') return retry(() => findOrCreateWithHooks(call));
  return withSession(gateway, call.caller, { own: 'autocommit', retry }, async (session) => {
    const pending = lookupKey(gateway, session, lookup);
    // Synchronous once the table's keys are cached: a hit then costs one statement and no extra
    // await.
    const key = pending instanceof Promise ? await pending : pending;
    const at = { ...call, session, key };
    return inputs.oneStatement || inputs.compound ? byRecentOutcomes(at, inputs) : findOrInsert(at);
  });
}

/** The checks, before any statement: every name known, the lookup plain, the defaults writable. */
function checkedCall<Row>(
  gateway: ModelGateway<Row>,
  lookup: Record<string, unknown>,
  options: GetOrCreateCoreOptions,
): Call<Row> {
  const defaults = typeof options.defaults === 'function' ? undefined : options.defaults;
  assertKnownFields(gateway, { lookup, defaults });
  assertPlainLookup(gateway, lookup);
  if (defaults) assertWritableValues(gateway, 'defaults', defaults, false);
  const lifecycle = gateway.lifecycle(options);
  const caller = gateway.callerTransaction();
  return { gateway, lookup, defaults: options.defaults, lifecycle, caller };
}

/** The plan's inputs known before any statement (the recent outcomes are read by the attempt). */
function planInputs<Row>(
  call: Call<Row>,
  options: GetOrCreateCoreOptions,
): Omit<PlanInputs, 'recent'> {
  const blind = !call.lifecycle?.runsUserCode && typeof options.defaults !== 'function';
  const { dialect } = call.gateway;
  return {
    advisoryLock: options.advisoryLock === true,
    oneStatement: dialect.writesInWith && blind,
    compound: dialect.findOrInsert !== undefined && blind,
    hooksOutsideTransaction: !call.caller && call.lifecycle?.atomic === true,
  };
}

/**
 * The one-statement rows of the plan, on the attempt's session: `select-first`, `insert-first`
 * or `one-statement` by the table's last two outcomes here, then this call's outcome remembered.
 */
async function byRecentOutcomes<Row>(
  at: Attempt<Row>,
  inputs: Omit<PlanInputs, 'recent'>,
): Promise<[Row, boolean]> {
  // A savepoint around the one statement makes a hit dearer in a transaction: outcomes there are
  // counted apart.
  const site = `getOrCreate ${at.session.inTransaction ? 'in' : 'outside'} a transaction`;
  const last = lastOutcome(at.gateway, site);
  const strategy = choose(plan, { ...inputs, recent: last.recent });
  const result = await runStrategy(strategy, at);
  last.remember(!result[1]);
  return result;
}

/** Runs one attempt of `strategy` on its session. */
async function runStrategy<Row>(
  strategy: GetOrCreateStrategy,
  at: Attempt<Row>,
): Promise<[Row, boolean]> {
  if (strategy === 'one-statement') return inOneStatement(at, findOrInsertRaw);
  if (strategy === 'insert-first') return insertFirstOrSteps(at);
  // No savepoint in your transaction: an error there ends only the statement (MariaDB).
  if (strategy === 'compound-statement' && (await compoundAvailable(at)))
    return findOrInsertOnce(at, findOrInsertCompound);
  return findOrInsert(at);
}

/**
 * `insert-first`, then Django's steps when the database refused the new row for its values
 * (refusedForItsValues: `defaults: { plan: null }` for a NOT NULL column): on a hit the SELECT
 * returns the row, on a miss the INSERT reports the same error. Inside your transaction the
 * savepoint was rolled back first.
 */
async function insertFirstOrSteps<Row>(at: Attempt<Row>): Promise<[Row, boolean]> {
  try {
    return await inOneStatement(at, insertFirst);
  } catch (error) {
    if (!refusedForItsValues(error)) throw error;
    return findOrInsert(at);
  }
}

/** The server runs getOrCreate's compound statement (asked once per connection configuration). */
async function compoundAvailable<Row>(at: Attempt<Row>): Promise<boolean> {
  const sql = at.gateway.dialect.findOrInsert!.availableSql;
  return Number((await serverFact(at.gateway, at.session, sql))?.available) === 1;
}

/**
 * The one statement (`one-statement` or `insert-first`). Inside your transaction it runs in a
 * savepoint (another key's conflict must not abort your transaction): SAVEPOINT, the statement,
 * RELEASE, 3 round trips instead of 4.
 */
function inOneStatement<Row>(
  at: Attempt<Row>,
  statement: typeof findOrInsertRaw,
): Promise<[Row, boolean]> {
  const once = () => findOrInsertOnce(at, statement);
  return at.session.inTransaction ? inSavepoint(at.gateway, at.session, once) : once();
}

/**
 * The new row's values prepared as for an INSERT, one statement, and the row found or the winner's
 * if that statement made none.
 */
async function findOrInsertOnce<Row>(
  at: Attempt<Row>,
  statement: typeof findOrInsertRaw,
): Promise<[Row, boolean]> {
  const { gateway, session, lookup, lifecycle, key } = at;
  const values = { ...(at.defaults as Record<string, unknown> | undefined), ...lookup };
  // Built-in validation only (no user code): run before knowing; values it refuses take the
  // SELECT-first path, so a hit still returns its row.
  const pending = lifecycle
    ? await lifecycle.beforeCreate(values, session).catch(() => undefined)
    : { values: gateway.insertValues(values), stored: undefined };
  if (!pending) return findOrInsert(at);
  assertLookupKept(gateway, lookup, pending.values);
  const result = await statement({ gateway, session, lookup, values: pending.values, key });
  // Nothing made: the row was there (insert-first), or a concurrent caller committed it after the
  // statement's snapshot.
  if (!result) return [await readWinner(gateway, session, lookup, key), false];
  if (result.created && pending.stored) return [await pending.stored(result.raw), true];
  return [gateway.hydrate(result.raw), result.created];
}

/**
 * `select-first-own-transaction`: outside a transaction, on a model whose ORM runs hooks: the
 * SELECT autocommits (a found row costs one statement), and a miss creates in a transaction of
 * racesafe's own, as `Model.findOrCreate` and TypeORM's `save()` do, so the hooks' writes and the
 * INSERT commit together.
 */
async function findOrCreateWithHooks<Row>(call: Call<Row>): Promise<[Row, boolean]> {
  const { gateway, lookup } = call;
  const [key, existing] = await gateway.autocommit(async (session) => {
    const key = await lookupKey(gateway, session, lookup);
    return [key, await findOne(gateway, session, lookup)] as const;
  });
  if (existing) return [existing, false];
  const values = { ...resolveDefaults(gateway, call.defaults), ...lookup };
  const created = await createOnItsOwn({ ...call, key }, values);
  if (created) return [created, true];
  return [await gateway.autocommit((session) => readWinner(gateway, session, lookup, key)), false];
}

/**
 * `advisory-lock`: callers of the same lookup queue on an advisory lock, then SELECT and INSERT.
 */
async function getOrCreateUnderAdvisoryLock<Row>(
  at: Call<Row> & { session: Session },
): Promise<[Row, boolean]> {
  const { gateway, session, lookup, lifecycle } = at;
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
  const values = { ...resolveDefaults(gateway, at.defaults), ...lookup };
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
