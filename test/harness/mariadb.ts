import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { freePort } from './free-port';
import { throwawayServer } from './throwaway-server';
import { scratchDir } from './scratch-dir';

/** A running MariaDB (or MySQL) server and how to get rid of it. */
export interface MariadbServer {
  /** `mysql://racesafe:racesafe@127.0.0.1:port` (no database selected) */
  url: string;
  /** `SELECT VERSION()`, e.g. `10.11.19-MariaDB-0+deb12u1` */
  version: string;
  /** Kills the server and deletes its directory; never hangs (10 s guard). */
  stop(): Promise<void>;
}

const USER = 'racesafe';
const PASSWORD = 'racesafe';
const START_TIMEOUT_MS = 30_000;
const LOG_TAIL = 2000;

// Runs at every start, before connections are accepted: the account the tests use, over TCP.
const INIT_SQL = `CREATE USER IF NOT EXISTS '${USER}'@'%' IDENTIFIED BY '${PASSWORD}';
GRANT ALL PRIVILEGES ON *.* TO '${USER}'@'%' WITH GRANT OPTION;
`;

// Given to mariadb-install-db too (it passes them to its bootstrap mariadbd), so the InnoDB
// files are created at these sizes. Durability is irrelevant for a throwaway server, as with
// fsync=off on PostgreSQL; isolation level and sql_mode stay as MariaDB ships them.
const ENGINE_FLAGS = [
  '--skip-name-resolve',
  '--skip-log-bin',
  '--performance-schema=OFF',
  '--innodb-buffer-pool-size=64M',
  '--innodb-log-file-size=32M',
  '--innodb-flush-log-at-trx-commit=0',
  '--innodb-doublewrite=0',
];

/** How to get the MariaDB suites to run, for skip and failure messages. */
export const MARIADB_HOW_TO_ENABLE =
  "install Debian's mariadb-server (apt-get install mariadb-server) or set RACESAFE_MYSQL_URL=mysql://user:password@host:port";

/** True when {@link startMariadb} can start a server of its own: `mariadbd` is installed. */
export function mariadbInstalled(): boolean {
  return Boolean(binary('mariadbd') && binary('mariadb-install-db'));
}

/** True when {@link startMariadb} can run: `RACESAFE_MYSQL_URL` is set or `mariadbd` is installed. */
export function mariadbAvailable(): boolean {
  return (
    Boolean(process.env.RACESAFE_MYSQL_URL) ||
    Boolean(binary('mariadbd') && binary('mariadb-install-db'))
  );
}

/**
 * The version string the "as MySQL 8" server reports (`SELECT VERSION()`, the handshake): a MySQL
 * 8 release's, without MariaDB's `-MariaDB` suffix. The server is still MariaDB 10.11: racesafe's
 * adapter asks the server whether it is MariaDB, and is told no, so it takes MySQL 8's paths.
 */
export const AS_MYSQL8_VERSION = '8.0.36';

/** Options of {@link startMariadb}. */
export interface MariadbOptions {
  /**
   * The version string the server reports instead of its own (mariadbd `--version=<string>`), e.g.
   * {@link AS_MYSQL8_VERSION}. Always a throwaway server of its own: `RACESAFE_MYSQL_URL` is not reused.
   */
  reportVersion?: string;
}

/**
 * Starts a throwaway MariaDB (Debian's `mariadb-server`: `mariadb-install-db`, then
 * `mariadbd` as the `mysql` user when run as root) on a free 127.0.0.1 port with its data,
 * socket and pid file in a fresh directory under the OS temp dir; or reuses the server named
 * by `RACESAFE_MYSQL_URL` (then `stop` does nothing).
 *
 * @example
 * const server = await startMariadb();
 * try { console.log(server.version); } finally { await server.stop(); }
 * // MariaDB reporting MySQL 8's version: racesafe's MySQL 8 paths on MariaDB's engine.
 * const asMysql8 = await startMariadb({ reportVersion: AS_MYSQL8_VERSION });
 */
