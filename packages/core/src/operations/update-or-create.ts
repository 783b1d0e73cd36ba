// updateOrCreate, as Django's update_or_create: lock the lookup's row (SELECT ... FOR [NO KEY]
// UPDATE) and write the defaults that change it; or create it, and if a racing caller created it
// first, lock and update that row. The file reads in that order: the plan (a decision table naming
// a strategy), Django's steps (lockAndUpdateOrCreate), the call (its checks, its session, its
// strategy), then the other strategies.
import { ConflictError, InvalidFieldError, RetryableError } from '../errors';
import { isFExpression } from '../expressions';
import type { ModelGateway, PendingWrite, RowLifecycle, Session } from '../gateway';
import {
  findOrInsertRaw,
  firstResultSet,
  insertUnlessFirst,
  insertUnlessFound,
  selectWhere,
} from '../db/queries';
import { type RetryPolicy, withRetries } from '../db/retry';
import { run } from '../db/run';
import { inSavepoint, withSession } from '../db/transactions';
import { type Recent, lastOutcome } from '../server/last-outcome';
import { serverFact } from '../server/server-facts';
import { assertStrictArithmetic } from '../server/strict-mode';
import { lookupKey } from '../server/unique-keys';
import { compileAssignments, setClause, updateStatement } from '../sql/assignments';
import { liveLookupCondition, lookupCondition } from '../sql/conditions';
import { createdMarker, insertList } from '../sql/insert';
import { type Parameters, parametersFor } from '../sql/parameters';
import { sameValue } from '../sql/same-value';
import { updateOrInsertSql } from '../sql/update-or-insert';
import {
  createOnItsOwn,
  createWithHooks,
  insertUnlessTaken,
  refusedForItsValues,
} from '../steps/create-row';
import { type Defaults, resolveDefaults } from '../steps/defaults';
import type { LookupCall } from '../steps/lookup-call';
import { type PlanRow, choose } from '../steps/plan';
import { lockRowForUpdate, lockStrengthFor } from '../steps/lock-row';
import { assertNoDeletedRowHolds } from '../steps/read-winner';
import { assertKnownFields, assertPlainLookup, assertWritableValues } from '../validate';

/** Options of updateOrCreate, shared by both packages. */
export interface UpdateOrCreateCoreOptions {
  /**
   * Values written to the row, found or created. May hold F expressions (applied in SQL on the
   * update path).
   */
  defaults?: Defaults<Record<string, unknown>>;
  /** Values for a new row instead of `defaults` (plain values only). */
  createDefaults?: Defaults<Record<string, unknown>>;
  /**
   * Fail at once with LockNotAvailableError instead of waiting for the row lock. SQLite (no row
   * locks): for the database's write lock, at the BEGIN IMMEDIATE of racesafe's own transaction.
   */
  nowait?: boolean;
  /**
   * Wait at most this long for the row lock (SQLite: the database's write lock, as for nowait),
   * then LockNotAvailableError.
   */
  lockTimeoutMs?: number;
  /** Retries of racesafe's own transaction after a deadlock or serialization failure. */
  retry?: RetryPolicy;
}

