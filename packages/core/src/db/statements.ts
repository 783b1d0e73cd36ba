import type { LockStrength, UniqueKey } from '../dialects';
import { MultipleRowsError, RaceSafeError, RetryableError } from '../errors';
import type { ModelGateway, Session, StatementResult } from '../gateway';
import { type Parameters, parametersFor } from '../sql/parameters';
import { assertSupportedVersion } from '../server/server-version';
import { type LostOutcome, translateError } from '../server/translate-error';
import { takeTurn } from './turns';
import { keyNamed, keysKnown } from '../server/known-keys';
import { refreshUniqueKeys, uniqueKeys } from '../server/unique-keys';

// Re-exported while the operations still import them from here.
export { Parameters, onlyPlaceholder, parametersFor } from '../sql/parameters';
export { type LostOutcome, translateError } from '../server/translate-error';

/**
 * Runs one statement; a driver error comes back as the matching {@link RaceSafeError}. The
 * first statement per connection configuration checks the database version first, where the
 * adapter has a minimum (see assertSupportedVersion).
 */
export function run(
  gateway: ModelGateway<unknown>,
  session: Session,
  sql: string,
  parameters: unknown[] = [],
): Promise<StatementResult> {
  const versionChecked = assertSupportedVersion(gateway, session);
  if (versionChecked) return versionChecked.then(() => run(gateway, session, sql, parameters));
  const prefix = gateway.dialect.returningStatementPrefix;
  const reads = /^\s*(SELECT|SET|PRAGMA)\b/i.test(sql);
  return session
    .query(prefix && sql.endsWith(' RETURNING *') ? prefix + sql : sql, parameters)
    .then(
      (result) => {
        // Outside a transaction an acknowledged write has committed: a later lost statement of this call (MariaDB's read-back) cannot undo it.
        if (!session.inTransaction && !reads) committedWrites.add(session);
        return result;
      },
      async (error: unknown) => {
        await readKeysForViolation(gateway, session, error);
        throw translateError(gateway, error, lostOutcome(session, reads));
      },
    );
}

// Autocommit sessions (one per racesafe call attempt) on which a write has committed.
const committedWrites = new WeakSet<Session>();

/**
 * What a lost connection did to `session`'s work, by whether a write of this call could have
 * committed, not by whether one was acknowledged. Inside a transaction (the caller's, or racesafe's
 * own before its COMMIT, which is judged apart) nothing can have: the server rolls the whole
 * transaction back, whatever statement was in flight. Outside one, an autocommit write may have
 * committed: the lost statement itself, or an earlier write of this call (MariaDB's read-back).
 */
function lostOutcome(session: Session, reads: boolean): LostOutcome {
  if (session.inTransaction) return 'rolled-back';
  return reads && !committedWrites.has(session) ? 'rolled-back' : 'unknown';
}

/**
 * Reads the table's unique keys before a unique violation is translated, when the cache cannot
 * name its key's columns: SQLite names a key only by its columns, PostgreSQL and MySQL by a name
 * the catalog maps to columns (ConflictError.fields). Only on a session that can still run a
 * statement: outside a transaction, or on SQLite, whose transaction survives the error.
 */
async function readKeysForViolation(
  gateway: ModelGateway<unknown>,
  session: Session,
  error: unknown,
): Promise<void> {
  const { kind, constraint, columns } = gateway.dialect.classifyError(error);
  if (kind !== 'unique-violation') return;
  if (columns) {
    if (!keysKnown(gateway)) await uniqueKeys(gateway, session).catch(() => undefined);
    return;
  }
  if (constraint === undefined || keyNamed(gateway, constraint) || session.inTransaction) return;
  // A key created since the catalog was read (or never read: atomicUpdate) is looked up again.
  await refreshUniqueKeys(gateway, session).catch(() => undefined);
}

/** `col = $n AND col IS NULL ...` for a lookup (NULL only reaches here for NULLS NOT DISTINCT keys). */
export function lookupCondition(
  gateway: ModelGateway<unknown>,
  lookup: Record<string, unknown>,
  parameters: Parameters,
): string {
  return Object.entries(lookup)
    .map(([property, value]) => {
      const column = gateway.column(property)!.quoted;
      return value === null
        ? `${column} IS NULL`
        : `${column} = ${gateway.bindValue(property, value, parameters.add)}`;
    })
    .join(' AND ');
}

