import { updateStatement } from '../sql/assignments';
import type { LockStrength, UniqueKey } from '../dialects';
import { InvalidFieldError, RetryableError } from '../errors';
import { isFExpression } from '../expressions';
import type { ModelGateway, RowLifecycle, Session } from '../gateway';
import { createOnItsOwn, createWithHooks, insertUnlessTaken } from '../steps/create-row';
import { type Defaults, resolveDefaults } from '../steps/defaults';
import { assertNoDeletedRowHolds } from '../steps/read-winner';
import { withRetries, type RetryPolicy } from '../db/retry';
import { type Parameters, onlyPlaceholder, parametersFor } from '../sql/parameters';
import {
  findOne,
  findOrInsertRaw,
  insertUnlessFirst,
  insertUnlessFound,
  selectWhere,
} from '../db/queries';
import { inCallerTransaction, inSavepoint } from '../db/transactions';
import { liveLookupCondition, lookupCondition } from '../sql/conditions';
import { run } from '../db/run';
import { sameValue } from '../sql/same-value';
import { assertStrictArithmetic } from '../server/strict-mode';
import { lastOutcome } from '../server/last-outcome';
import { lookupKey } from '../server/unique-keys';
import { assertKnownFields, assertPlainLookup, assertWritableValues } from '../validate';

/** Options of updateOrCreate, shared by both packages. */
export interface UpdateOrCreateCoreOptions {
  /** Values written to the row, found or created. May hold F expressions (applied in SQL on the update path). */
  defaults?: Defaults<Record<string, unknown>>;
  /** Values for a new row instead of `defaults` (plain values only). */
  createDefaults?: Defaults<Record<string, unknown>>;
  /**
   * Fail at once with LockNotAvailableError instead of waiting for the row lock. SQLite (no row
   * locks): for the database's write lock, at the BEGIN IMMEDIATE of racesafe's own transaction.
   */
  nowait?: boolean;
  /** Wait at most this long for the row lock (SQLite: the database's write lock, as for nowait), then LockNotAvailableError. */
  lockTimeoutMs?: number;
  /** Retries of racesafe's own transaction after a deadlock or serialization failure. */
  retry?: RetryPolicy;
}

/**
 * Django's update_or_create: lock the row (SELECT ... FOR [NO KEY] UPDATE), write the
 * `defaults` that change it; or create it, and if a concurrent creator wins, lock and
 * update that row. Always runs in a transaction: the caller's, or one of its own.
 */
export async function updateOrCreate<Row>(
  gateway: ModelGateway<Row>,
  lookup: Record<string, unknown>,
  options: UpdateOrCreateCoreOptions = {},
): Promise<[Row, boolean]> {
  checkUpdateOrCreate(gateway, lookup, options);
  const callerTransaction = gateway.callerTransaction();
  // Retries belong to the outermost transaction: inside the caller's, RetryableError surfaces.
  if (callerTransaction)
    return inCallerTransaction(
      callerTransaction,
      (session) =>
        lockAndUpdateOrCreate(gateway, session, lookup, options, true, true) as Promise<
          [Row, boolean]
        >,
    );
  if (inOneStatement(gateway, options)) {
    const done = await withRetries(options.retry, () =>
      gateway.autocommit((session) => updateOrInsert(gateway, session, lookup, options)),
    );
    if (done) return done;
    // It neither updated nor created: a row committed or deleted between its snapshot and its INSERT, or a soft-deleted row holds the key. The locking path sorts it out.
  }
  if (!gateway.dialect.missingRowLockBlocksInserts) {
    const own = { lockWaitMs: options.nowait ? 0 : options.lockTimeoutMs };
    return withRetries(options.retry, () =>
      gateway.transaction(
        (session) =>
          lockAndUpdateOrCreate(gateway, session, lookup, options, false, true) as Promise<
            [Row, boolean]
          >,
        own,
      ),
    );
  }
  return withRetries(options.retry, () => updateOrCreateApart(gateway, lookup, options));
}

/**
 * Outside your transaction, with no code of yours between reading and writing (hooks, a
 * createDefaults function) and no lock options: one statement where the database can.
 */
