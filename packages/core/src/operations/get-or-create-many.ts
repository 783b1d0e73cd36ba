// getOrCreateMany, Django's get_or_create for many lookups of one unique key: per chunk, SELECT
// the rows; INSERT the missing ones unless racing callers took them; read the winners' rows. The
// file reads in that order: the plan (a decision table naming a strategy), the three steps of a
// chunk (resolveChunk), the call (its checks, its session), then the statements.
import type { LockStrength, UniqueKey } from '../dialects';
import { ConflictError } from '../errors';
import type { ModelGateway, PendingWrite, RowLifecycle, Session } from '../gateway';
import { readWinner } from '../steps/read-winner';
import { createWithHooks } from '../steps/create-row';
import { columnTypes } from '../server/column-types';
import { guardedInsert } from '../sql/insert-new-rows';
import { type Recent, lastOutcome } from '../server/last-outcome';
import { type PlanRow, choose } from '../steps/plan';
import { matchId, matchRows } from '../sql/match-rows';
import { type RetryPolicy, withRetries } from '../db/retry';
import { parametersFor } from '../sql/parameters';
import { findOne, firstResultSet } from '../db/queries';
import { serverFact } from '../server/server-facts';
import { inSavepoint, withSession } from '../db/transactions';
import { lookupsCondition, multiRowInsert } from '../sql/many-rows';
import { run } from '../db/run';
import { lookupKey } from '../server/unique-keys';
import type { ManyDefaults } from '../steps/defaults';
import { type Wanted, checkLookups, checkedDefaults, chunksOf } from '../steps/many-lookups';

/** Options of getOrCreateMany, shared by both packages. */
export interface GetOrCreateManyCoreOptions {
  defaults?: ManyDefaults;
  /** Retries when racesafe owns the statements (default 5 attempts). */
  retry?: RetryPolicy;
}

/**
 * How each chunk of a getOrCreateMany call starts; docs/guide.md section 8 shows both under the
 * same name.
 * - `select-first`: SELECT the chunk's keys, one multi-row INSERT of the missing ones, re-read what
 *   a racing caller took;
 * - `guarded-insert`: one `INSERT ... SELECT ... FROM unnest(...) WHERE NOT EXISTS (...)` of every
 *   key, then SELECT the ones it did not insert;
 * - `compound-statement`: SELECT the chunk's keys, then the multi-row INSERT of the missing ones and
 *   the SELECT reading them back in one compound statement (MariaDB's `BEGIN NOT ATOMIC`,
 *   {@link DialectAdapter.insertThenSelect}): 2 round trips, in a transaction of its own or in yours.
 */
export type GetOrCreateManyStrategy = 'select-first' | 'guarded-insert' | 'compound-statement';

/** What the plan reads, all known before any statement. */
interface PlanInputs {
  /**
   * What the table's last two calls did (last-outcome.ts: `creating` when both created most of
   * their keys).
   */
  recent: Recent;
  /** The dialect binds a column's values as one array (`DialectAdapter.arrayRows`, PostgreSQL). */
  arrays: boolean;
  /** A defaults function or the user's hooks, which must run only for rows about to be created. */
  userCodeBeforeCreate: boolean;
  /**
   * The adapter has the compound INSERT-then-SELECT, the call is one chunk, and no hooks of the
   * user's run or write (whether the server runs it is asked in the attempt).
   */
  compound: boolean;
}

/** The plan: the first row whose inputs hold names the strategy. */
const plan: PlanRow<PlanInputs, GetOrCreateManyStrategy>[] = [
  [{ recent: 'creating', arrays: true, userCodeBeforeCreate: false }, 'guarded-insert'],
  [{ compound: true }, 'compound-statement'],
  [{}, 'select-first'],
];

/** What every chunk of one call shares. */
interface Batch<Row> {
  gateway: ModelGateway<Row>;
  /** The lookups' properties, sorted: the order rows and lookups are matched in. */
  properties: string[];
  defaults: ManyDefaults | undefined;
  lifecycle: RowLifecycle<Row> | undefined;
  /** Send the guarded INSERT first (the table's last calls created most of their keys). */
  insertFirst: boolean;
  /**
   * Identities (rowIdentity) of rows this call inserted that no lookup matched by value: the
   * stored key differs from the value given (a number for a text key, a Date, a lone surrogate).
   * The lookup the database finds them by later is their creator.
   */
  insertedUnmatched: Set<string>;
}