/** The lookup's condition, and on a soft-deleting model `AND "deletedAt" IS NULL` unless `withDeleted` (as findOne does). */
export function liveLookupCondition(
  gateway: ModelGateway<unknown>,
  lookup: Record<string, unknown>,
  parameters: Parameters,
  withDeleted = false,
): string {
  const condition = lookupCondition(gateway, lookup, parameters);
  const deleted = gateway.softDeleteColumn;
  return deleted && !withDeleted ? `${condition} AND ${deleted.quoted} IS NULL` : condition;
}

/** At most one live row matching the lookup, optionally locked; {@link MultipleRowsError} for more. */
export async function findOne<Row>(
  gateway: ModelGateway<Row>,
  session: Session,
  lookup: Record<string, unknown>,
  lock?: { strength: LockStrength; nowait?: boolean } | null,
  withDeleted = false,
): Promise<Row | undefined> {
  const parameters = parametersFor(gateway);
  const lockSql = lock ? ` ${gateway.dialect.lockClause(lock.strength, lock)}` : '';
  const sql = `SELECT * FROM ${gateway.tableSql} WHERE ${liveLookupCondition(gateway, lookup, parameters, withDeleted)} LIMIT 2${lockSql}`;
  const { rows } = await run(gateway, session, sql, parameters.values);
  if (rows.length > 1) {
    throw new MultipleRowsError(
      `${gateway.modelName}: more than one row matches ${Object.keys(lookup).join(', ')}`,
      { fields: Object.keys(lookup) },
    );
  }
  return rows.length === 1 ? gateway.hydrate(rows[0]) : undefined;
}

/** How an INSERT meets the row's unique key: `skip` a taken key (ON CONFLICT ... DO NOTHING), or only read the row back by it. */
export interface InsertKey {
  key: UniqueKey;
  skip: boolean;
}

/** An INSERT's column list and its values' placeholders, bound on `parameters`. */
function insertList(
  gateway: ModelGateway<unknown>,
  values: Record<string, unknown>,
  parameters: Parameters,
): { columns: string; placeholders: string } {
  const entries = Object.entries(values);
  return {
    columns: entries.map(([property]) => gateway.column(property)!.quoted).join(', '),
    placeholders: entries
      .map(([property, value]) => gateway.bindValue(property, value, parameters.add))
      .join(', '),
  };
}

/**
 * INSERT of exactly `values` (no ORM defaults added); the raw row stored, or undefined when
 * `by.skip` skipped it because the key was taken (`ON CONFLICT (cols) [WHERE ...] DO NOTHING`).
 * `RETURNING *` where the database has it; elsewhere (MySQL, MariaDB) the row is read back on
 * the same connection by the unique key it was inserted under, which the INSERT just took.
 */
export async function insertRaw(
  gateway: ModelGateway<unknown>,
  session: Session,
  values: Record<string, unknown>,
  by?: InsertKey,
): Promise<Record<string, unknown> | undefined> {
  const { dialect } = gateway;
  const parameters = parametersFor(gateway);
  const { columns, placeholders } = insertList(gateway, values, parameters);
  const target = by?.skip ? ` ${dialect.skipConflictClause(by.key)}` : '';
  const returning = dialect.supportsReturning ? ' RETURNING *' : '';
  const sql = `INSERT INTO ${gateway.tableSql} (${columns}) VALUES (${placeholders})${target}${returning}`;
  const { rows } = await run(gateway, session, sql, parameters.values);
  if (returning) return rows.length === 1 ? rows[0] : undefined;
  if (!by)
    throw new RaceSafeError(
      `${gateway.modelName}: ${dialect.name} has no RETURNING, and this INSERT has no unique key to read its row back by`,
    );
  return readBack(gateway, session, values, by.key);
}

/**
 * getOrCreate in one statement, where the database allows an INSERT inside WITH (PostgreSQL).
 * `values` are inserted as given (the ORM's insert defaults already applied):
 *
 *     WITH found AS (SELECT * FROM t WHERE <lookup> LIMIT 2),
 *          made AS (INSERT INTO t (<columns>) SELECT <values> WHERE NOT EXISTS (SELECT 1 FROM found)
 *                   ON CONFLICT (<key>) DO NOTHING RETURNING *)
 *     SELECT false AS "racesafe_created", * FROM found UNION ALL SELECT true, * FROM made
 *
 * The raw row and whether this statement created it, or undefined when it neither found nor made a row: a concurrent caller
 * committed the key after this statement's snapshot (the caller then reads the winner). On
 * a hit the INSERT's SELECT yields no row, so no column default runs and no sequence value is drawn.
 */
