import {
  ConnectionLostError,
  IndeterminateError,
  bindOrRefuse,
  type DialectAdapter,
  type ModelGateway,
  type Session,
  beginOwnTransaction,
  dialectFor,
  isPlainObject,
  ownWorkError,
  takeTurn,
  translateError,
} from '@racesafe/core';
import type { ObjectLiteral, QueryRunner, Repository } from 'typeorm';
import type { Driver } from 'typeorm/driver/Driver';
import { entityInfo, setColumnValues } from './columns';
import { typeormLifecycle } from './lifecycle';

/** A TypeORM FindOperator (`MoreThan`, `In`, `Raw`...), told by the marker every FindOperator carries (0.3 and 1.x). */
function isFindOperator(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as ObjectLiteral)['@instanceof'] === Symbol.for('FindOperator')
  );
}

/** TypeORM's raw SQL value (`() => 'now()'`): its insert and update query builders write the SQL the function returns. */
function isRawSql(value: unknown): value is () => string {
  return typeof value === 'function';
}

/** How to declare a unique key on `properties` of entity `name` in TypeORM, for UniqueLookupRequiredError. */
export function uniqueKeyAdvice(name: string, properties: string[]): string {
  const list = `[${properties.map((p) => `'${p}'`).join(', ')}]`;
  const single =
    properties.length === 1 ? ` or \`@Column({ unique: true })\` on ${properties[0]}` : '';
  return `Declare it on the entity: \`@Unique(${list})\` above \`class ${name}\` (or \`@Index(${list}, { unique: true })\`${single}).`;
}

// The range of a 64-bit SQL integer: a whole-number literal within it is an integer, beyond it a double.
const int64 = { min: -(2 ** 63), max: 2 ** 63 };

/**
 * A converted value as TypeORM's own insert / update sends it: through the driver's parameter
 * escaping (`escapeQueryWithParameters`), which binds most values as they are but may change
 * them (its SQLite drivers bind booleans as 1 / 0 and Dates as UTC datetime text) or write them
 * into the SQL (its SQLite drivers write a number as `String(n)`). A number written as a literal
 * is bound as the value that literal is: a whole number within 64 bits as an integer (a bound
 * double would store `5.0` in a text column where the literal `5` stores `5`), any other finite
 * number as itself; a non-finite one is refused, as the ORM's own write fails on it
 * (`no such column: Infinity`).
 */
function asDriverSends(driver: Driver, dialect: DialectAdapter, value: unknown): unknown {
  // TypeORM 0.3 takes a third argument (native parameters), 1.x two: both read this call alike.
  const escape = driver.escapeQueryWithParameters.bind(driver) as (
    sql: string,
    parameters: ObjectLiteral,
    native: ObjectLiteral,
  ) => [string, unknown[]];
  const [sql, parameters] = escape(':value', { value }, {});
  if (parameters.length === 1) return oneValue(dialect, parameters[0]);
  if (typeof value !== 'number')
    throw new Error(`TypeORM's driver writes it into the SQL as ${sql}, not as a bound value`);
  if (!Number.isFinite(value))
    throw new Error(
      `${value} is no SQL value where TypeORM's driver writes numbers into the SQL (its own insert and update fail on it)`,
    );
  const whole = Number.isInteger(value) && value >= int64.min && value < int64.max;
  return whole && bindsBigIntAsInteger(driver) ? BigInt(value) : value;
}

/**
 * A bound value the driver takes as one value. TypeORM writes what its conversion leaves (an
 * object or array given for a text column); where the driver would bind a plain object's keys as
 * named parameters or spread an array (DialectAdapter.bindsObjectsAsOneValue: the SQLite drivers,
 * mysql2's client-side formatting), the statement's other values would land one column off, as
 * they do in TypeORM's own insert: refused. (Sequelize's own validation refuses such values.)
 */
