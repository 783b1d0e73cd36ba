import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { freePort } from './free-port';
import { binary } from './mariadb';
import { throwawayServer } from './throwaway-server';
import { scratchDir } from './scratch-dir';

/** A running PgBouncer in front of a PostgreSQL server, and how to get rid of it. */
export interface PgbouncerServer {
  /** The server URL with PgBouncer's host and port: `postgres://user:password@127.0.0.1:port/postgres`. */
  url: string;
  /** Kills PgBouncer and deletes its directory; never hangs (10 s guard). Nothing for `RACESAFE_PGBOUNCER_URL`. */
  stop(): Promise<void>;
}

/** Options of {@link startPgbouncer}. */
export interface StartPgbouncerOptions {
  /**
   * Server connections per database and user (`default_pool_size`): kept below the clients a
   * suite opens, so that transactions really share server connections. Default 4.
   */
  poolSize?: number;
  /** Start one even when `RACESAFE_PGBOUNCER_URL` is set (a test that needs its own pool size). */
  own?: boolean;
}

const START_TIMEOUT_MS = 15_000;
const LOG_TAIL = 2000;

/** How to get the PgBouncer suites to run, for skip and failure messages. */
export const PGBOUNCER_HOW_TO_ENABLE =
  "install Debian's pgbouncer (apt-get install pgbouncer) or set RACESAFE_PGBOUNCER_URL=postgres://user:password@host:port/db (transaction pooling, in front of RACESAFE_PG_URL)";

/** True when {@link startPgbouncer} can run: `RACESAFE_PGBOUNCER_URL` is set or `pgbouncer` is installed. */
export function pgbouncerAvailable(): boolean {
  return Boolean(process.env.RACESAFE_PGBOUNCER_URL) || pgbouncerInstalled();
}

/** True when the `pgbouncer` binary is installed (a test can start one of its own). */
export function pgbouncerInstalled(): boolean {
  return Boolean(binary('pgbouncer'));
}

/**
 * Starts a throwaway PgBouncer (Debian's `pgbouncer`) on a free 127.0.0.1 port in front of the
 * PostgreSQL at `serverUrl`: `pool_mode = transaction`, `poolSize` server connections per
 * database, every database of the server reachable under its own name (`* =`), the server's
 * user and password in its auth file (SCRAM towards clients, the password towards the server).
 * As root it runs as the `postgres` user (`-u`; PgBouncer refuses root), like Debian's service.
 * Or reuses the one named by `RACESAFE_PGBOUNCER_URL` (then `stop` does nothing).
 *
 * @example
 * const bouncer = await startPgbouncer(server.url, { poolSize: 1 });
 * try { await new Client({ connectionString: bouncer.url }).connect(); } finally { await bouncer.stop(); }
 */
export async function startPgbouncer(
  serverUrl: string,
  options: StartPgbouncerOptions = {},
): Promise<PgbouncerServer> {
  const external = process.env.RACESAFE_PGBOUNCER_URL;
  if (external && !options.own) return { url: external, stop: async () => {} };
  const executable = binary('pgbouncer');
  if (!executable)
    throw new Error(`startPgbouncer: pgbouncer not found; ${PGBOUNCER_HOW_TO_ENABLE}`);

  const dir = scratchDir('racesafe-pgbouncer-');
  const throwaway = throwawayServer(dir);
  try {
    const port = await freePort();
    writeConfig(dir, new URL(serverUrl), port, options.poolSize ?? 4);
    const user = process.getuid?.() === 0 ? unprivilegedUser(dir) : [];
    const pgbouncer = spawn(executable, [...user, path.join(dir, 'pgbouncer.ini')], {
      detached: true,
      stdio: 'ignore',
    });
    throwaway.adopt(pgbouncer);
    const url = new URL(serverUrl);
    url.hostname = '127.0.0.1';
    url.port = String(port);
    await waitUntilReady(url.toString(), pgbouncer, path.join(dir, 'pgbouncer.log'));
    return { url: url.toString(), stop: () => throwaway.stop() };
  } catch (error) {
    throwaway.abandon();
    throw error;
  }
}

/** pgbouncer.ini and its auth file (the server's password in plain text: PgBouncer must log in with it). */
function writeConfig(dir: string, server: URL, port: number, poolSize: number): void {
  const user = decodeURIComponent(server.username || 'postgres');
  const password = decodeURIComponent(server.password);
  const quoted = (text: string) => `"${text.replace(/"/g, '""')}"`;
  fs.writeFileSync(path.join(dir, 'userlist.txt'), `${quoted(user)} ${quoted(password)}\n`, {
    mode: 0o600,
  });
  const ini = [
    '[databases]',
    // Any database name a client asks for: each test file's own database gets its own pool.
    `* = host=${server.hostname} port=${server.port || 5432}`,
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    'unix_socket_dir =',
    'auth_type = scram-sha-256',
    `auth_file = ${path.join(dir, 'userlist.txt')}`,
    'pool_mode = transaction',
    `default_pool_size = ${poolSize}`,
    'min_pool_size = 0',
    'reserve_pool_size = 0',
    'max_client_conn = 2000',
    // A test that waits for a server connection longer than this is stuck: fail it before jest's timeout, saying so.
    'query_wait_timeout = 60',
    // Transaction pooling: nothing is reset between clients, which is what the leak test looks at.
    'server_reset_query =',
    // node-postgres and the ORMs send nothing else PgBouncer would refuse; TypeORM 0.3 may send this one.
    'ignore_startup_parameters = extra_float_digits',
    `admin_users = ${user}`,
    `logfile = ${path.join(dir, 'pgbouncer.log')}`,
    `pidfile = ${path.join(dir, 'pgbouncer.pid')}`,
  ];
  fs.writeFileSync(path.join(dir, 'pgbouncer.ini'), `${ini.join('\n')}\n`, { mode: 0o600 });
}

/** Polls `SELECT 1` through PgBouncer (its auth and the server login both) until it answers; fails fast if pgbouncer exits. */
async function waitUntilReady(
  url: string,
  pgbouncer: ChildProcess,
  logFile: string,
): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let exit: string | undefined;
  pgbouncer.once('exit', (code, signal) => (exit = `code ${code}, signal ${signal}`));
  pgbouncer.once('error', (error) => (exit = String(error)));
  for (;;) {
    const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (error) {
      const log = () =>
        fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').slice(-LOG_TAIL) : '(no log)';
      if (exit)
        throw new Error(`pgbouncer exited during start (${exit}):\n${log()}`, { cause: error });
      if (Date.now() > deadline)
        throw new Error(
          `pgbouncer not ready after ${START_TIMEOUT_MS} ms: ${String(error)}\n${log()}`,
          { cause: error },
        );
    } finally {
      await client.end().catch(() => undefined);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** As root: `-u postgres` (Debian's service user; `nobody` without it), which then owns the directory. */
function unprivilegedUser(dir: string): string[] {
  const entries = fs.readFileSync('/etc/passwd', 'utf8').split('\n');
  const entry =
    entries.find((line) => line.startsWith('postgres:')) ??
    entries.find((line) => line.startsWith('nobody:'));
  if (!entry)
    throw new Error(
      'startPgbouncer: running as root but there is neither a `postgres` nor a `nobody` user to run pgbouncer as',
    );
  const [name, , uid, gid] = entry.split(':');
  for (const owned of fs
    .readdirSync(dir)
    .map((f) => path.join(dir, f))
    .concat(dir))
    fs.chownSync(owned, Number(uid), Number(gid));
  return ['-u', name];
}