export async function findOrInsertRaw(
  gateway: ModelGateway<unknown>,
  session: Session,
  lookup: Record<string, unknown>,
  values: Record<string, unknown>,
  key: UniqueKey,
): Promise<{ raw: Record<string, unknown>; created: boolean } | undefined> {
  const parameters = parametersFor(gateway);
  const found = `SELECT * FROM ${gateway.tableSql} WHERE ${liveLookupCondition(gateway, lookup, parameters)} LIMIT 2`;
  return insertUnlessFirst(
    gateway,
    session,
    lookup,
    { name: 'found', sql: found },
    parameters,
    values,
    key,
  );
}

/**
 * The guarded INSERT: creates the row only when no live row has the lookup, and returns it.
 *
 *     INSERT INTO t (<columns>) SELECT <values> WHERE NOT EXISTS (SELECT 1 FROM t WHERE <lookup>)
 *     ON CONFLICT (<key>) DO NOTHING RETURNING *
 *
 * Cheaper to plan than findOrInsertRaw's WITH (about 0.85x a plain INSERT against 0.65x,
 * PostgreSQL 15, one caller), so racesafe sends it first while a table's calls keep creating
 * rows. The raw row it created, or undefined when a row exists (or a concurrent caller committed
 * one after its snapshot): the caller then reads that row. On a found row the SELECT yields no
 * row, so no column default runs and no sequence value is drawn.
 */
export async function insertUnlessFound(
  gateway: ModelGateway<unknown>,
  session: Session,
  lookup: Record<string, unknown>,
  values: Record<string, unknown>,
  key: UniqueKey,
): Promise<{ raw: Record<string, unknown>; created: true } | undefined> {
  const parameters = parametersFor(gateway);
  const sql = insertUnlessSql(
    gateway,
    values,
    parameters,
    key,
    () =>
      `SELECT 1 FROM ${gateway.tableSql} WHERE ${liveLookupCondition(gateway, lookup, parameters)}`,
  );
  const { rows } = await run(gateway, session, sql, parameters.values);
  return rows.length === 1 ? { raw: rows[0], created: true } : undefined;
}

/**
 * `WITH <first> AS (<sql>), made AS (INSERT ... SELECT <values> WHERE NOT EXISTS (SELECT 1 FROM <first>)
 * ON CONFLICT (<key>) DO NOTHING RETURNING *) SELECT false AS "racesafe_created", * FROM <first> UNION ALL SELECT true, * FROM made`:
 * the row `first` returned (a SELECT, or an UPDATE ... RETURNING built on the same `parameters`), else the row made.
 */
export async function insertUnlessFirst(
  gateway: ModelGateway<unknown>,
  session: Session,
  lookup: Record<string, unknown>,
  first: { name: string; sql: string },
  parameters: Parameters,
  values: Record<string, unknown>,
  key: UniqueKey,
): Promise<{ raw: Record<string, unknown>; created: boolean } | undefined> {
  const made = insertUnlessSql(
    gateway,
    values,
    parameters,
    key,
    () => `SELECT 1 FROM ${first.name}`,
  );
  const marker = gateway.dialect.quoteIdentifier(createdMarker);
  const sql = `WITH ${first.name} AS (${first.sql}), made AS (${made}) SELECT false AS ${marker}, * FROM ${first.name} UNION ALL SELECT true, * FROM made`;
  const { rows } = await run(gateway, session, sql, parameters.values);
  if (rows.length > 1) {
    throw new MultipleRowsError(
      `${gateway.modelName}: more than one row matches ${Object.keys(lookup).join(', ')}`,
      { fields: Object.keys(lookup) },
    );
  }
  if (rows.length === 0) return undefined;
  const { [createdMarker]: created, ...raw } = rows[0];
  return { raw, created: created === true };
}

/**
 * `INSERT INTO t (<columns>) SELECT <values> WHERE NOT EXISTS (<guard>) ON CONFLICT (<key>) DO NOTHING RETURNING *`,
 * the values bound before the guard's own parameters: the INSERT of insertUnlessFound and of insertUnlessFirst's WITH.
 */
function insertUnlessSql(
  gateway: ModelGateway<unknown>,
  values: Record<string, unknown>,
  parameters: Parameters,
  key: UniqueKey,
  guard: () => string,
): string {
  const { columns, placeholders } = insertList(gateway, values, parameters);
  return `INSERT INTO ${gateway.tableSql} (${columns}) SELECT ${placeholders} WHERE NOT EXISTS (${guard()}) ${gateway.dialect.skipConflictClause(key)} RETURNING *`;
}

