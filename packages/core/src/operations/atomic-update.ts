// atomicUpdate, as Django's `update(n=F('n') + 1)`: one `UPDATE ... SET col = <expression>` with no
// read before it, so concurrent increments never lose one. The checks first, then the UPDATE;
// where the database has no `UPDATE ... RETURNING`, the locked read-back that stands in for it.
import { updateStatement } from '../sql/assignments';
import { InvalidFieldError } from '../errors';
import type { ModelGateway, Session, StatementResult } from '../gateway';
import { type RetryPolicy, withRetries } from '../db/retry';
import { serverFact } from '../server/server-facts';
import { type Parameters, parametersFor } from '../sql/parameters';
import { withSession } from '../db/transactions';
import { lookupCondition } from '../sql/conditions';
import { run } from '../db/run';
import { firstResultSet, selectWhere } from '../db/queries';
import { assertStrictArithmetic } from '../server/strict-mode';
import { uniqueKeys } from '../server/unique-keys';
import { assertKnownFields, assertWritableValues } from '../validate';

/** Options of atomicUpdate, shared by both packages. */
export interface AtomicUpdateCoreOptions {
  returning?: boolean;
  retry?: RetryPolicy;
  /**
   * The ORM's code around the UPDATE on its session (TypeORM subscribers' beforeUpdate /
   * afterUpdate), if any.
   */
  around?: <T>(session: Session, send: () => Promise<T>) => Promise<T>;
  /**
   * The plain-equality where behind `condition` (`{ id }`), when there is one. Without
   * `UPDATE ... RETURNING`, a where that names a whole unique key lets `returning` read the row
   * back by that key after the UPDATE instead of locking it with a SELECT first.
   */
  plainWhere?: Record<string, unknown>;
}

/**
 * Checks atomicUpdate's arguments before any statement, and before the ORM's validation and
 * hooks see them: every property of `values` and of each `where` object known (symbol keys
 * are ORM operators, the ORM's to check), no empty `where` (it would change every row), no
 * operator or undefined among `values`; `values` non-empty is checked by compileAssignments.
 */
export function checkAtomicUpdate(
  gateway: ModelGateway<unknown>,
  values: Record<string, unknown>,
  whereObjects: object[],
): void {
  const groups = Object.fromEntries(
    whereObjects.map((where, i) => [
      whereObjects.length === 1 ? 'where' : `where[${i}]`,
      { ...where },
    ]),
  );
  assertKnownFields(gateway, { values, ...groups });
  if (
    whereObjects.length === 0 ||
    whereObjects.some((where) => Reflect.ownKeys(where).length === 0)
  ) {
    throw new InvalidFieldError(
      `atomicUpdate on ${gateway.modelName}: where is empty, which would update every row`,
    );
  }
  assertWritableValues(gateway, 'values', values, true);
}

/**
 * True when `where` is plain equality on known properties (the common `{ id }` case): racesafe
 * then writes `col = $1 AND ...` itself (lookupCondition) and no ORM where-builder runs.
 * Operators, arrays and NULL are left to the ORM's own where syntax.
 */
export function isPlainEquality(
  gateway: ModelGateway<unknown>,
  where: unknown,
): where is Record<string, unknown> {
  if (
    typeof where !== 'object' ||
    where === null ||
    Object.getPrototypeOf(where) !== Object.prototype
  )
    return false;
  if (Object.getOwnPropertySymbols(where).length > 0) return false;
  return Object.entries(where).every(
    ([property, value]) => gateway.column(property) !== undefined && isScalar(value),
  );
}

function isScalar(value: unknown): boolean {
  return ['string', 'number', 'boolean', 'bigint'].includes(typeof value) || value instanceof Date;
}

/**
 * One `UPDATE t SET <values> WHERE <condition> [RETURNING *]`, no read before it. The
 * condition is built by the caller on the same Parameters (lookupCondition for plain
 * equality, or the ORM's where builder). Outside a transaction the UPDATE is racesafe's own, so a
 * deadlock
 * (40P01) is retried; inside yours it surfaces as RetryableError.
 */
export async function atomicUpdate<Row>(
  gateway: ModelGateway<Row>,
  values: Record<string, unknown>,
  condition: (parameters: Parameters) => string,
  options: AtomicUpdateCoreOptions = {},
): Promise<number | Row[]> {
  if (options.returning && !gateway.dialect.supportsReturning)
    return updateAndReadBack(gateway, values, condition, options);
  const { sql, parameters } = updateStatement(gateway, values, condition, {
    returning: options.returning,
  });
  const { around } = options;
  const execute = async (session: Session) => {
    await assertStrictArithmetic(gateway, session, values);
    return around
      ? around(session, () => run(gateway, session, sql, parameters))
      : run(gateway, session, sql, parameters);
  };
  const retry = (attempt: () => Promise<StatementResult>) => withRetries(options.retry, attempt);
  const caller = gateway.callerTransaction();
  const result = await withSession(gateway, caller, { own: 'autocommit', retry }, execute);
  return options.returning ? result.rows.map((row) => gateway.hydrate(row)) : result.rowCount;
}

