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
  /** The error code of a unique violation (`ConflictError.code`). */
  readonly uniqueViolationCode: string;
  /** The verbs racesafe sends on each path, asserted as round trips. */
  readonly statements: {
    getOrCreateMiss: string[];
    getOrCreateMissInTransaction: string[];
    updateOrCreateHit: string[];
    atomicUpdateReturning: string[];
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
}

/** The run's PostgreSQL: every suite's home. */
export const postgres: SuiteDatabase = {
  name: 'PostgreSQL',
  dialect: 'postgres',
  describe: (name, fn) => describe(name, fn),
  connect: openSqlClient,
  waitUntilBlocked: (url, fragment, options) => waitUntilBlocked(url, fragment, options),
  quote: (name) => `"${name}"`,
  uniqueViolationCode: '23505',
  statements: {
    getOrCreateMiss: ['SELECT', 'INSERT'],
    getOrCreateMissInTransaction: ['START', 'SELECT', 'SAVEPOINT', 'INSERT', 'RELEASE', 'COMMIT'],
    updateOrCreateHit: ['START', 'SELECT', 'UPDATE', 'COMMIT'],
    atomicUpdateReturning: ['UPDATE'],
  },
  nullsNotDistinct: true,
  advisoryLocks: true,
  repeatableReadLoser: 'retryable',
  partialIndexes: true,
};

/** The run's MariaDB (mysql2): the suites' second database; skipped, saying why, without one. */
export const mariadb: SuiteDatabase = {
  name: 'MariaDB',
  dialect: 'mysql',
  describe: describeOnMysql,
  connect: openSqlClient,
  waitUntilBlocked: (url, fragment, options) => waitUntilMysqlBlocked(url, fragment, options),
  quote: (name) => `\`${name}\``,
  uniqueViolationCode: '1062',
  statements: {
    // No RETURNING: the creator reads its row back by the key it took.
    getOrCreateMiss: ['SELECT', 'INSERT', 'SELECT'],
    // A 1062 inside the caller's transaction must not end it: the INSERT runs in a savepoint.
    getOrCreateMissInTransaction: ['START', 'SELECT', 'SAVEPOINT', 'INSERT', 'SELECT', 'RELEASE', 'COMMIT'],
    updateOrCreateHit: ['START', 'SELECT', 'UPDATE', 'SELECT', 'COMMIT'],
    atomicUpdateReturning: ['START', 'UPDATE', 'SELECT', 'COMMIT'],
  },
  nullsNotDistinct: false,
  advisoryLocks: false,
  repeatableReadLoser: 'winner',
  partialIndexes: false,
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