/**
 * How one updateOrCreate call runs; docs/guide.md section 8 shows each one's SQL under the same
 * name.
 * - `locking`: lock the row, update it or create it, in your transaction or one of racesafe's own
 *   ({@link lockAndUpdateOrCreate});
 * - `locking-apart`: where a locking read of a missing row locks the gap (MySQL), lock and update
 *   in one transaction, and create a missing row on its own ({@link updateOrCreateApart});
 * - `one-statement`: `WITH updated AS (UPDATE ...), made AS (INSERT ...)` in 1 round trip
 *   (getOrCreate's WITH when the defaults write nothing);
 * - `update-first`: the plain `UPDATE ... RETURNING`, then the WITH if it updated no row;
 * - `insert-or-update`: `INSERT ... ON CONFLICT (<key>) DO UPDATE SET <defaults> RETURNING *` with
 *   whether it inserted (PostgreSQL `(xmax = 0)`, {@link DialectAdapter.insertOrUpdate}), 1 round
 *   trip either way; a found row draws one sequence value and fires BEFORE INSERT triggers
 *   ({@link insertOrUpdateRaw});
 * - `guarded-insert`: `INSERT ... SELECT ... WHERE NOT EXISTS` (insertUnlessFound), then the plain
 *   UPDATE if a row was there;
 * - `compound-statement`: lock, update or insert, and read back in one compound statement
 *   (MariaDB's `BEGIN NOT ATOMIC`, {@link DialectAdapter.updateOrInsert}), in a transaction of its
 *   own or in yours: 1 round trip ({@link updateOrInsertCompound}).
 * The one-statement ones are autocommit statements; one that neither updated nor created falls
 * back to the locking strategies, as does a compound statement whose INSERT lost the lookup's key.
 */
export type UpdateOrCreateStrategy =
  | 'locking'
  | 'locking-apart'
  | 'one-statement'
  | 'update-first'
  | 'insert-or-update'
  | 'guarded-insert'
  | 'compound-statement';

/** What the plan reads. */
interface PlanInputs {
  /**
   * The adapter has updateOrCreate's compound statement and nothing of yours runs between locking
   * and writing (inCompound); whether the server runs it is asked in the attempt.
   */
  compound: boolean;
  /** The call runs in your transaction: retries and the transaction are yours. */
  caller: boolean;
  /**
   * Outside your transaction, with no code of yours between reading and writing and no lock
   * options, where the database writes inside WITH (inOneStatement).
   */
  oneStatement: boolean;
  /**
   * Once the defaults are resolved, in the one-statement attempt (a defaults function runs there):
   * whether they write anything.
   */
  writesDefaults?: boolean;
  /** What the table's last two calls did (last-outcome.ts), read in the one-statement attempt. */
  recent?: Recent;
  /**
   * In the one-statement attempt: the adapter has insertOrUpdate, the defaults are plain values that
   * leave the lookup's columns alone, and the lookup's key arbitrates exactly the rows it finds (no
   * soft delete, no partial key): see upsertable.
   */
  upsertable?: boolean;
  /**
   * A locking read of a missing row locks the gap, so two callers' INSERTs would deadlock
   * (DialectAdapter.missingRowLockBlocksInserts).
   */
  gapLocks: boolean;
}

/** The plan: the first row whose inputs hold names the strategy. */
const plan: PlanRow<PlanInputs, UpdateOrCreateStrategy>[] = [
  [{ compound: true }, 'compound-statement'],
  [{ caller: true }, 'locking'],
  [{ oneStatement: true, writesDefaults: false }, 'one-statement'],
  [{ oneStatement: true, recent: 'finding' }, 'update-first'],
  [{ oneStatement: true, recent: 'creating', upsertable: true }, 'insert-or-update'],
  [{ oneStatement: true, recent: 'creating' }, 'guarded-insert'],
  [{ oneStatement: true, recent: 'mixed' }, 'one-statement'],
  [{ gapLocks: true }, 'locking-apart'],
  [{}, 'locking'],
];

/**
 * One updateOrCreate call: its checked arguments, and the caller's transaction if it runs in one.
 */
interface Call<Row> {
  gateway: ModelGateway<Row>;
  lookup: Record<string, unknown>;
  options: UpdateOrCreateCoreOptions;
  lifecycle: RowLifecycle<Row> | undefined;
  caller: Session | undefined;
}

/**
 * One locking attempt: its session, whether that is your transaction, and whether it may create the
 * row.
 */
interface Locking<Row> extends Call<Row> {
  session: Session;
  callerOwnsTransaction: boolean;
  mayCreate: boolean;
}

