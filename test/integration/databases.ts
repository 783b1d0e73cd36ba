import { describeOnMysql } from '../harness/database';
import { type SqlClient, openSqlClient } from '../race/sql-client';
import { waitUntilBlocked } from '../support/locks';
import { waitUntilMysqlBlocked } from '../support/mysql-locks';

/**
 * One database the shared integration suites run on, and what they must expect there.
 * The suites are written once and take a SuiteDatabase; where PostgreSQL and MariaDB
 * legitimately differ (round trips without RETURNING, NULLs in unique keys, what a
 * REPEATABLE READ loser sees) the difference is stated here, by name, never guessed in a test.
 */
export interface SuiteDatabase {
  readonly name: 'PostgreSQL' | 'MariaDB';
  /** The `useTestDatabase` dialect. */
  readonly dialect: 'postgres' | 'mysql';
  /** `describe`, or a skip with the reason when the run has no such server. */
  describe(name: string, fn: () => void): void;
  /** A second session, outside the ORM, with `?` placeholders. */
  connect(url: string): Promise<SqlClient>;
  /** Resolves once a session running a statement containing `fragment` waits on a lock. */
  waitUntilBlocked(url: string, fragment: string, options?: { count?: number }): Promise<unknown>;
  /** A table name as the ORMs quote it in the statements they send. */
  quote(name: string): string;
  /** A column's stored value as the server prints it, to compare what two writers stored (`x::text`, `CAST(x AS CHAR)`). */
  asText(column: string): string;
  /**
   * SQL that fixes the session's now() at one instant far from the client's clock, and SQL that
   * gives the clock back; undefined where now() already is one instant per transaction
   * (PostgreSQL: its start). MariaDB's NOW() is each statement's start, to the second, so a
   * value stamped by one statement would equal NOW() in the next only within the same second.
   */
  readonly pinNow: { pin: string; release: string } | undefined;
  /** The error code of a unique violation (`ConflictError.code`). */
  readonly uniqueViolationCode: string;
  /** The verbs racesafe sends on each path, asserted as round trips. */
  readonly statements: {
    getOrCreateHit: string[];
    getOrCreateMiss: string[];
    /** After a miss in a transaction (after a hit, racesafe SELECTs first: getOrCreateHitInTransaction). */
    getOrCreateMissInTransaction: string[];
    getOrCreateHitInTransaction: string[];
    updateOrCreateHit: string[];
    atomicUpdateReturning: string[];
    /** In the caller's transaction: its START and COMMIT around racesafe's statements. */
    atomicUpdateReturningInTransaction: string[];
  };
  /** A unique key may be declared NULLS NOT DISTINCT (PostgreSQL 15+); MariaDB keys admit any number of NULLs. */
  readonly nullsNotDistinct: boolean;
  /** `advisoryLock: true` has a lock to take (pg_advisory_xact_lock). */
  readonly advisoryLocks: boolean;
  /**
   * What a getOrCreate that loses the insert race inside a REPEATABLE READ transaction gets:
   * PostgreSQL's snapshot cannot see the winner (`RetryableError`); MariaDB's locking read does (TRAPS T12).
   */
  readonly repeatableReadLoser: 'retryable' | 'winner';
  /** Partial unique indexes exist (`UNIQUE ... WHERE deleted_at IS NULL`). */
  readonly partialIndexes: boolean;
  /** The lock clause of updateOrCreate's SELECT (MySQL has nothing weaker than FOR UPDATE). */
  readonly rowLockClause: string;
  /** The error code of a lock not granted under `nowait` / `lockTimeoutMs` (`LockNotAvailableError.code`). */
  readonly lockNotAvailableCode: string;
  /** Reads the session's lock wait setting, and its default: `lockTimeoutMs` must leave it as it was. */
  readonly lockTimeout: { sql: string; default: string };
  /**
   * A REPEATABLE READ transaction that locks a row changed after its snapshot fails with 40001
   * (PostgreSQL); InnoDB's locking read takes the latest version instead (MariaDB before 11.6
   * has no innodb_snapshot_isolation).
   */
  readonly serializationFailures: boolean;
  /**
   * updateOrCreate's locking read of a key another transaction inserted and has not committed
   * waits for it (InnoDB: the inserter holds the new index record's lock). PostgreSQL's read
   * does not see the row; its INSERT is what waits (TRAPS T2).
   */
  readonly lockingReadWaitsForUncommittedInsert: boolean;
  /**
   * SET applies left to right (MySQL), so racesafe orders the assignments; assignments that read
   * each other's columns (a swap) have no such order and are refused before any statement.
   */
  readonly refusesCyclicAssignments: boolean;
  /** Codes of the arithmetic errors atomicUpdate reports as DatabaseError (strict SQL mode on MariaDB: TRAPS T17). */
  readonly errorCodes: { divisionByZero: string; outOfRange: string };
}