/**
 * Django's three steps for one chunk of lookups: SELECT their rows (or, `guarded-insert`, INSERT
 * the keys no row has first); INSERT the missing ones unless a racing caller took them; read the
 * winners' rows of the keys no INSERT of this call made.
 */
async function resolveChunk<Row>(
  batch: Batch<Row>,
  session: Session,
  chunk: Wanted<Row>[],
  key: UniqueKey,
): Promise<void> {
  const open = chunk.filter((w) => !w.result);
  if (open.length === 0) return;
  if (!(batch.insertFirst && (await insertNew(batch, session, open, key)))) {
    await findExisting(batch, session, open);
    const missing = open.filter((w) => !w.result);
    if (missing.length === 0) return;
    await createMissing(batch, session, missing, key);
  }
  await readTaken(batch, session, open, key);
}

/**
 * The keys no INSERT of this call made: rows that were there, or that a concurrent caller took
 * meanwhile, read in one statement.
 */
async function readTaken<Row>(
  batch: Batch<Row>,
  session: Session,
  open: Wanted<Row>[],
  key: UniqueKey,
): Promise<void> {
  const taken = open.filter((w) => !w.result);
  if (taken.length === 0) return;
  const { gateway } = batch;
  const winners = await selectLookups(
    gateway,
    session,
    taken,
    gateway.dialect.lockingReadAfterConflict,
  );
  for (const [w, { row }] of matchRows(gateway, taken, winners, batch.properties))
    w.result = [row, false];
  // Not visible in this snapshot, deleted since, or matched only by collation or by the stored form
  // of its value: readWinner reads each again.
  for (const w of taken) {
    if (w.result) continue;
    const row = await readWinner(gateway, session, w.lookup, key);
    const identity = rowIdentity(gateway, row);
    w.result = [row, identity !== undefined && batch.insertedUnmatched.has(identity)];
  }
}

/**
 * getOrCreate for many lookups of one unique key: `[row, created][]` in input order; a lookup
 * given twice gets the same row (created at most once, reported created on its first place).
 * Per chunk of lookups (sized under the dialect's bound-parameter limit), which statement first
 * chosen per table by the last two calls' outcomes there (last-outcome.ts):
 * - `select-first` (the usual case, and always with a `defaults` function or hooks that run user
 *   code):
 *   `SELECT * FROM t WHERE "k" IN ($1, $2, ...)` (1 round trip when every key has a row), then for
 *   the rows missing one multi-row `INSERT ... VALUES (...), (...) ON CONFLICT (<key>) DO NOTHING
 *   RETURNING *` in key order (2), then one re-read of the keys a concurrent caller took meanwhile.
 *   Without ON CONFLICT (MySQL) the INSERT runs in a savepoint and a 1062 falls back to one row at
 * a time.
 * - `guarded-insert`, where the dialect binds a column's values as one array
 *   (`DialectAdapter.arrayRows`, PostgreSQL) and the last two calls created most of their keys:
 *   `INSERT INTO t (...) SELECT ... FROM unnest($1::text[], ...) WITH ORDINALITY AS v WHERE NOT
 * EXISTS
 *   (SELECT 1 FROM t WHERE t.<key> = v.<key> OFFSET 0) ORDER BY <position> ON CONFLICT (<key>) DO
 * NOTHING RETURNING *`
 *   (1 round trip when every key is new; no sequence value drawn for a key that has a row, though a
 * key
 *   taken concurrently between the guard and the insert can still draw one, as in getOrCreate),
 * then one
 *   SELECT of the keys it did not insert (2).
 * Rows are inserted in key order either way: two batches that insert overlapping keys wait for each
 * other instead of deadlocking.
 * All of it commits together: in your transaction inside one savepoint, else in one statement
 * per chunk when one chunk is all there is (each statement is atomic), else (several chunks, a
 * soft-deleting model, hooks that write) in a transaction of racesafe's own.
 */