/**
 * atomicUpdate `returning` where the database has no `UPDATE ... RETURNING` (MariaDB 10.11,
 * MySQL 8), in one transaction (yours, or racesafe's own) so that the rows read back are the
 * ones written, as the database stored them; nothing is computed in JavaScript.
 * - `plainWhere` names a whole unique key that `values` leave alone (`{ id }`) and the server
 *   runs compound statements (MariaDB): lock and count, UPDATE, SELECT by that key, all in one
 *   statement (1 round trip, its START / COMMIT inside it).
 * - otherwise (MySQL 8, or no such key): lock the matching rows (`SELECT * ... FOR UPDATE`),
 *   update exactly those, read them back (3 statements; 5 with START / COMMIT).
 */
async function updateAndReadBack<Row>(
  gateway: ModelGateway<Row>,
  values: Record<string, unknown>,
  condition: (parameters: Parameters) => string,
  options: AtomicUpdateCoreOptions,
): Promise<Row[]> {
  const { plainWhere } = options;
  return updateLockedAndReadBack(gateway, values, {
    ...options,
    byKey: plainWhere && ((session) => identifyingKey(gateway, session, plainWhere, values)),
    lockMatching: async (session) => {
      const rows = await selectWhere(
        gateway,
        session,
        condition,
        ` ${gateway.dialect.lockClause('update', {})}`,
      );
      const primary = gateway.columns().filter((c) => c.primary);
      return rows.map((row) => Object.fromEntries(primary.map((c) => [c.property, row[c.column]])));
    },
    condition,
  });
}

/** How {@link updateLockedAndReadBack} finds the rows it updates. */
export interface ReadBackOptions extends AtomicUpdateCoreOptions {
  /**
   * Locks the rows to update on the session (`SELECT ... FOR UPDATE`) and returns their primary
   * keys (property: value).
   */
  lockMatching(session: Session): Promise<Record<string, unknown>[]>;
  /** The unique key (property: value) that identifies the one row `condition` can match, if any. */
  byKey?: (session: Session) => Promise<Record<string, unknown> | undefined>;
  /**
   * The UPDATE's own condition, needed with `byKey`: built once more for the lock taken before the
   * UPDATE.
   */
  condition?: (parameters: Parameters) => string;
}

/**
 * UPDATE with a consistent read-back on a database without `UPDATE ... RETURNING`, for ORMs
 * that build their own where (TypeORM operators): see {@link updateAndReadBack}.
 * SQL (MySQL 8, and MariaDB without `byKey`): `SELECT * FROM t WHERE <where> FOR UPDATE`,
 * `UPDATE t SET ... WHERE id = ? OR ...`, `SELECT * FROM t WHERE id = ? OR ...`, inside
 * `START TRANSACTION` / `COMMIT` unless yours. With `byKey` on MariaDB, one statement:
 * `BEGIN NOT ATOMIC DECLARE racesafe_matched INT DEFAULT 0; [DECLARE EXIT HANDLER FOR SQLEXCEPTION
 * BEGIN ROLLBACK; RESIGNAL; END; START TRANSACTION;] SELECT COUNT(*) INTO racesafe_matched FROM t
 * WHERE <where> FOR UPDATE; UPDATE t SET ... WHERE <where>; SELECT * FROM t WHERE <key> AND
 * racesafe_matched > 0; [COMMIT;] END`.
 */