/**
 * Django's update_or_create steps, on a session in a transaction: lock the row and write its
 * changes; else INSERT it unless a racing caller took the key; else lock the winner's row and
 * write to it. Undefined when the row is missing and `mayCreate` is false (locking-apart).
 */
async function lockAndUpdateOrCreate<Row>(at: Locking<Row>): Promise<[Row, boolean] | undefined> {
  const { gateway, session, lookup, options } = at;
  const key = await lookupKey(gateway, session, lookup);
  const defaults = resolveDefaults(gateway, options.defaults, 'defaults', true);
  const strength = lockStrengthFor(gateway, defaults, key.columns);
  const existing = await lockRowForUpdate(gateway, session, lookup, strength, options);
  if (existing) return [await updateLocked(at, existing, defaults), false];
  if (!at.mayCreate) return undefined;
  const values = { ...createValues(at, defaults), ...lookup };
  const call = { ...at, key };
  const created = at.lifecycle
    ? await createWithHooks({ ...call, lifecycle: at.lifecycle }, values, (work) =>
        inSavepoint(gateway, session, () => work(session)),
      )
    : await insertUnlessTaken(gateway, session, values, key);
  if (created) return [created, true];
  // A concurrent creator committed this lookup first: lock its row and update it instead.
  const winner = await lockRowForUpdate(gateway, session, lookup, strength, options);
  if (winner) return [await updateLocked(at, winner, defaults), false];
  await assertNoDeletedRowHolds(gateway, session, lookup, key);
  throw new RetryableError(
    `${gateway.modelName}: a concurrent transaction created this row, but this transaction's snapshot cannot see it (REPEATABLE READ / SERIALIZABLE). Retry the transaction.`,
    { fields: Object.keys(lookup) },
  );
}

/**
 * The locked row with the defaults that change it written (see changesOf); no UPDATE when none does
 * and no hook of yours runs.
 */
async function updateLocked<Row>(
  at: Locking<Row>,
  row: Row,
  defaults: Record<string, unknown>,
): Promise<Row> {
  const { gateway, session } = at;
  const changes = changesOf(gateway, row, defaults);
  // Nothing to write and no hook of yours to run: no UPDATE, as save() sends none.
  if (Object.keys(changes).length === 0 && !at.lifecycle?.runsUserCode) return row;
  await assertStrictArithmetic(gateway, session, changes);
  const write = () => writeChanges(at, row, changes);
  // Like Django's atomic() around update_or_create: a failed UPDATE (another unique key, 22012) or
  // hook must not abort the caller's transaction.
  return at.callerOwnsTransaction ? inSavepoint(gateway, session, write) : write();
}

/**
 * The values of a new row: `createDefaults`, else `defaults` (already resolved), checked by their
 * own name.
 */
function createValues<Row>(
  call: Call<Row>,
  defaults: Record<string, unknown>,
): Record<string, unknown> {
  const { createDefaults } = call.options;
  return resolveDefaults(
    call.gateway,
    createDefaults ?? defaults,
    createDefaults ? 'createDefaults' : 'defaults',
  );
}

/**
 * Django's update_or_create: lock the row (SELECT ... FOR [NO KEY] UPDATE), write the
 * `defaults` that change it; or create it, and if a concurrent creator wins, lock and
 * update that row. Always atomic: in your transaction, in autocommit statements that are each
 * atomic, or in a transaction of racesafe's own ({@link UpdateOrCreateStrategy}).
 */
