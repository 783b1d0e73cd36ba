import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { MARIADB_HOW_TO_ENABLE } from './mariadb';
import { PGBOUNCER_HOW_TO_ENABLE } from './pgbouncer';
import { applyMysqlSchema, createMysqlDatabase } from './mysql-database';
import { applySqliteSchema, createSqliteDatabase } from './sqlite-database';
import { applySchema, createDatabase, type TestDatabase } from './postgres';

/** Which server a test database lives on: the run's PostgreSQL (default) or its MariaDB; or a SQLite file. */
export interface TestDatabaseOptions {
  dialect?: 'postgres' | 'mysql' | 'sqlite';
  /**
   * PostgreSQL: `url()` reaches the database through the run's PgBouncer (transaction pooling)
   * instead of directly; wrap those tests in {@link describeThroughPgbouncer}.
   */
  through?: 'pgbouncer';
  /**
   * MySQL: the database lives on the run's second MariaDB, the one that reports MySQL 8's version
   * (test/harness/mariadb.ts, AS_MYSQL8_VERSION), so racesafe takes its MySQL 8 paths there; wrap
   * those tests in {@link describeAsMysql8}.
   */
  asMysql8?: boolean;
}

/**
 * Gives the calling jest test file its own fresh database on the run's server: PostgreSQL
 * (`RACESAFE_TEST_SERVER_URL` from the global setup, or `RACESAFE_PG_URL`), or with
 * `{ dialect: 'mysql' }` MariaDB (`RACESAFE_TEST_MYSQL_URL`, or `RACESAFE_MYSQL_URL`; wrap
 * those tests in {@link describeOnMysql}). beforeAll creates it (and runs `schemaSql`),
 * afterAll drops it.
 *
 * @example
 * const db = useTestDatabase('CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL)');
 * it('counts', async () => { const pool = new Pool({ connectionString: db.url() }); ... });
 * // MariaDB: describeOnMysql('counter', () => { const db = useTestDatabase(mysqlSchemaSql, { dialect: 'mysql' }); ... });
 */
export function useTestDatabase(
  schemaSql?: string,
  options: TestDatabaseOptions = {},
): { url(): string } {
  const onMysql = options.dialect === 'mysql';
  let database: TestDatabase | undefined;
  beforeAll(async () => {
    // SQLite: a file in a temporary directory of its own (sqlite:/tmp/racesafe-<file>-XXXXXX/test.db), no server.
    if (options.dialect === 'sqlite') {
      database = await createSqliteDatabase(
        path.basename(expect.getState().testPath ?? 'test').replace(/\.test\.ts$/, ''),
      );
      if (schemaSql) await applySqliteSchema(database.url, schemaSql);
      return;
    }
    const serverUrl = onMysql
      ? options.asMysql8
        ? asMysql8ServerUrl()
        : mysqlServerUrl()
      : (process.env.RACESAFE_TEST_SERVER_URL ?? process.env.RACESAFE_PG_URL);
    if (!serverUrl) {
      throw new Error(
        onMysql
          ? `useTestDatabase: no MariaDB${options.asMysql8 ? ' reporting MySQL 8' : ''}. Wrap MariaDB tests in ${options.asMysql8 ? 'describeAsMysql8' : 'describeOnMysql'}(); ${MARIADB_HOW_TO_ENABLE}.`
          : 'useTestDatabase: no server. Run through jest (its globalSetup starts one) or set RACESAFE_PG_URL.',
      );
    }
    const file = path.basename(expect.getState().testPath ?? 'test').replace(/\.test\.ts$/, '');
    // The random suffix keeps two runs (or a rerun after a crash) from colliding.
    const name = `rs_${file.slice(0, 40)}_${randomBytes(4).toString('hex')}`;
    database = await (onMysql ? createMysqlDatabase : createDatabase)(serverUrl, name);
    if (schemaSql) await (onMysql ? applyMysqlSchema : applySchema)(database.url, schemaSql);
    if (options.through === 'pgbouncer')
      database = { ...database, url: throughPgbouncer(database.url) };
  });
  afterAll(async () => {
    await database?.drop();
    database = undefined;
  });
  return {
    url() {
      if (!database)
        throw new Error('useTestDatabase: url() is only available inside tests and hooks.');
      return database.url;
    },
  };
}

/**
 * The run's MariaDB / MySQL server (`mysql://user:password@host:port`), or undefined when
 * there is none: the global setup publishes `RACESAFE_TEST_MYSQL_URL`, else `RACESAFE_MYSQL_URL`.
 */