export async function startMariadb(options: MariadbOptions = {}): Promise<MariadbServer> {
  const external = process.env.RACESAFE_MYSQL_URL;
  if (external && options.reportVersion === undefined)
    return { url: external, version: await serverVersion(external), stop: async () => {} };

  const [server, installDb] = [binary('mariadbd'), binary('mariadb-install-db')];
  if (!server || !installDb)
    throw new Error(`startMariadb: mariadbd not found; ${MARIADB_HOW_TO_ENABLE}`);
  const dir = scratchDir('racesafe-mariadb-');
  const file = (name: string) => path.join(dir, name);
  const throwaway = throwawayServer(dir);
  try {
    fs.writeFileSync(file('init.sql'), INIT_SQL, { mode: 0o600 });
    // A temp dir of its own: npm test's lanes bootstrap their servers at the same moment, and one
    // bootstrap sharing /tmp failed with "Error on delete of '/tmp/#sql-temptable-...'".
    fs.mkdirSync(file('tmp'));
    const user =
      process.getuid?.() === 0 ? unprivilegedUser([dir, file('init.sql'), file('tmp')]) : [];
    const common = [
      '--no-defaults',
      ...user,
      `--datadir=${file('data')}`,
      `--tmpdir=${file('tmp')}`,
      ...ENGINE_FLAGS,
    ];
    await promisify(execFile)(installDb, [...common, '--skip-test-db'], {
      timeout: START_TIMEOUT_MS,
    }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
      throw new Error(
        `mariadb-install-db failed: ${error.message}\n${`${error.stdout}${error.stderr}`.slice(-LOG_TAIL)}`,
      );
    });
    const port = await freePort();
    const mariadbd = spawn(
      server,
      [
        ...common,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        '--max-connections=300',
        '--character-set-server=utf8mb4',
        `--socket=${file('mariadbd.sock')}`,
        `--pid-file=${file('mariadbd.pid')}`,
        `--log-error=${file('mariadbd.log')}`,
        `--init-file=${file('init.sql')}`,
        // MariaDB's --version with a value sets the string VERSION() reports (without one it prints and exits).
        ...(options.reportVersion === undefined ? [] : [`--version=${options.reportVersion}`]),
      ],
      { detached: true, stdio: 'ignore' },
    );
    throwaway.adopt(mariadbd);
    const url = `mysql://${USER}:${PASSWORD}@127.0.0.1:${port}`;
    const version = await waitUntilReady(url, mariadbd, file('mariadbd.log'));
    return { url, version, stop: () => throwaway.stop() };
  } catch (error) {
    throwaway.abandon();
    throw error;
  }
}

/** Polls with mysql2 until the server accepts the test account; fails fast if mariadbd exits. */
async function waitUntilReady(
  url: string,
  mariadbd: ChildProcess,
  logFile: string,
): Promise<string> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let exit: string | undefined;
  mariadbd.once('exit', (code, signal) => (exit = `code ${code}, signal ${signal}`));
  mariadbd.once('error', (error) => (exit = String(error)));
  for (;;) {
    try {
      return await serverVersion(url);
    } catch (error) {
      const log = () =>
        fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').slice(-LOG_TAIL) : '(no log)';
      if (exit)
        throw new Error(`mariadbd exited during start (${exit}):\n${log()}`, { cause: error });
      if (Date.now() > deadline)
        throw new Error(
          `mariadbd not ready after ${START_TIMEOUT_MS} ms: ${String(error)}\n${log()}`,
          { cause: error },
        );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function serverVersion(url: string): Promise<string> {
  const connection = await mysql.createConnection({ uri: url, connectTimeout: 2000 });
  try {
    const [rows] = await connection.query<mysql.RowDataPacket[]>('SELECT VERSION() AS version');
    return String(rows[0].version);
  } finally {
    await connection.end();
  }
}

/** As root: `--user=mysql` (mariadbd drops to it) and that user owns `owned` (the directory, the init file, the temp dir). */
function unprivilegedUser(owned: string[]): string[] {
  const entry = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((line) => line.startsWith('mysql:'));
  if (!entry)
    throw new Error(
      'startMariadb: running as root but there is no `mysql` user to run mariadbd as (mariadb-server creates it)',
    );
  const [, , uid, gid] = entry.split(':').map(Number);
  for (const name of owned) fs.chownSync(name, uid, gid);
  return ['--user=mysql'];
}

/** `name` on PATH or in Debian's sbin/bin (a non-root PATH often lacks /usr/sbin). */
export function binary(name: string): string | undefined {
  const dirs = [
    ...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean),
    '/usr/sbin',
    '/usr/bin',
  ];
  return dirs
    .map((d) => path.join(d, name))
    .find((candidate) => {
      try {
        return (
          fs.statSync(candidate).isFile() && (fs.accessSync(candidate, fs.constants.X_OK), true)
        );
      } catch {
        return false;
      }
    });
}