export async function getOrCreateMany<Row>(
  gateway: ModelGateway<Row>,
  lookups: Record<string, unknown>[],
  options: GetOrCreateManyCoreOptions = {},
): Promise<[Row, boolean][]> {
  const { wanted, ids, properties } = checkLookups(gateway, lookups, options.defaults);
  if (wanted.length === 0) return [];
  const lifecycle = gateway.lifecycle(options);
  const last = lastOutcome(gateway, 'getOrCreateMany');
  const chunks = chunksOf(gateway, wanted, lookups[0], options.defaults);
  const strategy = choose(plan, {
    recent: last.recent,
    arrays: gateway.dialect.arrayRows !== undefined,
    userCodeBeforeCreate: typeof options.defaults === 'function' || !!lifecycle?.runsUserCode,
    compound:
      gateway.dialect.insertThenSelect !== undefined &&
      chunks.length === 1 &&
      !lifecycle?.runsUserCode &&
      !lifecycle?.atomic,
  });
  const batch: Batch<Row> = {
    gateway,
    properties,
    defaults: options.defaults,
    lifecycle,
    insertFirst: strategy === 'guarded-insert',
    insertedUnmatched: new Set(),
  };
  const retry = <T>(attempt: () => Promise<T>) => withRetries(options.retry, attempt);
  const resolved =
    strategy === 'compound-statement' &&
    (await withSession<boolean>(
      gateway,
      gateway.callerTransaction(),
      { own: 'autocommit', retry },
      (session) => resolveCompound(batch, session, chunks[0]).catch(forget(wanted)),
    ));
  // Otherwise (MySQL 8, rows of different columns, a key taken meanwhile): the chunk's statements
  // one by one.
  const own = ownSession(batch, chunks.length);
  if (!resolved)
    await withSession(gateway, gateway.callerTransaction(), { own, retry }, (session, kind) => {
      const work = () => resolveAll(batch, session, chunks);
      // In your transaction all of it sits in one savepoint: a ConflictError on another key writes
      // nothing of the call.
      if (kind === 'caller') return inSavepoint(gateway, session, work);
      return kind === 'transaction' ? work().catch(forget(wanted)) : work();
    });
  const found = wanted.reduce((n, w) => n + (w.result![1] ? 0 : 1), 0);
  last.remember(found * 2 >= wanted.length);
  return inInputOrder(gateway, wanted, ids);
}

/**
 * Outside your transaction: autocommit statements when one chunk is all there is (each statement
 * is atomic), else a transaction of racesafe's own: several chunks, hooks that write, no RETURNING
 * (rows read back in the INSERT's transaction), or a soft-deleting model (a soft-deleted row
 * holding a key is found only after the INSERT took the chunk's other keys: a transaction keeps
 * that ConflictError from leaving them written).
 */
function ownSession<Row>(batch: Batch<Row>, chunks: number): 'autocommit' | 'transaction' {
  const { gateway, lifecycle } = batch;
  return chunks === 1 &&
    !lifecycle?.atomic &&
    gateway.dialect.supportsReturning &&
    !gateway.softDeleteColumn
    ? 'autocommit'
    : 'transaction';
}

/**
 * `[row, created]` per input lookup. A row created by this call is reported created once, at the
 * first input lookup that got it: the same lookup given twice, or two lookups the database stores
 * as one key (`5` and `'5'` for a text key), share the row.
 */
function inInputOrder<Row>(
  gateway: ModelGateway<Row>,
  wanted: Wanted<Row>[],
  ids: string[],
): [Row, boolean][] {
  const byId = new Map(wanted.map((w) => [w.id, w]));
  const identity = (w: Wanted<Row>) => rowIdentity(gateway, w.result![0]) ?? `id:${w.id}`;
  const created = new Set(wanted.filter((w) => w.result![1]).map(identity));
  return ids.map((id) => {
    const w = byId.get(id)!;
    const row = w.result![0];
    // First input place of a created row: reported created, and no later place is.
    return [row, created.delete(identity(w))];
  });
}

/** A stored row's primary key values as one string; undefined for a model without a primary key. */
function rowIdentity<Row>(gateway: ModelGateway<Row>, row: Row): string | undefined {
  const primary = gateway.columns().filter((c) => c.primary);
  return primary.length === 0
    ? undefined
    : matchId(primary.map((c) => gateway.readValue(row, c.property)));
}

/** A rolled-back attempt's results are not results: the next attempt starts over. */
const forget =
  <Row>(wanted: Wanted<Row>[]) =>
  (error: unknown): never => {
    for (const w of wanted) w.result = undefined;
    throw error;
  };

async function resolveAll<Row>(
  batch: Batch<Row>,
  session: Session,
  chunks: Wanted<Row>[][],
): Promise<void> {
  const { gateway } = batch;
  const pending = lookupKey(gateway, session, chunks[0][0].lookup);
  const key = pending instanceof Promise ? await pending : pending;
  // Every lookup names the same properties: only one with a NULL can be refused by the key (NULLS
  // DISTINCT), checked before anything is sent.
  for (const chunk of chunks)
    for (const w of chunk) if (w.hasNull) await lookupKey(gateway, session, w.lookup);
  for (const chunk of chunks) await resolveChunk(batch, session, chunk, key);
}