export function mysqlServerUrl(): string | undefined {
  return process.env.RACESAFE_TEST_MYSQL_URL || process.env.RACESAFE_MYSQL_URL || undefined;
}

/**
 * `describe` when the run has a MariaDB / MySQL server, else `describe.skip` with the reason
 * in the block's name (the run also says once, after jest's summary, how to enable them; with
 * `CI` set the global setup fails the run instead).
 *
 * @example
 * describeOnMysql('getOrCreate on MariaDB', () => {
 *   const db = useTestDatabase(mysqlSchemaSql, { dialect: 'mysql' });
 *   it('creates once', async () => { ... });
 * });
 */
export function describeOnMysql(name: string, fn: () => void): void {
  if (mysqlServerUrl()) describe(name, fn);
  else describe.skip(`${name} (skipped: no MariaDB; ${MARIADB_HOW_TO_ENABLE})`, fn);
}

/**
 * The run's MariaDB that reports MySQL 8's version (`RACESAFE_TEST_AS_MYSQL8_URL` from the global
 * setup, which starts it where it starts a MariaDB of its own), or undefined when there is none.
 */
export function asMysql8ServerUrl(): string | undefined {
  return process.env.RACESAFE_TEST_AS_MYSQL8_URL || undefined;
}

/**
 * `describe` on the run's MariaDB reporting MySQL 8's version, where racesafe takes its MySQL 8
 * paths; else `describe.skip` with the reason in the block's name: no such server (it needs
 * `mariadbd` installed), or TypeORM 0.3's run (these paths run through the same gateway code on
 * TypeORM 1.x; the CPU of npm test goes elsewhere). With `CI` set, a missing server where the
 * run started a MariaDB of its own fails instead.
 */
export function describeAsMysql8(name: string, fn: () => void): void {
  if (process.env.RACESAFE_TYPEORM === '0.3')
    describe.skip(`${name} (skipped on TypeORM 0.3: run on TypeORM 1.x and Sequelize)`, fn);
  else if (asMysql8ServerUrl()) describe(name, fn);
  else if (startedMariadbInCi())
    // The global setup started a MariaDB of its own, so it could have started this one: a lane that runs these suites without it.
    throw new Error(
      `${name}: no MariaDB reporting MySQL 8 in this jest lane, though CI has mariadbd (the global setup starts one where RACESAFE_JEST_LANE runs the suites)`,
    );
  else
    describe.skip(
      `${name} (skipped: no MariaDB of the run's own to report MySQL 8's version; install Debian's mariadb-server)`,
      fn,
    );
}

/** CI is set and the global setup started a MariaDB of its own (mariadbd is installed, no RACESAFE_MYSQL_URL). */
function startedMariadbInCi(): boolean {
  const ci = process.env.CI;
  const inCi = Boolean(ci) && !/^(0|false)$/i.test(ci!);
  return inCi && Boolean(process.env.RACESAFE_TEST_MYSQL_URL) && !process.env.RACESAFE_MYSQL_URL;
}

/** The run's PgBouncer (`RACESAFE_TEST_PGBOUNCER_URL` from the global setup, else `RACESAFE_PGBOUNCER_URL`), or undefined. */
export function pgbouncerUrl(): string | undefined {
  return process.env.RACESAFE_TEST_PGBOUNCER_URL || process.env.RACESAFE_PGBOUNCER_URL || undefined;
}

/** `databaseUrl` (a database created on the run's PostgreSQL) reached through the run's PgBouncer: its host, port and credentials, the same database name. */
function throughPgbouncer(databaseUrl: string): string {
  const bouncer = pgbouncerUrl();
  if (!bouncer)
    throw new Error(
      `useTestDatabase: no PgBouncer. Wrap PgBouncer tests in describeThroughPgbouncer(); ${PGBOUNCER_HOW_TO_ENABLE}.`,
    );
  const url = new URL(bouncer);
  url.pathname = new URL(databaseUrl).pathname;
  return url.toString();
}

/**
 * `describe` when the run has a PgBouncer in front of its PostgreSQL, else `describe.skip` with
 * the reason in the block's name (with `CI` set the global setup fails the run instead).
 *
 * @example
 * describeThroughPgbouncer('getOrCreate through PgBouncer', () => {
 *   const db = useTestDatabase(schemaSql, { through: 'pgbouncer' });
 *   it('creates once', async () => { ... });
 * });
 */
export function describeThroughPgbouncer(name: string, fn: () => void): void {
  if (pgbouncerUrl()) describe(name, fn);
  else describe.skip(`${name} (skipped: no PgBouncer; ${PGBOUNCER_HOW_TO_ENABLE})`, fn);
}