export async function updateOrCreate<Row>(
  gateway: ModelGateway<Row>,
  lookup: Record<string, unknown>,
  options: UpdateOrCreateCoreOptions = {},
): Promise<[Row, boolean]> {
  checkUpdateOrCreate(gateway, lookup, options);
  const call: Call<Row> = {
    gateway,
    lookup,
    options,
    lifecycle: gateway.lifecycle(options),
    caller: gateway.callerTransaction(),
  };
  const inputs = {
    compound: inCompound(call),
    caller: call.caller !== undefined,
    oneStatement: inOneStatement(call),
    gapLocks: gateway.dialect.missingRowLockBlocksInserts === true,
  };
  const retry = <T>(attempt: () => Promise<T>) => withRetries(options.retry, attempt);
  if (choose(plan, inputs) === 'compound-statement') {
    const done = await withSession<[Row, boolean] | undefined>(
      gateway,
      call.caller,
      { own: 'autocommit', retry },
      (session, kind) => updateOrInsertCompound(call, session, kind !== 'caller'),
    );
    if (done) return done;
    // The server has no compound statements (MySQL 8), or the INSERT lost the lookup's key.
  }
  if (inputs.oneStatement) {
    const done = await retry(() =>
      gateway.autocommit((session) => updateOrInsert(call, session, inputs)),
    );
    if (done) return done;
    // It neither updated nor created: a row committed or deleted between its snapshot and its
    // INSERT, or a soft-deleted row holds the key. The locking strategies sort it out.
  }
  const strategy = choose(plan, { ...inputs, compound: false, oneStatement: false });
  if (strategy === 'locking-apart') return retry(() => updateOrCreateApart(call));
  // Retries belong to the outermost transaction: inside the caller's, RetryableError surfaces.
  const begin = { lockWaitMs: options.nowait ? 0 : options.lockTimeoutMs };
  return withSession(
    gateway,
    call.caller,
    { own: 'transaction', begin, retry },
    (session, kind) =>
      lockAndUpdateOrCreate({
        ...call,
        session,
        callerOwnsTransaction: kind === 'caller',
        mayCreate: true,
      }) as Promise<[Row, boolean]>,
  );
}

/**
 * Outside your transaction, with no code of yours between reading and writing (hooks, a
 * createDefaults function) and no lock options: one statement where the database can.
 */
function inOneStatement<Row>(call: Call<Row>): boolean {
  const { nowait, lockTimeoutMs, createDefaults } = call.options;
  return (
    !call.caller &&
    call.gateway.dialect.writesInWith &&
    blind(call) &&
    !nowait &&
    lockTimeoutMs === undefined &&
    typeof createDefaults !== 'function'
  );
}

/**
 * No code of yours runs around the writes (no hooks, listeners or custom validators; built-in
 * validation is checked before the statement) and no `createDefaults` function, which would run on
 * a found row too.
 */
function blind<Row>(call: Call<Row>): boolean {
  const { lifecycle } = call;
  return (
    (!lifecycle || (!lifecycle.runsUserCode && lifecycle.validateChanges !== undefined)) &&
    typeof call.options.createDefaults !== 'function'
  );
}

/**
 * Where the adapter has updateOrCreate's compound statement, in or out of your transaction, with
 * `nowait` and `lockTimeoutMs` too, when nothing of yours runs between locking and writing and the
 * defaults leave the lookup's columns alone (the row is read back by the lookup).
 */
function inCompound<Row>(call: Call<Row>): boolean {
  const { defaults } = call.options;
  const named = typeof defaults === 'object' ? Object.keys(defaults) : [];
  return (
    call.gateway.dialect.updateOrInsert !== undefined &&
    blind(call) &&
    !named.some((property) => property in call.lookup)
  );
}

/**
 * The one-statement strategies (PostgreSQL), autocommit; which one by the plan, once the defaults
 * are resolved. The UPDATE locks the row for its statement as `SELECT ... FOR NO KEY UPDATE` would,
 * so F expressions apply to the latest committed version; it writes every default, changed or not,
 * as Django's update_or_create saves them. Undefined when the statement neither updated nor
 * created (see updateOrCreate).
 */