/** The run's PostgreSQL: every suite's home. */
export const postgres: SuiteDatabase = {
  name: 'PostgreSQL',
  dialect: 'postgres',
  describe: (name, fn) => describe(name, fn),
  connect: openSqlClient,
  waitUntilBlocked: (url, fragment, options) => waitUntilBlocked(url, fragment, options),
  quote: (name) => `"${name}"`,
  asText: (column) => `${column}::text`,
  pinNow: undefined,
  uniqueViolationCode: '23505',
  statements: {
    // One statement finds or inserts: WITH found AS (SELECT ...), made AS (INSERT ... ON CONFLICT DO NOTHING RETURNING *) ...
    getOrCreateHit: ['WITH'],
    getOrCreateMiss: ['WITH'],
    getOrCreateMissInTransaction: ['START', 'SAVEPOINT', 'WITH', 'RELEASE', 'COMMIT'],
    getOrCreateHitInTransaction: ['START', 'SELECT', 'COMMIT'],
    updateOrCreateHit: ['START', 'SELECT', 'UPDATE', 'COMMIT'],
    atomicUpdateReturning: ['UPDATE'],
    atomicUpdateReturningInTransaction: ['START', 'UPDATE', 'COMMIT'],
  },
  nullsNotDistinct: true,
  advisoryLocks: true,
  repeatableReadLoser: 'retryable',
  partialIndexes: true,
  rowLockClause: 'FOR NO KEY UPDATE',
  lockNotAvailableCode: '55P03',
  lockTimeout: { sql: `SELECT current_setting('lock_timeout') AS value`, default: '0' },
  serializationFailures: true,
  lockingReadWaitsForUncommittedInsert: false,
  refusesCyclicAssignments: false,
  errorCodes: { divisionByZero: '22012', outOfRange: '22003' },
};

/** The run's MariaDB (mysql2): the suites' second database; skipped, saying why, without one. */
export const mariadb: SuiteDatabase = {
  name: 'MariaDB',
  dialect: 'mysql',
  describe: describeOnMysql,
  connect: openSqlClient,
  waitUntilBlocked: (url, fragment, options) => waitUntilMysqlBlocked(url, fragment, options),
  quote: (name) => `\`${name}\``,
  asText: (column) => `CAST(${column} AS CHAR)`,
  // https://mariadb.com/kb/en/server-system-variables/#timestamp (2011-11-11 11:11:11 UTC)
  pinNow: { pin: 'SET timestamp = 1321009871', release: 'SET timestamp = DEFAULT' },
  uniqueViolationCode: '1062',
  statements: {
    // No RETURNING: the creator reads its row back by the key it took.
    getOrCreateHit: ['SELECT'],
    getOrCreateMiss: ['SELECT', 'INSERT', 'SELECT'],
    // A 1062 inside the caller's transaction must not end it: the INSERT runs in a savepoint.
    getOrCreateMissInTransaction: ['START', 'SELECT', 'SAVEPOINT', 'INSERT', 'SELECT', 'RELEASE', 'COMMIT'],
    getOrCreateHitInTransaction: ['START', 'SELECT', 'COMMIT'],
    updateOrCreateHit: ['START', 'SELECT', 'UPDATE', 'SELECT', 'COMMIT'],
    // No UPDATE ... RETURNING: the row is read back by its key while the UPDATE's lock holds it.
    atomicUpdateReturning: ['START', 'UPDATE', 'SELECT', 'COMMIT'],
    atomicUpdateReturningInTransaction: ['START', 'UPDATE', 'SELECT', 'COMMIT'],
  },
  nullsNotDistinct: false,
  advisoryLocks: false,
  repeatableReadLoser: 'winner',
  partialIndexes: false,
  rowLockClause: 'FOR UPDATE',
  // MariaDB answers NOWAIT with a lock wait timeout (TRAPS T21).
  lockNotAvailableCode: '1205',
  lockTimeout: { sql: 'SELECT @@SESSION.innodb_lock_wait_timeout AS value', default: '50' },
  serializationFailures: false,
  lockingReadWaitsForUncommittedInsert: true,
  refusesCyclicAssignments: true,
  // ER_DIVISION_BY_ZERO, ER_WARN_DATA_OUT_OF_RANGE.
  errorCodes: { divisionByZero: '1365', outOfRange: '1264' },
};

/** Every database a suite runs on, PostgreSQL first. */
export const suiteDatabases: readonly SuiteDatabase[] = [postgres, mariadb];

/**
 * Runs a shared suite once per database, each in its own describe block named after it.
 *
 * @example
 * describeOnEachDatabase('getOrCreate (TypeORM)', (database) => describeGetOrCreate(openTypeormTestOrm, database));
 */
export function describeOnEachDatabase(title: string, suite: (database: SuiteDatabase) => void): void {
  for (const database of suiteDatabases) database.describe(`${title} on ${database.name}`, () => suite(database));
}