function oneValue(dialect: DialectAdapter, value: unknown): unknown {
  const spread = Array.isArray(value) ? 'an array' : isPlainObject(value) ? 'an object' : undefined;
  if (spread && !dialect.bindsObjectsAsOneValue)
    throw new Error(
      `it is ${spread} after the column's conversion, which this database's driver would not bind as one value (give it as text, e.g. JSON.stringify, or declare a JSON column)`,
    );
  return value;
}

/**
 * Whether the driver's connection binds a bigint as an SQL integer: better-sqlite3 does (and binds
 * every JS number as a double, so a whole number must go as a bigint to store `5`, not `5.0`);
 * node-sqlite3 binds a whole JS number as an integer and has no bigint binding at all.
 */
function bindsBigIntAsInteger(driver: Driver): boolean {
  const connection = (driver as { databaseConnection?: { defaultSafeIntegers?: unknown } })
    .databaseConnection;
  return typeof connection?.defaultSafeIntegers === 'function';
}

/** racesafe's statements on a query runner (core `run()` sends them through its `query`). */
export function sessionOf(
  queryRunner: QueryRunner,
  inTransaction: boolean,
  shared?: QueryRunner,
): Session {
  return {
    inTransaction,
    shared,
    native: queryRunner,
    async query(sql, parameters) {
      const result = await queryRunner.query(sql, parameters, true);
      const rows = Array.isArray(result.records)
        ? (result.records as Record<string, unknown>[])
        : [];
      return { rows, rowCount: result.affected ?? rows.length };
    },
  };
}

/**
 * The query runner the repository is bound to: `manager.withRepository(...)` inside a transaction.
 * A runner TypeORM released with its transaction still open is returned too: its PostgreSQL
 * runner releases itself when its connection emits 'error' (the server ended the session, say
 * while idle between two of your statements). That transaction is lost, and racesafe must
 * report it (its statements there fail with ConnectionLostError), never run outside it in autocommit.
 */
export function boundQueryRunner(repository: Repository<ObjectLiteral>): QueryRunner | undefined {
  const queryRunner = repository.queryRunner ?? repository.manager.queryRunner;
  return queryRunner && (!queryRunner.isReleased || queryRunner.isTransactionActive)
    ? queryRunner
    : undefined;
}

/**
 * Runs work on a query runner of racesafe's own on the primary, released afterwards. A query
 * runner holds one pooled connection; racesafe never asks for a second while holding it.
 */
export async function withQueryRunner<T>(
  repository: Repository<ObjectLiteral>,
  work: (runner: QueryRunner) => Promise<T>,
): Promise<T> {
  const runner = repository.manager.connection.createQueryRunner('master');
  try {
    return await work(runner);
  } catch (error) {
    // The server ended this session, but its socket may not have closed yet: released normally, the pool would hand the
    // dead connection to the next caller. TypeORM's PostgreSQL runner can release it as broken, which makes the pool discard it.
    const discard = (runner as { releasePostgresConnection?: (error: unknown) => Promise<void> })
      .releasePostgresConnection;
    if ((error instanceof ConnectionLostError || error instanceof IndeterminateError) && discard)
      await discard.call(runner, error);
    throw error;
  } finally {
    await runner.release();
  }
}

/**
 * Adapts a TypeORM repository to racesafe's algorithms: property names from entity
 * metadata, values converted by the driver (transformers included), statements on the
 * repository's transaction or on a query runner of racesafe's own, always on the primary.
 */
export function typeormGateway<Entity extends ObjectLiteral>(
  repository: Repository<Entity>,
): ModelGateway<Entity> {
  let gateway = gateways.get(repository);
  if (!gateway) gateways.set(repository, (gateway = createGateway(repository)));
  return gateway as ModelGateway<Entity>;
}

// One gateway per repository object (`withRepository` makes a new one per transaction).
const gateways = new WeakMap<Repository<ObjectLiteral>, ModelGateway<ObjectLiteral>>();