async function updateOrInsert<Row>(
  call: Call<Row>,
  session: Session,
  inputs: PlanInputs,
): Promise<[Row, boolean] | undefined> {
  const prepared = await prepareWrites(call, session);
  // An ORM SQL value (Sequelize col('code')) may name a column, which `INSERT ... SELECT` without
  // FROM cannot see: the locking path writes it.
  if (!prepared || Object.values(prepared.created).some((v) => call.gateway.isSqlValue(v)))
    return undefined;
  const { writes } = prepared;
  const result =
    Object.keys(writes.defaults).length === 0
      ? await findOrInsertRaw(writes)
      : await updateOrInsertRaw(writes, inputs);
  return result && written(call, prepared, result);
}

/** A one-statement attempt's writes, and what runs once a row is created. */
interface Prepared<Row> {
  writes: Writes<Row>;
  /** The new row's values as given (before the ORM's insert defaults). */
  created: Record<string, unknown>;
  /** The ORM's create lifecycle for them (built-in validation), whose `stored` returns a created row. */
  pending?: PendingWrite<Row>;
}

/**
 * The defaults resolved and the new row's values, checked by the ORM's built-in validation (no
 * user code) before the statement; undefined when it refuses them: the locking path validates what
 * it writes.
 */
async function prepareWrites<Row>(
  call: Call<Row>,
  session: Session,
): Promise<Prepared<Row> | undefined> {
  const { gateway, lookup, options, lifecycle } = call;
  const key = await lookupKey(gateway, session, lookup);
  const defaults = resolveDefaults(gateway, options.defaults, 'defaults', true);
  const created = { ...createValues(call, defaults), ...lookup };
  const pending = lifecycle
    ? await lifecycle.validateChanges!(defaults, session)
        .then(() => lifecycle.beforeCreate(created, session))
        .catch(() => undefined)
    : undefined;
  if (lifecycle && !pending) return undefined;
  const values = pending ? pending.values : gateway.insertValues(created);
  return { writes: { ...call, session, key, defaults, values }, created, pending };
}

/** The row a one-statement attempt returned, as the caller gets it (hydrated, or the ORM's stored row). */
async function written<Row>(
  call: Call<Row>,
  prepared: Prepared<Row>,
  result: { raw: Record<string, unknown>; created: boolean },
): Promise<[Row, boolean]> {
  if (result.created && prepared.pending) return [await prepared.pending.stored(result.raw), true];
  return [call.gateway.hydrate(result.raw), result.created];
}

/**
 * `compound-statement`: lock the lookup's row, update it or insert it, read it back, in one
 * compound statement (updateOrInsertSql: its SQL), in a transaction of its own or in yours.
 * Undefined when the server runs no compound statement (MySQL 8), the defaults function named a
 * lookup column, or the INSERT lost the lookup's key to a concurrent creator or a soft-deleted row:
 * the locking strategies follow (a lost race then updates the winner's row).
 */
async function updateOrInsertCompound<Row>(
  call: Call<Row>,
  session: Session,
  ownTransaction: boolean,
): Promise<[Row, boolean] | undefined> {
  const { gateway, lookup, options } = call;
  const compound = gateway.dialect.updateOrInsert!;
  if (Number((await serverFact(gateway, session, compound.availableSql))?.available) !== 1)
    return undefined;
  const prepared = await prepareWrites(call, session);
  if (!prepared || Object.keys(prepared.writes.defaults).some((p) => p in lookup)) return undefined;
  const { writes } = prepared;
  await assertStrictArithmetic(gateway, session, writes.defaults);
  const strength = lockStrengthFor(gateway, writes.defaults, writes.key.columns);
  const { sql, parameters } = updateOrInsertSql(
    gateway,
    {
      ...writes,
      lock: gateway.dialect.lockClause(strength, {}),
      lockWaitMs: options.nowait ? 0 : options.lockTimeoutMs,
    },
    ownTransaction,
  );
  const answer = await run(gateway, session, sql, parameters).catch((error: unknown) => {
    if (error instanceof ConflictError && error.constraint === writes.key.name) return undefined;
    throw error;
  });
  const [row] = answer ? firstResultSet(answer.rows) : [];
  if (!row) return undefined;
  const { [createdMarker]: made, ...raw } = row;
  return written(call, prepared, { raw, created: Number(made) === 1 });
}