function inOneStatement(
  gateway: ModelGateway<unknown>,
  options: UpdateOrCreateCoreOptions,
): boolean {
  const { nowait, lockTimeoutMs, createDefaults } = options;
  const lifecycle = gateway.lifecycle(options);
  const blind = !lifecycle || (!lifecycle.runsUserCode && lifecycle.validateChanges !== undefined);
  return (
    gateway.dialect.writesInWith &&
    blind &&
    !nowait &&
    lockTimeoutMs === undefined &&
    typeof createDefaults !== 'function'
  );
}

/**
 * updateOrCreate in one statement (PostgreSQL), autocommit:
 *
 *     WITH updated AS (UPDATE t SET <defaults> WHERE <lookup> RETURNING *),
 *          made AS (INSERT INTO t (<columns>) SELECT <create values> WHERE NOT EXISTS (SELECT 1 FROM updated)
 *                   ON CONFLICT (<key>) DO NOTHING RETURNING *)
 *     SELECT false AS "racesafe_created", * FROM updated UNION ALL SELECT true, * FROM made
 *
 * The UPDATE locks the row for its statement as `SELECT ... FOR NO KEY UPDATE` would, so F
 * expressions apply to the latest committed version; it writes every default, changed or not,
 * as Django's update_or_create saves them. No defaults: getOrCreate's one statement. Undefined
 * when the statement neither updated nor created (see updateOrCreate).
 */
async function updateOrInsert<Row>(
  gateway: ModelGateway<Row>,
  session: Session,
  lookup: Record<string, unknown>,
  options: UpdateOrCreateCoreOptions,
): Promise<[Row, boolean] | undefined> {
  const key = await lookupKey(gateway, session, lookup);
  const defaults = resolveDefaults(gateway, options.defaults, 'defaults', true);
  const createValues = {
    ...resolveDefaults(
      gateway,
      options.createDefaults ?? defaults,
      options.createDefaults ? 'createDefaults' : 'defaults',
    ),
    ...lookup,
  };
  // An ORM SQL value (Sequelize col('code')) may name a column, which `INSERT ... SELECT` without FROM cannot see: the locking path writes it.
  if (Object.values(createValues).some((value) => gateway.isSqlValue(value))) return undefined;
  // Built-in validation only (no user code): both writes checked before the statement; values it refuses take the locking path, which validates what it writes.
  const lifecycle = gateway.lifecycle(options);
  const pending = lifecycle
    ? await lifecycle.validateChanges!(defaults, session)
        .then(() => lifecycle.beforeCreate(createValues, session))
        .catch(() => undefined)
    : { values: gateway.insertValues(createValues), stored: undefined };
  if (!pending) return undefined;
  const result =
    Object.keys(defaults).length === 0
      ? await findOrInsertRaw(gateway, session, lookup, pending.values, key)
      : await updateOrInsertRaw(gateway, session, lookup, defaults, pending.values, key);
  if (!result) return undefined;
  if (result.created && pending.stored) return [await pending.stored(result.raw), true];
  return [gateway.hydrate(result.raw), result.created];
}

/**
 * The statement sent first is chosen per table by the last two calls' outcomes (last-outcome.ts):
 * after updates the plain `UPDATE ... RETURNING` (then the WITH if it found no row); after
 * creations the guarded INSERT (statements.ts insertUnlessFound, then the UPDATE if a row was
 * there); otherwise the WITH above, 1 statement either way but dearer to plan. Undefined when
 * nothing was updated or created (a row committed or deleted meanwhile): the locking path follows.
 */