function createGateway<Entity extends ObjectLiteral>(
  repository: Repository<Entity>,
): ModelGateway<Entity> {
  const { metadata } = repository;
  const dataSource = repository.manager.connection;
  const driver = dataSource.driver;
  const info = entityInfo(metadata);
  // Looked up on every call: a query runner can be released after the repository was made.
  const bound = () => boundQueryRunner(repository);
  const columnMetadata = (property: string) => info.byProperty.get(property)?.metadata;

  const withOwnRunner = <T>(work: (runner: QueryRunner) => Promise<T>) =>
    withQueryRunner(repository, work);
  // Only a runner the driver hands every caller (SQLite's one) needs turns: a runner of racesafe's own connection has no other user,
  // and skipping the turn keeps Node 20's AsyncLocalStorage (promise hooks, a cost on every promise of the process) off.
  const ownTurn = <T>(own: QueryRunner, work: () => Promise<T>) =>
    (driver as { queryRunner?: QueryRunner }).queryRunner === own ? takeTurn(own, work) : work();

  function insertValues(values: Record<string, unknown>): Record<string, unknown> {
    const version = metadata.versionColumn;
    // TypeORM's own insert starts the version at 1; dates come from the column DEFAULTs.
    return version && values[version.propertyPath] === undefined
      ? { ...values, [version.propertyPath]: 1 }
      : values;
  }
  /** Sets a stored row's values on an entity, converted by the driver as TypeORM hydrates them. */
  function fill(entity: Entity, raw: Record<string, unknown>): void {
    setColumnValues(metadata, entity, raw);
  }
  const lifecycleValues = {
    columns: [...info.byProperty.values()].map((c) => c.metadata),
    insertValues,
    fill,
  };

  const dialect = dialectFor(driver.options.type);
  return {
    dialect,
    modelName: metadata.name,
    tableSql: info.tableSql,
    catalogScope: dataSource,
    columns: () => info.columns,
    column: (property) => info.byProperty.get(property)?.info,
    uniqueKeyAdvice: (properties) => uniqueKeyAdvice(metadata.name, properties),
    // As TypeORM's insert / update query builders write a value: a raw SQL function as the SQL it returns, anything else converted and escaped by the driver and bound.
    bindValue: (property, value, addParameter) =>
      isRawSql(value)
        ? value()
        : bindOrRefuse(metadata.name, property, () =>
            addParameter(
              asDriverSends(
                driver,
                dialect,
                driver.preparePersistentValue(value, columnMetadata(property)!),
              ),
            ),
          ),
    isOperator: isFindOperator,
    isSqlValue: isRawSql,
    insertValues,
    updateAssignments() {
      const assignments: { property: string; sql: string }[] = [];
      if (metadata.updateDateColumn)
        assignments.push({
          property: metadata.updateDateColumn.propertyPath,
          sql: 'CURRENT_TIMESTAMP',
        });
      const version = metadata.versionColumn;
      if (version)
        assignments.push({
          property: version.propertyPath,
          sql: `${driver.escape(version.databaseName)} + 1`,
        });
      return assignments;
    },
    lifecycle: (options) => typeormLifecycle(metadata, options, lifecycleValues),
    softDeleteColumn: metadata.deleteDateColumn
      ? info.byProperty.get(metadata.deleteDateColumn.propertyPath)?.info
      : undefined,
    readValue: (row, property): unknown => columnMetadata(property)?.getEntityValue(row),
    hydrate(raw) {
      const entity = metadata.create(undefined, { fromDeserializer: true }) as Entity;
      fill(entity, raw);
      return entity;
    },
    callerTransaction() {
      const runner = bound() ?? sharedRunnerInCallerTransaction(dataSource);
      return runner?.isTransactionActive ? sessionOf(runner, true, runner) : undefined;
    },
    autocommit(work) {
      const runner = bound();
      // The caller's query runner (no transaction open on it): racesafe calls on it take turns.
      // A runner of racesafe's own takes turns too: TypeORM's SQLite drivers hand every caller the same one (one connection),
      // and no call's statements may land inside another call's transaction.
      return runner
        ? takeTurn(runner, () => work(sessionOf(runner, false)))
        : withOwnRunner((own) => ownTurn(own, () => work(sessionOf(own, false))));
    },
    async transaction(work, options) {
      const run = async (runner: QueryRunner) => {
        // A BEGIN that did not get the lock (SQLITE_BUSY) is racesafe's to retry; under nowait / lockTimeoutMs, LockNotAvailableError.
        await beginOwnTransaction(
          this,
          sessionOf(runner, false),
          () => startOwnTransaction(runner, this.dialect.ownTransactionType),
          options,
        );
        let result: Awaited<ReturnType<typeof work>>;
        try {
          result = await work(sessionOf(runner, true));
        } catch (error) {
          // On a lost connection the ROLLBACK fails too; the database has rolled back, and the work's error is the one to report.
          await runner.rollbackTransaction().catch(() => undefined);
          throw ownWorkError(this, error);
        }
        try {
          await runner.commitTransaction();
        } catch (error) {
          await runner.rollbackTransaction().catch(() => undefined);
          // A connection lost during COMMIT leaves the outcome unknown (IndeterminateError); 40001 at COMMIT is retryable.
          throw translateError(this, error, 'unknown');
        }
        return result;
      };
      const runner = bound();
      const runOwn = (on: QueryRunner) => markedOwn(on, () => run(on));
      return runner
        ? takeTurn(runner, () => runOwn(runner))
        : withOwnRunner((own) => ownTurn(own, () => runOwn(own)));
    },
  };
}