/**
 * One one-statement attempt with its defaults resolved: the values it writes to a found row and
 * those of a new row.
 */
interface Writes<Row> extends LookupCall<Row> {
  session: Session;
  defaults: Record<string, unknown>;
  values: Record<string, unknown>;
}

/**
 * `update-first`, `insert-or-update`, `guarded-insert` or `one-statement` by the table's last two
 * outcomes (the plan), where the defaults write something. Undefined when nothing was updated or created (a row
 * committed or deleted meanwhile): the locking strategies follow.
 */
async function updateOrInsertRaw(
  at: Writes<unknown>,
  inputs: PlanInputs,
): Promise<{ raw: Record<string, unknown>; created: boolean } | undefined> {
  const { gateway, session } = at;
  await assertStrictArithmetic(gateway, session, at.defaults);
  const last = lastOutcome(gateway, 'updateOrCreate in one statement');
  const strategy = choose(plan, {
    ...inputs,
    writesDefaults: true,
    recent: last.recent,
    upsertable: upsertable(at),
  });
  const result =
    strategy === 'update-first'
      ? (await updateOnly(at)) || (await updateOrInsertWith(at))
      : strategy === 'insert-or-update'
        ? await insertOrUpdateRaw(at).catch(lockingPathIfRefused)
        : strategy === 'guarded-insert'
          ? (await insertUnlessFound(at)) || (await updateOnly(at))
          : await updateOrInsertWith(at);
  if (result) last.remember(!result.created);
  return result;
}

/**
 * Undefined (the locking strategies follow) when the database refused insert-or-update's new row
 * for its values (refusedForItsValues): a found row is then updated, a missing one reports the same
 * error from its INSERT. The statement ran in autocommit: nothing to roll back.
 */
function lockingPathIfRefused(error: unknown): undefined {
  if (!refusedForItsValues(error)) throw error;
  return undefined;
}

/**
 * `insert-or-update` may run: the adapter has insertOrUpdate; the defaults are plain values (an F
 * expression or ORM SQL value keeps the UPDATE that applies it to the latest version) that leave
 * the lookup's columns alone; and the lookup's key is on every row of a model without soft delete,
 * so the row its conflict updates is the one the lookup finds (a soft-deleted row holding a full
 * key would be updated, not refused).
 */
function upsertable(at: Writes<unknown>): boolean {
  const { gateway, defaults, lookup, key } = at;
  return (
    gateway.dialect.insertOrUpdate !== undefined &&
    !gateway.softDeleteColumn &&
    key.predicate === undefined &&
    Object.entries(defaults).every(
      ([property, value]) =>
        !(property in lookup) && !isFExpression(value) && !gateway.isSqlValue(value),
    )
  );
}

/**
 * `insert-or-update`, one statement that cannot lose the insert race (the conflict waits for the
 * concurrent creator, then updates its row):
 *
 *     INSERT INTO t (<columns>) VALUES (<create values>)
 *       ON CONFLICT (<key>) DO UPDATE SET <defaults>
 *       RETURNING *, (xmax = 0) AS "racesafe_created"
 *
 * Every default is written on a found row, as update-first writes them. A found row costs what the
 * INSERT evaluates first: the new row's column defaults (one sequence value) and BEFORE INSERT
 * triggers.
 */