async function updateOrInsertRaw(
  gateway: ModelGateway<unknown>,
  session: Session,
  lookup: Record<string, unknown>,
  defaults: Record<string, unknown>,
  values: Record<string, unknown>,
  key: UniqueKey,
): Promise<{ raw: Record<string, unknown>; created: boolean } | undefined> {
  await assertStrictArithmetic(gateway, session, defaults);
  const last = lastOutcome(gateway, 'updateOrCreate in one statement');
  const byLookup = (parameters: Parameters) => liveLookupCondition(gateway, lookup, parameters);
  const updateOnly = async () => {
    const { sql, parameters } = updateStatement(gateway, defaults, byLookup, {
      returning: true,
      group: 'defaults',
    });
    // The lookup covers a unique key of live rows (lookupKey): at most one row.
    const [updated] = (await run(gateway, session, sql, parameters)).rows;
    return updated && { raw: updated, created: false };
  };
  const bothInOne = () => {
    const parameters = parametersFor(gateway);
    const update = updateStatement(gateway, defaults, byLookup, {
      returning: true,
      group: 'defaults',
      parameters,
    });
    return insertUnlessFirst(
      gateway,
      session,
      lookup,
      { name: 'updated', sql: update.sql },
      parameters,
      values,
      key,
    );
  };
  const result =
    last.next === 'find-first'
      ? (await updateOnly()) || (await bothInOne())
      : last.next === 'create-first'
        ? (await insertUnlessFound(gateway, session, lookup, values, key)) || (await updateOnly())
        : await bothInOne();
  if (result) last.remember(!result.created);
  return result;
}

/**
 * updateOrCreate in racesafe's own transactions where a locking read of a missing row locks
 * the gap (MySQL: docs/database-behaviours.md#mysql-gap-locks-deadlock-two-inserts): lock and update in one transaction; if the row is missing, that
 * transaction ends (its gap lock with it) and the row is created on its own, so no caller
 * holds a gap lock while it inserts; a concurrent creator's row is then locked and updated.
 */
async function updateOrCreateApart<Row>(
  gateway: ModelGateway<Row>,
  lookup: Record<string, unknown>,
  options: UpdateOrCreateCoreOptions,
): Promise<[Row, boolean]> {
  const lockAndUpdate = () =>
    gateway.transaction((session) =>
      lockAndUpdateOrCreate(gateway, session, lookup, options, false, false),
    );
  const updated = await lockAndUpdate();
  if (updated) return updated;
  const key = await gateway.autocommit(async (session) => lookupKey(gateway, session, lookup));
  const createDefaults = options.createDefaults ?? options.defaults;
  const values = {
    ...resolveDefaults(
      gateway,
      createDefaults,
      options.createDefaults ? 'createDefaults' : 'defaults',
    ),
    ...lookup,
  };
  const created = await createOnItsOwn(gateway, lookup, values, key, gateway.lifecycle(options));
  if (created) return [created, true];
  const winner = await lockAndUpdate();
  if (winner) return winner;
  await gateway.autocommit((session) => assertNoDeletedRowHolds(gateway, session, lookup, key));
  throw new RetryableError(
    `${gateway.modelName}: the row a concurrent caller created was gone before it could be locked; retrying`,
    { fields: Object.keys(lookup) },
  );
}

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

async function lockAndUpdateOrCreate<Row>(
  gateway: ModelGateway<Row>,
  session: Session,
  lookup: Record<string, unknown>,
  options: UpdateOrCreateCoreOptions,
  callerOwnsTransaction: boolean,
  mayCreate: boolean,
): Promise<[Row, boolean] | undefined> {
  const key = await lookupKey(gateway, session, lookup);
  const defaults = resolveDefaults(gateway, options.defaults, 'defaults', true);
  const lifecycle = gateway.lifecycle(options);
  const update = async (row: Row) => {
    const changes = changesOf(gateway, row, defaults);
    // Nothing to write and no hook of yours to run: no UPDATE, as save() sends none.
    if (Object.keys(changes).length === 0 && !lifecycle?.runsUserCode) return row;
    await assertStrictArithmetic(gateway, session, changes);
    const write = () => writeChanges(gateway, session, row, lookup, changes, lifecycle);
    // Like Django's atomic() around update_or_create: a failed UPDATE (another unique key, 22012) or hook must not abort the caller's transaction.
    return callerOwnsTransaction ? inSavepoint(gateway, session, write) : write();
  };
  const strength = lockStrengthFor(gateway, defaults, key.columns);
  const existing = await lockRowForUpdate(gateway, session, lookup, strength, options);
  if (existing) return [await update(existing), false];
  if (!mayCreate) return undefined;

  const createValues = resolveDefaults(
    gateway,
    options.createDefaults ?? defaults,
    options.createDefaults ? 'createDefaults' : 'defaults',
  );
  const values = { ...createValues, ...lookup };
  const created = lifecycle
    ? await createWithHooks(gateway, lookup, values, key, lifecycle, (work) =>
        inSavepoint(gateway, session, () => work(session)),
      )
    : await insertUnlessTaken(gateway, session, values, key);
  if (created) return [created, true];

  // A concurrent creator committed this lookup first: lock its row and update it instead.
  const winner = await lockRowForUpdate(gateway, session, lookup, strength, options);
  if (!winner) {
    await assertNoDeletedRowHolds(gateway, session, lookup, key);
    throw new RetryableError(
      `${gateway.modelName}: a concurrent transaction created this row, but this transaction's snapshot cannot see it (REPEATABLE READ / SERIALIZABLE). Retry the transaction.`,
      { fields: Object.keys(lookup) },
    );
  }
  return [await update(winner), false];
}