// Query runners in a transaction racesafe began (TypeORM's SQLite drivers: the data source's one runner).
const ownTransactions = new WeakSet<QueryRunner>();

/**
 * The data source's one query runner when its driver shares one among all callers (TypeORM's
 * SQLite drivers: `driver.queryRunner`) and a transaction of the caller's is open on it: a call
 * through a repository not bound to that transaction (`dataSource.getRepository(...)` inside
 * `dataSource.transaction(...)`) still runs its statements inside it, the one connection's only
 * transaction, so racesafe treats it as the caller's (savepoints, no retries, RetryableError),
 * not as a transaction of its own that TypeORM would turn into a savepoint.
 */
function sharedRunnerInCallerTransaction(dataSource: { driver: object }): QueryRunner | undefined {
  const runner = (dataSource.driver as { queryRunner?: QueryRunner }).queryRunner;
  return runner?.isTransactionActive && !ownTransactions.has(runner) ? runner : undefined;
}

/** Runs work (one transaction of racesafe's own) with the runner recorded in ownTransactions, unless a transaction is already open on it. */
async function markedOwn<T>(runner: QueryRunner, work: () => Promise<T>): Promise<T> {
  const mark = !runner.isTransactionActive;
  if (mark) ownTransactions.add(runner);
  try {
    return await work();
  } finally {
    if (mark) ownTransactions.delete(runner);
  }
}

/**
 * Starts racesafe's own transaction: TypeORM's startTransaction, or where the dialect asks for a
 * BEGIN mode, `BEGIN <type>` (SQLite `BEGIN IMMEDIATE`). TypeORM's SQLite query runners always
 * send a deferred `BEGIN TRANSACTION`, so racesafe sends its own and records it on the runner as
 * startTransaction does (isTransactionActive, transactionDepth 1, the transaction-start events):
 * commitTransaction, rollbackTransaction and the listeners given the runner see a transaction.
 */
async function startOwnTransaction(runner: QueryRunner, type: string | undefined): Promise<void> {
  // Already in one (the caller's, on SQLite's single shared runner): TypeORM nests a savepoint.
  if (!type || runner.isTransactionActive) return runner.startTransaction();
  const state = runner as unknown as { isTransactionActive: boolean; transactionDepth: number };
  state.isTransactionActive = true;
  try {
    await runner.broadcaster.broadcast('BeforeTransactionStart');
    await runner.query(`BEGIN ${type}`);
  } catch (error) {
    state.isTransactionActive = false;
    throw error;
  }
  state.transactionDepth = 1;
  await runner.broadcaster.broadcast('AfterTransactionStart');
}