export async function updateLockedAndReadBack<Row>(
  gateway: ModelGateway<Row>,
  values: Record<string, unknown>,
  options: ReadBackOptions,
): Promise<Row[]> {
  const primary = gateway.columns().filter((c) => c.primary);
  if (primary.length === 0) {
    throw new InvalidFieldError(
      `atomicUpdate on ${gateway.modelName}: returning needs a primary key on ${gateway.dialect.name}, which has no UPDATE ... RETURNING`,
    );
  }
  const send = (session: Session, sql: string, parameters: unknown[]) => {
    const update = () => run(gateway, session, sql, parameters);
    return options.around ? options.around(session, update) : update();
  };
  const work = async (session: Session): Promise<Row[]> => {
    await assertStrictArithmetic(gateway, session, values);
    const ids = await options.lockMatching(session);
    if (ids.length === 0) return [];
    const byIds = (parameters: Parameters) =>
      ids.map((id) => `(${lookupCondition(gateway, id, parameters)})`).join(' OR ');
    // The rows stay locked from the SELECT on, so they still match where: update exactly those.
    const { sql, parameters } = updateStatement(gateway, values, byIds);
    await send(session, sql, parameters);
    return (await selectWhere(gateway, session, byIds)).map((row) => gateway.hydrate(row));
  };
  const caller = gateway.callerTransaction();
  const retry = <T>(attempt: () => Promise<T>) => withRetries(options.retry, attempt);
  if (options.byKey) {
    // The compound statement opens its own transaction unless it runs in yours.
    const rows = await withSession<Row[] | undefined>(
      gateway,
      caller,
      { own: 'autocommit', retry },
      (session, kind) =>
        updateThenSelect({ gateway, values, options, send }, session, kind !== 'caller'),
    );
    if (rows) return rows;
  }
  return withSession(gateway, caller, { own: 'transaction', retry }, work);
}

/** What the compound statement of {@link updateThenSelect} is built from. */
interface CompoundUpdate<Row> {
  gateway: ModelGateway<Row>;
  values: Record<string, unknown>;
  options: ReadBackOptions;
  /** Sends the statement, inside the ORM's code around it (`around`), if any. */
  send: (session: Session, sql: string, parameters: unknown[]) => Promise<StatementResult>;
}

/**
 * The `byKey` case in one round trip where the dialect can ({@link
 * DialectAdapter.updateThenSelect},
 * MariaDB): `BEGIN NOT ATOMIC ... START TRANSACTION; SELECT COUNT(*) ... FOR UPDATE; UPDATE ...;
 * SELECT * FROM t WHERE <key> AND <the count was not 0>; COMMIT; END` (no START / COMMIT inside
 * your transaction).
 * Undefined when the server cannot, or no unique key identifies the row: the caller falls back.
 */
async function updateThenSelect<Row>(
  at: CompoundUpdate<Row>,
  session: Session,
  ownTransaction: boolean,
): Promise<Row[] | undefined> {
  const { gateway, values, options, send } = at;
  const compound = gateway.dialect.updateThenSelect;
  if (
    !compound ||
    !options.condition ||
    Number((await serverFact(gateway, session, compound.availableSql))?.available) !== 1
  )
    return undefined;
  await assertStrictArithmetic(gateway, session, values);
  const key = await options.byKey!(session);
  if (!key) return undefined;
  const parameters = parametersFor(gateway);
  const locking = `${gateway.tableSql} WHERE ${options.condition(parameters)} ${gateway.dialect.lockClause('update', {})}`;
  const update = updateStatement(gateway, values, options.condition, { parameters }).sql;
  const select = (matched: string) =>
    `SELECT * FROM ${gateway.tableSql} WHERE ${lookupCondition(gateway, key, parameters)} AND ${matched}`;
  const { rows } = await send(
    session,
    compound.statement({ locking, update, select }, ownTransaction),
    parameters.values,
  );
  return firstResultSet(rows).map((row) => gateway.hydrate(row));
}

/**
 * The part of a plain-equality `where` that is a whole unique key (primary key first) whose
 * columns `values` do not assign, with no NULL in it: it identifies at most one row, before
 * and after the UPDATE. Undefined when there is none.
 */
async function identifyingKey(
  gateway: ModelGateway<unknown>,
  session: Session,
  where: Record<string, unknown>,
  values: Record<string, unknown>,
): Promise<Record<string, unknown> | undefined> {
  const assigned = new Set(Object.keys(values).map((property) => gateway.column(property)?.column));
  const propertyOf = new Map(
    Object.keys(where)
      .filter((property) => where[property] !== null && where[property] !== undefined)
      .map((property) => [gateway.column(property)!.column, property]),
  );
  const primary = {
    columns: gateway
      .columns()
      .filter((c) => c.primary)
      .map((c) => c.column),
  };
  const keys = [
    primary,
    ...(await uniqueKeys(gateway, session)).filter(
      (k) => k.usableForLookup && k.predicate === undefined,
    ),
  ];
  const key = keys.find(
    (k) =>
      k.columns.length > 0 &&
      k.columns.every((column) => propertyOf.has(column) && !assigned.has(column)),
  );
  return (
    key &&
    Object.fromEntries(
      key.columns.map((column) => [propertyOf.get(column)!, where[propertyOf.get(column)!]]),
    )
  );
}