/** FOR NO KEY UPDATE does not block foreign-key inserts elsewhere; writing a key column needs FOR UPDATE. */
function lockStrengthFor(
  gateway: ModelGateway<unknown>,
  defaults: Record<string, unknown>,
  keyColumns: string[],
): LockStrength {
  const writesKey = Object.keys(defaults).some((property) => {
    const column = gateway.column(property);
    return column !== undefined && (column.primary || keyColumns.includes(column.column));
  });
  return writesKey ? 'update' : 'no-key-update';
}

/**
 * SELECT ... FOR [NO KEY] UPDATE [NOWAIT], bounded by lockTimeoutMs. A lock failure (55P03)
 * would abort the transaction, so those variants run in a savepoint. Without row locks
 * (dialect.beginLockWait, SQLite) a plain SELECT: the write lock is the lock, and its wait was
 * bounded at the BEGIN of racesafe's own transaction.
 */
export async function lockRowForUpdate<Row>(
  gateway: ModelGateway<Row>,
  session: Session,
  lookup: Record<string, unknown>,
  strength: LockStrength,
  options: { nowait?: boolean; lockTimeoutMs?: number },
): Promise<Row | undefined> {
  const lock = { strength, nowait: options.nowait };
  if (gateway.dialect.beginLockWait || (!options.nowait && options.lockTimeoutMs === undefined))
    return findOne(gateway, session, lookup, lock);
  return inSavepoint(gateway, session, async () => {
    if (options.lockTimeoutMs === undefined) return findOne(gateway, session, lookup, lock);
    const { dialect } = gateway;
    const { rows } = await run(
      gateway,
      session,
      dialect.setLockTimeoutSql(onlyPlaceholder(gateway)),
      [String(options.lockTimeoutMs)],
    );
    // PostgreSQL returns the previous setting; MySQL keeps it in a session variable (null here).
    const restore = () =>
      run(gateway, session, dialect.restoreLockTimeoutSql(onlyPlaceholder(gateway)), [
        rows[0]?.previous ?? null,
      ]);
    let row: Row | undefined;
    try {
      row = await findOne(gateway, session, lookup, lock);
    } catch (error) {
      // MySQL: 1205 ends only the statement (docs/database-behaviours.md#a-mysql-lock-wait-timeout-ends-only-the-statement) and the session variable stays set, on a pooled connection too.
      if (dialect.lockTimeoutOutlivesRollback) await restore();
      throw error;
    }
    await restore();
    return row;
  });
}

/** The defaults that change the row: F expressions and ORM SQL values (computed by the database) always, plain values when they differ. */
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
  gateway: ModelGateway<Row>,
  session: Session,
  row: Row,
  lookup: Record<string, unknown>,
  changes: Record<string, unknown>,
  lifecycle: RowLifecycle<Row> | undefined,
): Promise<Row> {
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
  // No UPDATE ... RETURNING (MySQL, MariaDB): the row is still locked by this transaction, so a re-read is what was written.
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