/**
 * How often `compound-statement` SELECTs and INSERTs again, outside a transaction, after its INSERT
 * lost a key to a concurrent caller: each SELECT, with a snapshot of its own, sees the keys the
 * winners committed, and the next INSERT leaves them out. Past that, the select-first path, which
 * after a lost key inserts one row at a time (four round trips a row: it was the p99 of 200-key
 * batches racing each other on MariaDB, 0.8-2.1 s against a 38-89 ms median).
 */
const COMPOUND_ATTEMPTS = 4;

/**
 * `compound-statement` for the call's one chunk: SELECT its keys, then one compound statement
 * (insertThenSelect) of the missing ones; after a lost key, again (see {@link COMPOUND_ATTEMPTS}).
 * False, every result forgotten, when the server runs no compound statement (MySQL 8), the rows to
 * insert have different columns, or the INSERT kept losing keys (in your transaction, after the
 * first: its snapshot hides the winners' rows): the caller takes the select-first path.
 */
async function resolveCompound<Row>(
  batch: Batch<Row>,
  session: Session,
  chunk: Wanted<Row>[],
): Promise<boolean> {
  const { gateway } = batch;
  const sql = gateway.dialect.insertThenSelect!.availableSql;
  if (Number((await serverFact(gateway, session, sql))?.available) !== 1) return false;
  const key = await lookupKey(gateway, session, chunk[0].lookup);
  for (const w of chunk) if (w.hasNull) await lookupKey(gateway, session, w.lookup);
  for (let attempt = 1; ; attempt++) {
    const open = chunk.filter((w) => !w.result);
    await findExisting(batch, session, open);
    const missing = open.filter((w) => !w.result);
    const outcome =
      missing.length > 0 ? await insertThenSelect(batch, session, missing, key) : 'inserted';
    if (outcome === 'inserted') break;
    if (outcome === 'not sent' || session.inTransaction || attempt === COMPOUND_ATTEMPTS) {
      for (const w of chunk) w.result = undefined;
      return false;
    }
  }
  await readTaken(batch, session, chunk, key);
  return true;
}

/**
 * The missing rows' multi-row INSERT and the SELECT of their keys in one compound statement, in a
 * transaction of its own (or yours), so the rows read are the ones inserted:
 * `BEGIN NOT ATOMIC [handler; START TRANSACTION;] INSERT INTO t (...) VALUES (...), (...); SELECT *
 * FROM t WHERE <keys>; [COMMIT;] END`. `not sent` for rows of different columns; `lost a key` after
 * a 1062 on the lookup's key (the whole statement undone).
 */
async function insertThenSelect<Row>(
  batch: Batch<Row>,
  session: Session,
  missing: Wanted<Row>[],
  key: UniqueKey,
): Promise<'inserted' | 'lost a key' | 'not sent'> {
  const { gateway } = batch;
  const { rows, pending } = await prepareRows(batch, session, missing);
  const columns = Object.keys(rows[0]).join(',');
  if (rows.some((row) => Object.keys(row).join(',') !== columns)) return 'not sent';
  const parameters = parametersFor(gateway);
  const insert = multiRowInsert(gateway, rows, parameters);
  const select = `SELECT * FROM ${gateway.tableSql} WHERE ${lookupsCondition(gateway, missing, parameters)}`;
  const sql = gateway.dialect.insertThenSelect!.statement(
    { insert, select },
    !session.inTransaction,
  );
  const answer = await run(gateway, session, sql, parameters.values).catch((error: unknown) => {
    if (error instanceof ConflictError && error.constraint === key.name) return undefined;
    throw error;
  });
  if (!answer) return 'lost a key';
  await storeCreated(batch, missing, pending, firstResultSet(answer.rows));
  return 'inserted';
}

/** SELECT the rows of these lookups. */
async function findExisting<Row>(
  batch: Batch<Row>,
  session: Session,
  open: Wanted<Row>[],
): Promise<void> {
  const { gateway } = batch;
  const rows = await selectLookups(gateway, session, open);
  const found = matchRows(gateway, open, rows, batch.properties);
  for (const [w, { row }] of found) w.result = [row, false];
  // Rows the SELECT returned that no lookup matched exactly (a case-insensitive collation: 'Bob'
  // found 'bob '): the rest one by one.
  if (found.size < rows.length) {
    for (const w of open.filter((w) => !w.result)) {
      const one = await findOne(gateway, session, w.lookup);
      if (one) w.result = [one, false];
    }
  }
}