async function insertOrUpdateRaw(
  at: Writes<unknown>,
): Promise<{ raw: Record<string, unknown>; created: boolean }> {
  const { gateway, session, key } = at;
  const upsert = gateway.dialect.insertOrUpdate!;
  const parameters = parametersFor(gateway);
  const { columns, placeholders } = insertList(gateway, at.values, parameters);
  const set = setClause(compileAssignments(gateway, at.defaults, parameters.add, 'defaults'));
  const marker = gateway.dialect.quoteIdentifier(createdMarker);
  const sql = `INSERT INTO ${gateway.tableSql} (${columns}) VALUES (${placeholders}) ${upsert.conflictClause(key, set)} RETURNING *, ${upsert.createdSql} AS ${marker}`;
  const [row] = (await run(gateway, session, sql, parameters.values)).rows;
  const { [createdMarker]: created, ...raw } = row;
  return { raw, created: created === true };
}

/** `UPDATE t SET <defaults> WHERE <lookup> RETURNING *`: the row it updated, if any. */
async function updateOnly(
  at: Writes<unknown>,
): Promise<{ raw: Record<string, unknown>; created: false } | undefined> {
  const { gateway, lookup } = at;
  const byLookup = (parameters: Parameters) => liveLookupCondition(gateway, lookup, parameters);
  const { sql, parameters } = updateStatement(gateway, at.defaults, byLookup, {
    returning: true,
    group: 'defaults',
  });
  // The lookup covers a unique key of live rows (lookupKey): at most one row.
  const [updated] = (await run(gateway, at.session, sql, parameters)).rows;
  return updated && { raw: updated, created: false };
}

/**
 * The WITH of `one-statement`:
 *
 *     WITH updated AS (UPDATE t SET <defaults> WHERE <lookup> RETURNING *),
 *          made AS (INSERT INTO t (<columns>) SELECT <create values> WHERE NOT EXISTS (SELECT 1 FROM updated)
 *                   ON CONFLICT (<key>) DO NOTHING RETURNING *)
 *     SELECT false AS "racesafe_created", * FROM updated UNION ALL SELECT true, * FROM made
 */
function updateOrInsertWith(
  at: Writes<unknown>,
): Promise<{ raw: Record<string, unknown>; created: boolean } | undefined> {
  const { gateway, lookup } = at;
  const parameters = parametersFor(gateway);
  const byLookup = (bound: Parameters) => liveLookupCondition(gateway, lookup, bound);
  const update = updateStatement(gateway, at.defaults, byLookup, {
    returning: true,
    group: 'defaults',
    parameters,
  });
  const first = { name: 'updated', sql: update.sql };
  return insertUnlessFirst(at, first, parameters);
}

/**
 * `locking-apart`: updateOrCreate in racesafe's own transactions where a locking read of a missing
 * row locks the gap (MySQL: docs/database-behaviours.md#mysql-gap-locks-deadlock-two-inserts):
 * lock and update in one transaction; if the row is missing, that transaction ends (its gap lock
 * with it) and the row is created on its own, so no caller holds a gap lock while it inserts; a
 * concurrent creator's row is then locked and updated.
 */
async function updateOrCreateApart<Row>(call: Call<Row>): Promise<[Row, boolean]> {
  const { gateway, lookup, options } = call;
  const lockAndUpdate = () =>
    gateway.transaction((session) =>
      lockAndUpdateOrCreate({ ...call, session, callerOwnsTransaction: false, mayCreate: false }),
    );
  const updated = await lockAndUpdate();
  if (updated) return updated;
  const key = await gateway.autocommit(async (session) => lookupKey(gateway, session, lookup));
  const values = {
    ...resolveDefaults(
      gateway,
      options.createDefaults ?? options.defaults,
      options.createDefaults ? 'createDefaults' : 'defaults',
    ),
    ...lookup,
  };
  const created = await createOnItsOwn({ ...call, key }, values);
  if (created) return [created, true];
  const winner = await lockAndUpdate();
  if (winner) return winner;
  await gateway.autocommit((session) => assertNoDeletedRowHolds(gateway, session, lookup, key));
  throw new RetryableError(
    `${gateway.modelName}: the row a concurrent caller created was gone before it could be locked; retrying`,
    { fields: Object.keys(lookup) },
  );
}