// Not a column: tells a row the statement created from one it found or updated.
const createdMarker = 'racesafe_created';

/** `SELECT * FROM t WHERE <condition> [<suffix>]`: the raw rows. */
export async function selectWhere(
  gateway: ModelGateway<unknown>,
  session: Session,
  condition: (parameters: Parameters) => string,
  suffix = '',
): Promise<Record<string, unknown>[]> {
  const parameters = parametersFor(gateway);
  const { rows } = await run(
    gateway,
    session,
    `SELECT * FROM ${gateway.tableSql} WHERE ${condition(parameters)}${suffix}`,
    parameters.values,
  );
  return rows;
}

/** The row just inserted under `key`, by the key's values (visible to the inserting connection). */
async function readBack(
  gateway: ModelGateway<unknown>,
  session: Session,
  values: Record<string, unknown>,
  key: UniqueKey,
): Promise<Record<string, unknown> | undefined> {
  const properties = key.columns.map(
    (column) => gateway.columns().find((c) => c.column === column)!.property,
  );
  const rows = await selectWhere(
    gateway,
    session,
    (parameters) =>
      lookupCondition(
        gateway,
        Object.fromEntries(properties.map((p) => [p, values[p]])),
        parameters,
      ),
    ' LIMIT 2',
  );
  return rows.length === 1 ? rows[0] : undefined;
}

/** INSERT of `values` with the ORM's insert defaults (see insertRaw), hydrated. */
export async function insertRow<Row>(
  gateway: ModelGateway<Row>,
  session: Session,
  values: Record<string, unknown>,
  by?: InsertKey,
): Promise<Row | undefined> {
  const raw = await insertRaw(gateway, session, gateway.insertValues(values), by);
  return raw && gateway.hydrate(raw);
}

/**
 * Runs one racesafe call's statements on the caller's transaction, after the other racesafe
 * calls sharing its connection are done: savepoints are a stack per connection (issue 8).
 */
export function inCallerTransaction<T>(
  session: Session,
  work: (session: Session) => Promise<T>,
): Promise<T> {
  return session.shared ? takeTurn(session.shared, () => work(session)) : work(session);
}

let savepointCounter = 0;

/**
 * Runs work inside a SAVEPOINT so that its failure (23505, 55P03...) rolls back only the
 * work and never leaves the surrounding transaction aborted (PostgreSQL 25P02: docs/database-behaviours.md#postgresql-aborts-the-transaction-after-an-error).
 */
export async function inSavepoint<T>(
  gateway: ModelGateway<unknown>,
  session: Session,
  work: () => Promise<T>,
): Promise<T> {
  const name = `racesafe_${++savepointCounter}`;
  await run(gateway, session, `SAVEPOINT ${name}`);
  try {
    const result = await work();
    await run(gateway, session, `RELEASE SAVEPOINT ${name}`);
    return result;
  } catch (error) {
    // A MySQL deadlock has rolled back the whole transaction, savepoints included (docs/database-behaviours.md#a-mysql-deadlock-ends-the-whole-transaction): a ROLLBACK TO would only add 1305.
    if (
      error instanceof RetryableError &&
      gateway.dialect.deadlockEndsTransaction &&
      gateway.dialect.classifyError(error.cause).kind === 'deadlock'
    )
      throw error;
    for (const sql of gateway.dialect.rollbackToSavepoint(name)) await run(gateway, session, sql);
    throw error;
  }
}

/**
 * Whether a stored value and a given one are the same value (dates by time, a bigint by its
 * digits, objects and arrays by content). A value JSON cannot print (circular) is never the same:
 * it is written, and the ORM's own conversion or the driver refuses it.
 */
export function sameValue(current: unknown, next: unknown): boolean {
  if (current === next) return true;
  if (current instanceof Date && next instanceof Date) return current.getTime() === next.getTime();
  if (current === null || next === null || current === undefined || next === undefined)
    return false;
  // The drivers hand a bigint column back as text or a number: -1n is the same as '-1'.
  if (typeof current === 'bigint' || typeof next === 'bigint')
    return textOf(current) === textOf(next);
  try {
    return JSON.stringify(current, bigintAsText) === JSON.stringify(next, bigintAsText);
  } catch {
    return false;
  }
}

function bigintAsText(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? `${value}n` : value;
}

/** A bigint, number or string as the digits a driver would hand back for it. */
function textOf(value: unknown): string {
  return typeof value === 'bigint' || typeof value === 'number' || typeof value === 'string'
    ? String(value)
    : '';
}