/**
 * The guarded INSERT of every open key (insert-new-rows.ts): the rows it made are created, the
 * others are left for the caller to read. False, with nothing sent, when the chunk cannot go so
 * (a value the ORM writes as SQL, a column type an array would not carry, validation refusing a row
 * that may exist): the caller then takes the SELECT-first path.
 */
async function insertNew<Row>(
  batch: Batch<Row>,
  session: Session,
  open: Wanted<Row>[],
  key: UniqueKey,
): Promise<boolean> {
  const { gateway } = batch;
  const types = await columnTypes(gateway, session);
  if (!types) return false;
  // Built-in validation only (runsUserCode is false): run before knowing; a row it refuses may
  // exist, so SELECT first.
  const prepared = await prepareRows(batch, session, open).catch(() => undefined);
  const statement = prepared && guardedInsert(gateway, prepared.rows, key, types);
  if (!statement) return false;
  const { rows } = await run(gateway, session, statement.sql, statement.values);
  await storeCreated(batch, open, prepared.pending, rows);
  return true;
}

/** The rows to INSERT, and each one's pending write where the ORM's lifecycle runs. */
interface PreparedRows<Row> {
  rows: Record<string, unknown>[];
  pending: (PendingWrite<Row> | undefined)[];
}

/**
 * Each row's values to INSERT (defaults, the lookup, what the ORM adds or its lifecycle leaves),
 * and its pending write where the lifecycle runs.
 */
async function prepareRows<Row>(
  batch: Batch<Row>,
  session: Session,
  wanted: Wanted<Row>[],
): Promise<PreparedRows<Row>> {
  const { gateway, lifecycle } = batch;
  const rows = new Array<Record<string, unknown>>(wanted.length);
  const pending = new Array<PendingWrite<Row> | undefined>(wanted.length);
  for (let i = 0; i < wanted.length; i++) {
    const values = valuesOf(batch, wanted[i]);
    const write = lifecycle ? await lifecycle.beforeCreate(values, session) : undefined;
    pending[i] = write;
    rows[i] = write ? write.values : gateway.insertValues(values);
  }
  return { rows, pending };
}

function valuesOf<Row>(batch: Batch<Row>, w: Wanted<Row>): Record<string, unknown> {
  const { defaults } = batch;
  if (defaults === undefined) return { ...w.lookup };
  return {
    ...(typeof defaults === 'function'
      ? checkedDefaults(batch.gateway, defaults(w.lookup))
      : defaults),
    ...w.lookup,
  };
}

/**
 * The rows an INSERT returned, matched to their lookups: created (after the ORM's after-create
 * lifecycle, where it runs).
 */
async function storeCreated<Row>(
  batch: Batch<Row>,
  wanted: Wanted<Row>[],
  pending: (PendingWrite<Row> | undefined)[],
  rows: Record<string, unknown>[],
): Promise<void> {
  if (rows.length === 0) return;
  const positions = new Map(wanted.map((w, i) => [w, i]));
  const matched = matchRows(batch.gateway, wanted, rows, batch.properties);
  for (const [w, stored] of matched) {
    const write = pending[positions.get(w)!];
    // The lifecycle's instance takes the stored values: no second row is built for it.
    w.result = [write ? await write.stored(stored.raw) : stored.row, true];
  }
  if (matched.size === rows.length) return;
  // Rows stored with a key other than the value given ('900198' for 900198): the lookup that reads
  // them back created them.
  const matchedRaw = new Set([...matched.values()].map((stored) => stored.raw));
  for (const raw of rows) {
    const identity = matchedRaw.has(raw)
      ? undefined
      : rowIdentity(batch.gateway, batch.gateway.hydrate(raw));
    if (identity !== undefined) batch.insertedUnmatched.add(identity);
  }
}

async function createMissing<Row>(
  batch: Batch<Row>,
  session: Session,
  missing: Wanted<Row>[],
  key: UniqueKey,
): Promise<void> {
  const { gateway, lifecycle } = batch;
  if (lifecycle?.runsUserCode) {
    // Hooks run per row, as for getOrCreate: each INSERT in a savepoint, so a lost race unwinds
    // that row's hook writes only.
    for (const w of missing) {
      const call = { gateway, lookup: w.lookup, key, lifecycle };
      const created = await createWithHooks(call, valuesOf(batch, w), (work) =>
        inSavepoint(gateway, session, () => work(session)),
      );
      if (created) w.result = [created, true];
    }
    return;
  }
  await insertMany(batch, session, missing, await prepareRows(batch, session, missing), key);
}

