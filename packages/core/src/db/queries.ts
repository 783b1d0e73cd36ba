import type { LockStrength, UniqueKey } from '../dialects';
import { ConflictError, MultipleRowsError, RaceSafeError } from '../errors';
import type { ModelGateway, Session } from '../gateway';
import { liveLookupCondition, lookupCondition } from '../sql/conditions';
import { findOrInsertSql } from '../sql/find-or-insert';
import { createdMarker, insertList, insertUnlessSql } from '../sql/insert';
import { type Parameters, parametersFor } from '../sql/parameters';
import { run } from './run';

/**
 * At most one live row matching the lookup, optionally locked; {@link MultipleRowsError} for more.
 */
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
  const row = atMostOne(gateway, lookup, rows);
  return row && gateway.hydrate(row);
}

/** The row a lookup's statement returned, if any; {@link MultipleRowsError} when it returned more. */
function atMostOne(
  gateway: ModelGateway<unknown>,
  lookup: Record<string, unknown>,
  rows: Record<string, unknown>[],
): Record<string, unknown> | undefined {
  if (rows.length > 1) {
    throw new MultipleRowsError(
      `${gateway.modelName}: more than one row matches ${Object.keys(lookup).join(', ')}`,
      { fields: Object.keys(lookup) },
    );
  }
  return rows[0];
}

/**
 * How an INSERT meets the row's unique key: `skip` a taken key (ON CONFLICT ... DO NOTHING), or
 * only read the row back by it.
 */
export interface InsertKey {
  key: UniqueKey;
  skip: boolean;
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
 * One statement that finds (or updates) a row or inserts it, on `session`: the lookup it finds the
 * row by, the new row's `values` as inserted (the ORM's insert defaults already applied), and the
 * unique key whose taken value the INSERT skips (`ON CONFLICT (<key>) DO NOTHING`).
 */
export interface OneStatement {
  gateway: ModelGateway<unknown>;
  session: Session;
  lookup: Record<string, unknown>;
  values: Record<string, unknown>;
  key: UniqueKey;
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
 * The raw row and whether this statement created it, or undefined when it neither found nor made a
 * row: a concurrent caller
 * committed the key after this statement's snapshot (the caller then reads the winner). On
 * a hit the INSERT's SELECT yields no row, so no column default runs and no sequence value is
 * drawn.
 */
export async function findOrInsertRaw(
  write: OneStatement,
): Promise<{ raw: Record<string, unknown>; created: boolean } | undefined> {
  const { gateway } = write;
  const parameters = parametersFor(gateway);
  const found = `SELECT * FROM ${gateway.tableSql} WHERE ${liveLookupCondition(gateway, write.lookup, parameters)} LIMIT 2`;
  return insertUnlessFirst(write, { name: 'found', sql: found }, parameters);
}

/**
 * getOrCreate in one compound statement, where the dialect has one ({@link
 * DialectAdapter.findOrInsert}, MariaDB; findOrInsertSql: its SQL), in a transaction of its own
 * outside a transaction, else in the caller's (a 1062 there ends only that statement). The raw row
 * and whether it created it; undefined when the lookup's key was taken and no live row has it (a
 * soft-deleted row, or a winner deleted since): the caller reads the winner as after any lost race.
 */
export async function findOrInsertCompound(
  write: OneStatement,
): Promise<{ raw: Record<string, unknown>; created: boolean } | undefined> {
  const { gateway, session, lookup, key } = write;
  const { sql, parameters } = findOrInsertSql(gateway, write, !session.inTransaction);
  const answer = await run(gateway, session, sql, parameters).catch((error: unknown) => {
    if (error instanceof ConflictError && error.constraint === key.name) return undefined;
    throw error;
  });
  const row = atMostOne(gateway, lookup, answer ? firstResultSet(answer.rows) : []);
  if (!row) return undefined;
  const { [createdMarker]: made, ...raw } = row;
  return { raw, created: Number(made) === 1 };
}

/**
 * The guarded INSERT: creates the row only when no live row has the lookup, and returns it.
 *
 *     INSERT INTO t (<columns>) SELECT <values> WHERE NOT EXISTS (SELECT 1 FROM t WHERE <lookup>)
 *     ON CONFLICT (<key>) DO NOTHING RETURNING *
 *
 * Cheaper to plan than findOrInsertRaw's WITH (about 0.85x a plain INSERT against 0.65x,
 * PostgreSQL 15, one caller), so updateOrCreate sends it first while a table's calls keep creating
 * rows and its defaults rule out insert-or-update (F expressions, soft delete); getOrCreate sends
 * insertFirst, which has no guard. The raw row it created, or undefined when a row exists (or a concurrent caller committed
 * one after its snapshot): the caller then reads that row. On a found row the SELECT yields no
 * row, so no column default runs and no sequence value is drawn.
 */
export async function insertUnlessFound(
  write: OneStatement,
): Promise<{ raw: Record<string, unknown>; created: true } | undefined> {
  const { gateway, session, lookup, values, key } = write;
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
 * getOrCreate's unguarded INSERT, sent first while a table's calls keep creating rows:
 *
 *     INSERT INTO t (<columns>) VALUES (<values>) ON CONFLICT (<key>) [WHERE <predicate>] DO NOTHING RETURNING *
 *
 * The raw row it created, or undefined when the key was taken (the row exists, or a concurrent
 * caller committed it): the caller then reads that row. Unlike insertUnlessFound it has no guard,
 * so PostgreSQL plans it as any INSERT, and a taken key still evaluates the new row's column
 * defaults (one sequence value drawn) and fires BEFORE INSERT triggers before the conflict skips
 * it.
 */
export async function insertFirst(
  write: OneStatement,
): Promise<{ raw: Record<string, unknown>; created: true } | undefined> {
  const { gateway, session, values, key } = write;
  const raw = await insertRaw(gateway, session, values, { key, skip: true });
  return raw && { raw, created: true };
}

/**
 * `WITH <first> AS (<sql>), made AS (INSERT ... SELECT <values> WHERE NOT EXISTS (SELECT 1 FROM <first>)
 * ON CONFLICT (<key>) DO NOTHING RETURNING *) SELECT false AS "racesafe_created", * FROM <first>
 * UNION ALL SELECT true, * FROM made`:
 * the row `first` returned (a SELECT, or an UPDATE ... RETURNING built on the same `parameters`),
 * else the row made.
 */
export async function insertUnlessFirst(
  write: OneStatement,
  first: { name: string; sql: string },
  parameters: Parameters,
): Promise<{ raw: Record<string, unknown>; created: boolean } | undefined> {
  const { gateway, session, lookup, values, key } = write;
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
  const row = atMostOne(gateway, lookup, rows);
  if (!row) return undefined;
  const { [createdMarker]: created, ...raw } = row;
  return { raw, created: created === true };
}

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
 * A compound statement's answer comes as its result sets and a final status (`[[row, ...], ok]`);
 * its rows are the first set.
 */
export function firstResultSet(rows: unknown[]): Record<string, unknown>[] {
  return (rows.find(Array.isArray) ?? []) as Record<string, unknown>[];
}
