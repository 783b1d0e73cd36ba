import { describeAsMysql8, describeOnMysql, describeThroughPgbouncer } from '../harness/database';
import { type SqlClient, openSqlClient } from '../race/sql-client';
import { waitUntilBlocked } from '../support/locks';
import { waitUntilMysqlBlocked } from '../support/mysql-locks';
import { openSqliteSqlClient, waitUntilSqliteBlocked } from '../support/sqlite-locks';
import type { StatementLog } from '../support/statement-log';

/**
 * One database the shared integration suites run on, and what they must expect there.
 * The suites are written once and take a SuiteDatabase; where PostgreSQL and MariaDB
 * legitimately differ (round trips without RETURNING, NULLs in unique keys, what a
 * REPEATABLE READ loser sees) the difference is stated here, by name, never guessed in a test.
 */
export interface SuiteDatabase {
  readonly name:
    | 'PostgreSQL'
    | 'PostgreSQL through PgBouncer'
    | 'MariaDB'
    | 'MariaDB reporting MySQL 8.0.36'
    | 'SQLite';
  /** The `useTestDatabase` dialect. */
  readonly dialect: 'postgres' | 'mysql' | 'sqlite';
  /** Reached through the run's PgBouncer in transaction pooling mode (the `useTestDatabase` option). */
  readonly through?: 'pgbouncer';
  /** On the run's MariaDB that reports MySQL 8's version (the `useTestDatabase` option): racesafe's MySQL 8 paths. */
  readonly asMysql8?: boolean;
  /** `describe`, or a skip with the reason when the run has no such server. */
  describe(name: string, fn: () => void): void;
  /** A second session, outside the ORM, with `?` placeholders. */
  connect(url: string): Promise<SqlClient>;
  /**
   * Resolves once a session running a statement containing `fragment` waits on a lock. `sent`:
   * the statement log of the ORM under test, for databases that cannot list waiting sessions
   * (SQLite: a statement it sent that needs the write lock another connection holds).
   */
  waitUntilBlocked(
    url: string,
    fragment: string,
    options?: { count?: number; sent?: StatementLog },
  ): Promise<unknown>;
  /** A table name as the ORMs quote it in the statements they send. */
  quote(name: string): string;
  /** A column's stored value as the server prints it, to compare what two writers stored (`x::text`, `CAST(x AS CHAR)`). */
  asText: (column: string) => string;
  /**
   * SQL that fixes the session's now() at one instant far from the client's clock, and SQL that
   * gives the clock back; undefined where now() already is one instant per transaction
   * (PostgreSQL: its start). MariaDB's NOW() is each statement's start, to the second, so a
   * value stamped by one statement would equal NOW() in the next only within the same second.
   */
  readonly pinNow: { pin: string; release: string } | undefined;
  /** A raw query returns JSON columns as their text, unparsed (SQLite: no JSON type, the schema's columns are TEXT holding JSON). */
  readonly jsonAsText: boolean;
  /** The database's now() in SQL, as `TestOrm.sqlNow()` writes it (SQLite has no now(): `datetime('now')`, UTC to the second). */
  readonly nowSql: string;
  /**
   * now() is each statement's (MariaDB, SQLite), not the transaction's (PostgreSQL): a later
   * statement sees the same value only when pinned (pinNow), else within the same second.
   */
  readonly nowPerStatement: boolean;
  /**
   * The error code of a unique violation (`ConflictError.code`); a matcher where the database's
   * drivers report it differently (SQLite: better-sqlite3 the extended code, node-sqlite3 the primary one).
   */
  readonly uniqueViolationCode: string;
  /** The verb of the ORM's own BEGIN: `START TRANSACTION` on the servers, `BEGIN [DEFERRED] TRANSACTION` on SQLite. */
  readonly beginVerb: 'START' | 'BEGIN';
  /** The verbs racesafe sends on each path, asserted as round trips. */
  readonly statements: {
    /**
     * By the table's last two outcomes (last-outcome.ts): a hit / a miss after two hits, after two
     * misses, and after one of each (PostgreSQL: SELECT first, the INSERT first, the WITH).
     */
    getOrCreateHit: string[];
    getOrCreateMissAfterHit: string[];
    getOrCreateMiss: string[];
    getOrCreateHitAfterMiss: string[];
    getOrCreateHitAfterMixed: string[];
    getOrCreateMissAfterMixed: string[];
    /** A miss after two misses in a transaction; a hit after two hits there. */
    getOrCreateMissInTransaction: string[];
    getOrCreateHitInTransaction: string[];
    /** getOrCreateMany of one chunk, outside a transaction: all rows found / some missing. */
    getOrCreateManyHit: string[];
    getOrCreateManyMiss: string[];
    /** Outside a transaction, an existing row / a missing one, by the table's last two outcomes as for getOrCreate. */
    updateOrCreateHit: string[];
    updateOrCreateMissAfterHit: string[];
    updateOrCreateMiss: string[];
    updateOrCreateHitAfterMiss: string[];
    updateOrCreateHitAfterMixed: string[];
    updateOrCreateMissAfterMixed: string[];
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
   * PostgreSQL's snapshot cannot see the winner (`RetryableError`); MariaDB's locking read does (docs/database-behaviours.md#a-locking-read-sees-past-the-snapshot-on-mysql).
   */
  readonly repeatableReadLoser: 'retryable' | 'winner';
  /** Partial unique indexes exist (`UNIQUE ... WHERE deleted_at IS NULL`). */
  readonly partialIndexes: boolean;
  /**
   * The lock clause of updateOrCreate's SELECT (MySQL has nothing weaker than FOR UPDATE);
   * undefined without row locks (SQLite: racesafe's own transaction takes the database's write lock at BEGIN IMMEDIATE).
   */
  readonly rowLockClause: string | undefined;
  /**
   * One writer at a time for the whole database (SQLite): a transaction's first write waits for
   * any other transaction that has written, whatever the rows, and then sees every committed row.
   */
  readonly databaseWriteLock: boolean;
  /**
   * The isolation level to ask for a transaction that reads from a snapshot taken at its first
   * read; undefined where every transaction does (SQLite is SERIALIZABLE: a deferred transaction
   * reads one WAL snapshot until it writes, and TypeORM refuses other level names there).
   */
  readonly snapshotIsolation: 'REPEATABLE READ' | undefined;
  /** The error code of a lock not granted under `nowait` / `lockTimeoutMs` (`LockNotAvailableError.code`). */
  readonly lockNotAvailableCode: string;
  /**
   * Reads the session's lock wait setting, and its default: `lockTimeoutMs` must leave it as it
   * was. SQLite's busy timeout defaults to the driver's (better-sqlite3 5000 ms, node-sqlite3 1000 ms): a matcher.
   */
  readonly lockTimeout: { sql: string; default: string };
  /**
   * A REPEATABLE READ transaction that locks a row changed after its snapshot fails with 40001
   * (PostgreSQL); InnoDB's locking read takes the latest version instead (MariaDB before 11.6
   * has no innodb_snapshot_isolation).
   */
  readonly serializationFailures: boolean;
  /** The code of that failure (`RetryableError.code`): 40001, or SQLite's SQLITE_BUSY_SNAPSHOT (node-sqlite3: SQLITE_BUSY). */
  readonly serializationFailureCode: string;
  /**
   * updateOrCreate's locking read of a key another transaction inserted and has not committed
   * waits for it (InnoDB: the inserter holds the new index record's lock). PostgreSQL's read
   * does not see the row; its INSERT is what waits (docs/database-behaviours.md#a-second-insert-waits-on-the-unique-index).
   */
  readonly lockingReadWaitsForUncommittedInsert: boolean;
  /**
   * A connection URL can give the session settings at startup (libpq `options`, e.g. a default
   * isolation level): PgBouncer 1.18 refuses that startup parameter.
   */
  readonly startupOptions: boolean;
  /** updateOrCreate outside a transaction updates or creates in one statement (`WITH updated AS (UPDATE ... RETURNING *), made AS (INSERT ...)`). */
  readonly updateOrCreateInOneStatement: boolean;
  /**
   * updateOrCreate without hooks runs as one compound statement (`BEGIN NOT ATOMIC ... END`: lock,
   * UPDATE or INSERT, read back) in or out of your transaction.
   */
  readonly updateOrCreateCompound: boolean;
  /** The statement an updateOrCreate outside a transaction waits in while another transaction holds the row. */
  readonly updateOrCreateWaitsIn: string;
  /**
   * SET applies left to right (MySQL), so racesafe orders the assignments; assignments that read
   * each other's columns (a swap) have no such order and are refused before any statement.
   */
  readonly refusesCyclicAssignments: boolean;
  /**
   * Codes of the arithmetic errors atomicUpdate reports as DatabaseError (strict SQL mode on
   * MariaDB: docs/database-behaviours.md#division-by-zero-and-out-of-range-values). SQLite: division by zero is NULL, refused by the NOT NULL column; its
   * INTEGER is 64-bit, so the suite's int4 overflow is none there (undefined: stored exactly).
   */
  readonly errorCodes: { divisionByZero: string; outOfRange: string | undefined };
}

/** The run's PostgreSQL: every suite's home. */
type Outcomes<Operation extends string> = Record<
  `${Operation}${'Hit' | 'MissAfterHit' | 'Miss' | 'HitAfterMiss' | 'HitAfterMixed' | 'MissAfterMixed'}`,
  string[]
>;

/** Where an operation's statements do not depend on the table's last outcomes: the same verbs for a hit, and for a miss, in every state. */
function sameEveryTime<Operation extends 'getOrCreate' | 'updateOrCreate'>(
  operation: Operation,
  hit: string[],
  miss: string[],
): Outcomes<Operation> {
  const states = {
    Hit: hit,
    MissAfterHit: miss,
    Miss: miss,
    HitAfterMiss: hit,
    HitAfterMixed: hit,
    MissAfterMixed: miss,
  };
  return Object.fromEntries(
    Object.entries(states).map(([state, verbs]) => [`${operation}${state}`, verbs]),
  ) as Outcomes<Operation>;
}

export const postgres: SuiteDatabase = {
  name: 'PostgreSQL',
  dialect: 'postgres',
  describe: (name, fn) => describe(name, fn),
  connect: openSqlClient,
  waitUntilBlocked: (url, fragment, options) => waitUntilBlocked(url, fragment, options),
  quote: (name) => `"${name}"`,
  asText: (column) => `${column}::text`,
  pinNow: undefined,
  jsonAsText: false,
  nowSql: 'now()',
  nowPerStatement: false,
  uniqueViolationCode: '23505',
  beginVerb: 'START',
  statements: {
    // After two hits a plain SELECT first; after two misses the plain INSERT ... VALUES ... ON CONFLICT DO NOTHING
    // RETURNING * first; after one of each the WITH found AS (SELECT ...), made AS (INSERT ...).
    getOrCreateHit: ['SELECT'],
    getOrCreateMissAfterHit: ['SELECT', 'INSERT'],
    getOrCreateMiss: ['INSERT'],
    getOrCreateHitAfterMiss: ['INSERT', 'SELECT'],
    getOrCreateHitAfterMixed: ['WITH'],
    getOrCreateMissAfterMixed: ['WITH'],
    getOrCreateMissInTransaction: ['START', 'SAVEPOINT', 'INSERT', 'RELEASE', 'COMMIT'],
    getOrCreateHitInTransaction: ['START', 'SELECT', 'COMMIT'],
    getOrCreateManyHit: ['SELECT'],
    getOrCreateManyMiss: ['SELECT', 'INSERT'],
    // The same choice: the plain UPDATE ... RETURNING first, INSERT ... ON CONFLICT (key) DO UPDATE first (plain
    // defaults; with F expressions the guarded INSERT, then the UPDATE), or WITH updated AS (UPDATE ...), made AS (INSERT ...).
    updateOrCreateHit: ['UPDATE'],
    updateOrCreateMissAfterHit: ['UPDATE', 'WITH'],
    updateOrCreateMiss: ['INSERT'],
    updateOrCreateHitAfterMiss: ['INSERT'],
    updateOrCreateHitAfterMixed: ['WITH'],
    updateOrCreateMissAfterMixed: ['WITH'],
    atomicUpdateReturning: ['UPDATE'],
    atomicUpdateReturningInTransaction: ['START', 'UPDATE', 'COMMIT'],
  },
  nullsNotDistinct: true,
  advisoryLocks: true,
  repeatableReadLoser: 'retryable',
  partialIndexes: true,
  rowLockClause: 'FOR NO KEY UPDATE',
  databaseWriteLock: false,
  snapshotIsolation: 'REPEATABLE READ',
  lockNotAvailableCode: '55P03',
  lockTimeout: { sql: `SELECT current_setting('lock_timeout') AS value`, default: '0' },
  serializationFailures: true,
  serializationFailureCode: '40001',
  lockingReadWaitsForUncommittedInsert: false,
  startupOptions: true,
  updateOrCreateInOneStatement: true,
  updateOrCreateCompound: false,
  // The plain UPDATE and the WITH's both: which one runs first follows the table's last outcomes.
  updateOrCreateWaitsIn: 'UPDATE "users" SET',
  refusesCyclicAssignments: false,
  errorCodes: { divisionByZero: '22012', outOfRange: '22003' },
};

/**
 * The run's PostgreSQL through the run's PgBouncer in transaction pooling mode, fewer server
 * connections than the clients of a race (test/harness/pgbouncer.ts): each transaction may run
 * on another server connection, so any session state racesafe left behind (a session SET, a
 * session advisory lock, a named prepared statement) would leak or break here (docs/database-behaviours.md#pgbouncer-transaction-pooling).
 * Everything else is PostgreSQL's. Skipped, saying why, without a PgBouncer.
 */
export const pgbouncer: SuiteDatabase = {
  ...postgres,
  name: 'PostgreSQL through PgBouncer',
  through: 'pgbouncer',
  describe: describeThroughPgbouncer,
  // "unsupported startup parameter: options" (PgBouncer 1.18).
  startupOptions: false,
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
  // mysql2 parses JSON columns.
  jsonAsText: false,
  nowSql: 'now()',
  nowPerStatement: true,
  uniqueViolationCode: '1062',
  beginVerb: 'START',
  statements: {
    // After two hits a plain SELECT first (a miss then INSERTs and reads its row back by the key it
    // took: no RETURNING); otherwise one compound statement, BEGIN NOT ATOMIC ... SELECT COUNT(*);
    // INSERT unless found; SELECT ... END, a lost race included.
    getOrCreateHit: ['SELECT'],
    getOrCreateMissAfterHit: ['SELECT', 'INSERT', 'SELECT'],
    getOrCreateMiss: ['BEGIN'],
    getOrCreateHitAfterMiss: ['BEGIN'],
    getOrCreateHitAfterMixed: ['BEGIN'],
    getOrCreateMissAfterMixed: ['BEGIN'],
    // The same statement in the caller's transaction, without its own: a 1062 there ends only that statement.
    getOrCreateMissInTransaction: ['START', 'BEGIN', 'COMMIT'],
    getOrCreateHitInTransaction: ['START', 'SELECT', 'COMMIT'],
    // The keys' SELECT, then the missing rows' INSERT and their read-back in one compound statement
    // (BEGIN NOT ATOMIC ... INSERT ...; SELECT ...; ... END): no RETURNING.
    getOrCreateManyHit: ['SELECT'],
    getOrCreateManyMiss: ['SELECT', 'BEGIN'],
    // One compound statement, whatever the last outcomes: BEGIN NOT ATOMIC ... SELECT ... FOR UPDATE; UPDATE or INSERT; SELECT ... END.
    ...sameEveryTime('updateOrCreate', ['BEGIN'], ['BEGIN']),
    // No UPDATE ... RETURNING: one compound statement, BEGIN NOT ATOMIC ... UPDATE; SELECT ... END.
    atomicUpdateReturning: ['BEGIN'],
    atomicUpdateReturningInTransaction: ['START', 'BEGIN', 'COMMIT'],
  },
  nullsNotDistinct: false,
  advisoryLocks: false,
  repeatableReadLoser: 'winner',
  partialIndexes: false,
  rowLockClause: 'FOR UPDATE',
  databaseWriteLock: false,
  snapshotIsolation: 'REPEATABLE READ',
  // MariaDB answers NOWAIT with a lock wait timeout (docs/database-behaviours.md#mariadb-reports-nowait-as-a-lock-wait-timeout).
  lockNotAvailableCode: '1205',
  lockTimeout: { sql: 'SELECT @@SESSION.innodb_lock_wait_timeout AS value', default: '50' },
  serializationFailures: false,
  // None on MariaDB: unused.
  serializationFailureCode: '40001',
  lockingReadWaitsForUncommittedInsert: true,
  startupOptions: true,
  updateOrCreateInOneStatement: false,
  updateOrCreateCompound: true,
  updateOrCreateWaitsIn: 'FOR UPDATE',
  refusesCyclicAssignments: true,
  // ER_DIVISION_BY_ZERO, ER_WARN_DATA_OUT_OF_RANGE.
  errorCodes: { divisionByZero: '1365', outOfRange: '1264' },
};

/**
 * racesafe's MySQL 8 paths, on MariaDB: the run's second MariaDB 10.11 reports version 8.0.36
 * (mariadbd `--version`, test/harness/mariadb.ts), so racesafe's adapter is told the server is not
 * MariaDB and sends what it sends to MySQL 8: no compound statements (MySQL runs them only inside
 * stored programs), no RETURNING, `FOR UPDATE` / `LOCK IN SHARE MODE`. Not a MySQL 8 server: the
 * engine, its errors and its messages are MariaDB's (MySQL 8's own NOWAIT errno 3572 and its
 * `table.key` 1062 messages are unit-tested on the adapter only). Run on TypeORM 1.x and Sequelize
 * (describeAsMysql8), for the suites whose statements differ from MariaDB's (describeOnEachDatabase).
 */
export const asMysql8: SuiteDatabase = {
  ...mariadb,
  name: 'MariaDB reporting MySQL 8.0.36',
  asMysql8: true,
  describe: describeAsMysql8,
  statements: {
    // No RETURNING: the creator reads its row back by the key it took.
    ...sameEveryTime('getOrCreate', ['SELECT'], ['SELECT', 'INSERT', 'SELECT']),
    // A 1062 inside the caller's transaction must not end it: the INSERT runs in a savepoint.
    getOrCreateMissInTransaction: [
      'START',
      'SELECT',
      'SAVEPOINT',
      'INSERT',
      'SELECT',
      'RELEASE',
      'COMMIT',
    ],
    getOrCreateHitInTransaction: ['START', 'SELECT', 'COMMIT'],
    // No RETURNING: the rows are read back by key inside the INSERT's transaction.
    getOrCreateManyHit: ['START', 'SELECT', 'COMMIT'],
    getOrCreateManyMiss: ['START', 'SELECT', 'SAVEPOINT', 'INSERT', 'RELEASE', 'SELECT', 'COMMIT'],
    // The locking transaction, whatever the last outcomes; for a missing row it ends without a write (its gap lock with it:
    // see docs/database-behaviours.md#mysql-gap-locks-deadlock-two-inserts), then the INSERT and its read-back in a transaction.
    ...sameEveryTime(
      'updateOrCreate',
      ['START', 'SELECT', 'UPDATE', 'SELECT', 'COMMIT'],
      ['START', 'SELECT', 'COMMIT', 'START', 'SAVEPOINT', 'INSERT', 'SELECT', 'RELEASE', 'COMMIT'],
    ),
    // No UPDATE ... RETURNING: the rows locked, updated and read back in a transaction.
    atomicUpdateReturning: ['START', 'SELECT', 'UPDATE', 'SELECT', 'COMMIT'],
    atomicUpdateReturningInTransaction: ['START', 'SELECT', 'UPDATE', 'SELECT', 'COMMIT'],
  },
  updateOrCreateCompound: false,
};

/**
 * SQLite, a file database in WAL mode (test/schema/sqlite-tables.ts), through better-sqlite3
 * (TypeORM) and node-sqlite3 (Sequelize). No server: always run. One writer at a time holds the
 * database's write lock, and there are no row locks (docs/database-behaviours.md#sqlite-a-reader-cannot-become-a-writer-after-another-commit).
 */
export const sqlite: SuiteDatabase = {
  name: 'SQLite',
  dialect: 'sqlite',
  // No server to start: always run.
  describe: (name, fn) => describe(name, fn),
  // node-sqlite3, asynchronous: its waits for the write lock do not stop the test process.
  connect: openSqliteSqlClient,
  // No view of waiting sessions: the write lock seen held, and the waiter's write statement sent and unanswered.
  waitUntilBlocked: (url, fragment, options) => waitUntilSqliteBlocked(url, fragment, options),
  // TypeORM's quoting; Sequelize's backticks are told apart where the suites match statements.
  quote: (name) => `"${name}"`,
  asText: (column) => `CAST(${column} AS TEXT)`,
  // datetime('now') is each statement's, to the second, and no setting pins it: the suites compare with a window.
  pinNow: undefined,
  jsonAsText: true,
  nowSql: "datetime('now')",
  nowPerStatement: true,
  // better-sqlite3 reports extended result codes, node-sqlite3 only the primary one.
  uniqueViolationCode: expect.stringMatching(/^SQLITE_CONSTRAINT(_UNIQUE)?$/),
  beginVerb: 'BEGIN',
  statements: {
    // No WITH ... INSERT in SQLite: SELECT, then INSERT ... ON CONFLICT DO NOTHING RETURNING *.
    ...sameEveryTime('getOrCreate', ['SELECT'], ['SELECT', 'INSERT']),
    // The ORM's own BEGIN (TypeORM `BEGIN TRANSACTION`, Sequelize `BEGIN DEFERRED TRANSACTION`).
    getOrCreateMissInTransaction: ['BEGIN', 'SELECT', 'SAVEPOINT', 'INSERT', 'RELEASE', 'COMMIT'],
    getOrCreateHitInTransaction: ['BEGIN', 'SELECT', 'COMMIT'],
    getOrCreateManyHit: ['SELECT'],
    getOrCreateManyMiss: ['SELECT', 'INSERT'],
    // racesafe's own transaction: BEGIN IMMEDIATE takes the write lock before the read.
    // The INSERT ... ON CONFLICT DO NOTHING takes a savepoint in every transaction, racesafe's own too.
    ...sameEveryTime(
      'updateOrCreate',
      ['BEGIN', 'SELECT', 'UPDATE', 'COMMIT'],
      ['BEGIN', 'SELECT', 'SAVEPOINT', 'INSERT', 'RELEASE', 'COMMIT'],
    ),
    atomicUpdateReturning: ['UPDATE'],
    atomicUpdateReturningInTransaction: ['BEGIN', 'UPDATE', 'COMMIT'],
  },
  // A unique index admits any number of NULLs; there is no NULLS NOT DISTINCT.
  nullsNotDistinct: false,
  // No advisory locks at all.
  advisoryLocks: false,
  // A deferred transaction that read first cannot write after another writer committed (SQLITE_BUSY_SNAPSHOT: docs/database-behaviours.md#sqlite-a-reader-cannot-become-a-writer-after-another-commit).
  repeatableReadLoser: 'retryable',
  partialIndexes: true,
  // No row locks (FOR UPDATE is a syntax error): the database write lock does the locking.
  rowLockClause: undefined,
  databaseWriteLock: true,
  snapshotIsolation: undefined,
  // nowait / lockTimeoutMs bound the wait for the write lock (the busy timeout): SQLITE_BUSY when not granted.
  lockNotAvailableCode: 'SQLITE_BUSY',
  lockTimeout: {
    sql: 'SELECT timeout AS value FROM pragma_busy_timeout',
    default: expect.stringMatching(/^(5000|1000)$/),
  },
  // The failed upgrade of a transaction whose snapshot is stale (docs/database-behaviours.md#sqlite-a-reader-cannot-become-a-writer-after-another-commit).
  serializationFailures: true,
  serializationFailureCode: expect.stringMatching(/^SQLITE_BUSY(_SNAPSHOT)?$/),
  lockingReadWaitsForUncommittedInsert: false,
  startupOptions: true,
  updateOrCreateInOneStatement: false,
  updateOrCreateCompound: false,
  // The second writer waits for the database write lock at its BEGIN IMMEDIATE.
  updateOrCreateWaitsIn: 'BEGIN IMMEDIATE',
  // SET reads the old row, as standard SQL.
  refusesCyclicAssignments: false,
  // NULL from x / 0 meets the NOT NULL column (docs/database-behaviours.md#division-by-zero-and-out-of-range-values); 64-bit INTEGER: no int4 overflow.
  errorCodes: {
    divisionByZero: expect.stringMatching(/^SQLITE_CONSTRAINT(_NOTNULL)?$/),
    outOfRange: undefined,
  },
};

/** Every database a suite runs on, PostgreSQL first. */
export const suiteDatabases: readonly SuiteDatabase[] = [postgres, pgbouncer, mariadb, sqlite];

/**
 * Runs a shared suite once per database, each in its own describe block named after it; with
 * `asMysql8`, once more on the MariaDB reporting MySQL 8 (for the suites whose statements differ
 * there: {@link asMysql8}).
 *
 * @example
 * describeOnEachDatabase('getOrCreate (TypeORM)', (database) => describeGetOrCreate(openTypeormTestOrm, database), { asMysql8: true });
 */
export function describeOnEachDatabase(
  title: string,
  suite: (database: SuiteDatabase) => void,
  options: { asMysql8?: boolean } = {},
): void {
  for (const database of options.asMysql8 ? [...suiteDatabases, asMysql8] : suiteDatabases)
    database.describe(`${title} on ${database.name}`, () => suite(database));
}