/**
 * The checks, before any statement: every name known, the lookup plain, the defaults writable, F
 * expressions only where they can apply, a valid lock timeout.
 */
function checkUpdateOrCreate(
  gateway: ModelGateway<unknown>,
  lookup: Record<string, unknown>,
  options: UpdateOrCreateCoreOptions,
): void {
  const defaults = typeof options.defaults === 'function' ? undefined : options.defaults;
  const createDefaults =
    typeof options.createDefaults === 'function' ? undefined : options.createDefaults;
  assertKnownFields(gateway, { lookup, defaults, createDefaults });
  assertPlainLookup(gateway, lookup);
  if (defaults) assertWritableValues(gateway, 'defaults', defaults, true);
  if (createDefaults) assertWritableValues(gateway, 'createDefaults', createDefaults, false);
  if (
    defaults &&
    options.createDefaults === undefined &&
    Object.values(defaults).some(isFExpression)
  ) {
    throw new InvalidFieldError(
      'defaults holds F expressions, which cannot build a new row: give createDefaults for the create path',
      {
        fields: Object.keys(defaults).filter((p) => isFExpression(defaults[p])),
      },
    );
  }
  const { lockTimeoutMs } = options;
  if (lockTimeoutMs !== undefined && !(Number.isInteger(lockTimeoutMs) && lockTimeoutMs > 0)) {
    throw new InvalidFieldError(
      `lockTimeoutMs must be a positive integer of milliseconds, got ${String(lockTimeoutMs)}`,
    );
  }
}

/**
 * The defaults that change the row: F expressions and ORM SQL values (computed by the database)
 * always, plain values when they differ.
 */
function changesOf<Row>(
  gateway: ModelGateway<Row>,
  row: Row,
  defaults: Record<string, unknown>,
): Record<string, unknown> {
  const computed = (value: unknown) => isFExpression(value) || gateway.isSqlValue(value);
  return Object.fromEntries(
    Object.entries(defaults).filter(
      ([property, value]) => computed(value) || !sameValue(gateway.readValue(row, property), value),
    ),
  );
}

/**
 * UPDATE of the locked row with its changes (see changesOf), after the ORM's before-update
 * hooks (which may add changes); returns the row as stored, after-update hooks run.
 */
async function writeChanges<Row>(
  at: Locking<Row>,
  row: Row,
  changes: Record<string, unknown>,
): Promise<Row> {
  const { gateway, session, lookup, lifecycle } = at;
  const pending = lifecycle ? await lifecycle.beforeUpdate(row, changes, session) : undefined;
  const values = pending ? pending.values : changes;
  // Nothing to write, even after the hooks: the ORM's save() sends no UPDATE either.
  if (Object.keys(values).length === 0) return row;
  const condition = (parameters: Parameters) => rowCondition(gateway, row, lookup, parameters);
  const { sql, parameters } = updateStatement(gateway, values, condition, {
    returning: true,
    group: 'defaults',
  });
  const { rows } = await run(gateway, session, sql, parameters);
  // No UPDATE ... RETURNING (MySQL, MariaDB): the row is still locked by this transaction, so a
  // re-read is what was written.
  const raw = gateway.dialect.supportsReturning
    ? rows[0]
    : (await selectWhere(gateway, session, condition))[0];
  return pending ? pending.stored(raw) : gateway.hydrate(raw);
}

/** The locked row by primary key; by the (unique) lookup when the model has no primary key. */
function rowCondition<Row>(
  gateway: ModelGateway<Row>,
  row: Row,
  lookup: Record<string, unknown>,
  parameters: Parameters,
): string {
  const primary = gateway.columns().filter((c) => c.primary);
  if (primary.length === 0) return lookupCondition(gateway, lookup, parameters);
  return lookupCondition(
    gateway,
    Object.fromEntries(primary.map((c) => [c.property, gateway.readValue(row, c.property)])),
    parameters,
  );
}