/**
 * One multi-row INSERT per set of columns (rows without a property get the column default),
 * rows in key order; the rows stored are matched to their lookups as created.
 */
async function insertMany<Row>(
  batch: Batch<Row>,
  session: Session,
  missing: Wanted<Row>[],
  prepared: PreparedRows<Row>,
  key: UniqueKey,
): Promise<void> {
  const { gateway } = batch;
  const { rows, pending } = prepared;
  const groups = new Map<string, number[]>();
  rows.forEach((row, i) => {
    const columns = Object.keys(row).join(',');
    const group = groups.get(columns);
    if (group) group.push(i);
    else groups.set(columns, [i]);
  });
  for (const indexes of groups.values()) {
    const group = indexes.map((i) => missing[i]);
    const groupRows = indexes.map((i) => rows[i]);
    const stored = gateway.dialect.supportsInsertIgnoringConflictOn
      ? await insertSkippingTaken(gateway, session, groupRows, key)
      : await insertOrFallBack(batch, session, group, groupRows, key);
    await storeCreated(
      batch,
      group,
      indexes.map((i) => pending[i]),
      stored,
    );
  }
}

/**
 * `INSERT INTO t (...) VALUES (...), (...) ON CONFLICT (<key>) DO NOTHING RETURNING *`: the rows it
 * inserted.
 */
async function insertSkippingTaken(
  gateway: ModelGateway<unknown>,
  session: Session,
  rows: Record<string, unknown>[],
  key: UniqueKey,
): Promise<Record<string, unknown>[]> {
  const parameters = parametersFor(gateway);
  const sql = `${multiRowInsert(gateway, rows, parameters)} ${gateway.dialect.skipConflictClause(key)}${gateway.dialect.supportsReturning ? ' RETURNING *' : ''}`;
  const { rows: stored } = await run(gateway, session, sql, parameters.values);
  return stored;
}

/**
 * Without ON CONFLICT (MySQL): the multi-row INSERT in a savepoint, then the rows read back by
 * their keys in the same transaction. A 1062 on the lookup's key (a concurrent caller took one)
 * undoes the whole statement: the rows are then inserted one at a time, each skipping a taken key.
 */
async function insertOrFallBack<Row>(
  batch: Batch<Row>,
  session: Session,
  group: Wanted<Row>[],
  rows: Record<string, unknown>[],
  key: UniqueKey,
): Promise<Record<string, unknown>[]> {
  const { gateway } = batch;
  const insert = (some: Record<string, unknown>[]) =>
    inSavepoint(gateway, session, async () => {
      const parameters = parametersFor(gateway);
      await run(gateway, session, multiRowInsert(gateway, some, parameters), parameters.values);
    });
  try {
    await insert(rows);
  } catch (error) {
    if (!(error instanceof ConflictError && error.constraint === key.name)) throw error;
    const stored: Record<string, unknown>[] = [];
    for (const [i, row] of rows.entries()) {
      try {
        await insert([row]);
        stored.push(...(await selectLookups(gateway, session, [group[i]])));
      } catch (rowError) {
        if (!(rowError instanceof ConflictError && rowError.constraint === key.name))
          throw rowError;
      }
    }
    return stored;
  }
  return selectLookups(gateway, session, group);
}

/**
 * The rows of these lookups (live rows only on a soft-deleting model): `SELECT * FROM t WHERE
 * <lookupsCondition>`; with `lock`, a locking read (`... LOCK IN SHARE MODE` on MySQL, where only
 * that sees a winner's row under REPEATABLE READ).
 */
async function selectLookups(
  gateway: ModelGateway<unknown>,
  session: Session,
  wanted: Wanted<unknown>[],
  lock: LockStrength | null = null,
): Promise<Record<string, unknown>[]> {
  const parameters = parametersFor(gateway);
  const condition = lookupsCondition(gateway, wanted, parameters);
  const lockSql = lock ? ` ${gateway.dialect.lockClause(lock, {})}` : '';
  const { rows } = await run(
    gateway,
    session,
    `SELECT * FROM ${gateway.tableSql} WHERE ${condition}${lockSql}`,
    parameters.values,
  );
  return rows;
}
