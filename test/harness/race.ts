import childProcess, { type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { CallRecord, ChildMessage, ParentMessage } from './race-protocol';
import { summarize, type RaceReport } from './race-report';

export type { CallRecord, RaceWorker, RaceWorkerContext, RaceWorkerModule } from './race-protocol';
export { formatReport, type RaceReport } from './race-report';

/** How to run a race; see {@link runRace}. */
export interface RaceOptions {
  /** Absolute path of a TS module exporting `createWorker` (see RaceWorkerModule). */
  worker: string;
  /** JSON-serialisable; passed to the worker's `createWorker`. */
  args?: unknown;
  /** P OS processes, each with its own worker (and so its own pool). */
  processes: number;
  /** C concurrent callers inside each process. */
  callersPerProcess: number;
  /** Total calls; process p runs the call indexes i with i % P === p. */
  calls: number;
  label?: string;
  onProgress?: (done: number, total: number) => void;
  /**
   * Called when the callers are released ('go' sent): a fault controller starts here (issue 13).
   * `killProcess(p)` SIGKILLs child p as a crash would; its unanswered calls are then listed in
   * `RaceReport.unanswered` instead of failing the race.
   */
  onGo?: (control: { killProcess(processIndex: number): void }) => void;
  /** Kills every child and rejects after this long. Default 120 000 ms. */
  timeoutMs?: number;
}

/** A race that could not run to the end: a child failed, crashed or timed out. */
export class RaceError extends Error {
  override name = 'RaceError';
}

const ROOT = path.resolve(__dirname, '../..');
const CHILD = path.join(__dirname, 'race-child.ts');
// select-typeorm first so `typeorm` resolves to the right major before any TS is loaded.
const EXEC_ARGV = [
  '--enable-source-maps',
  '--require',
  path.join(__dirname, 'select-typeorm.cjs'),
  '--require',
  path.join(__dirname, 'ts-register.cjs'),
];
const STDERR_TAIL = 4000;

/**
 * Takes `processes` children (idle ones of an earlier race in this process, else new forks),
 * each building one worker, releases all their callers at once (barrier: 'go' is sent only after
 * every child is ready) and collects every call. Once every child closed its worker, they wait
 * for the next race. Rejects with a RaceError, after killing all children, if any child fails or
 * the timeout hits.
 *
 * @example
 * const report = await runRace({ worker: path.join(__dirname, 'fixtures/counter-worker.ts'),
 *   args: { url, op: 'atomic' }, processes: 4, callersPerProcess: 8, calls: 400 });
 * console.log(formatReport(report));
 */
export async function runRace(options: RaceOptions): Promise<RaceReport> {
  const { worker, processes, callersPerProcess, calls, timeoutMs = 120_000 } = options;
  if (!path.isAbsolute(worker))
    throw new RaceError(`worker must be an absolute path, got ${worker}`);
  if (!(processes >= 1 && callersPerProcess >= 1 && calls >= 0)) {
    throw new RaceError(`need processes >= 1, callersPerProcess >= 1, calls >= 0`);
  }
  let fail!: (error: Error) => void;
  const failure = new Promise<never>((_, reject) => (fail = reject));
  failure.catch(() => undefined); // observed through Promise.race below
  const timer = setTimeout(
    () => fail(new RaceError(`race timed out after ${timeoutMs} ms`)),
    timeoutMs,
  );
  const records: CallRecord[] = [];
  const counters: Record<string, number> = {};
  const startedAt = performance.now();
  const killed = new Set<number>();
  const children = Array.from({ length: processes }, (_, i) =>
    startChild(
      i,
      fail,
      (batch) => {
        records.push(...batch);
        options.onProgress?.(records.length, calls);
      },
      () => killed.has(i),
      (counted) =>
        Object.entries(counted).forEach(
          ([name, n]) => (counters[name] = (counters[name] ?? 0) + n),
        ),
    ),
  );
  try {
    const init = { worker, args: options.args, processes, callersPerProcess, calls };
    children.forEach((child, processIndex) => child.send({ type: 'init', processIndex, ...init }));
    await Promise.race([Promise.all(children.map((c) => c.ready)), failure]);
    const setupMs = performance.now() - startedAt;
    const goAt = performance.now();
    const goEpochMs = performance.timeOrigin + goAt;
    children.forEach((child) => child.send({ type: 'go', goEpochMs }));
    options.onGo?.({ killProcess: (p) => void (killed.add(p), children[p].kill()) });
    await Promise.race([Promise.all(children.map((c) => c.done)), failure]);
    const wallMs = performance.now() - goAt;
    children.forEach((child) => child.send({ type: 'close' }));
    await Promise.race([Promise.all(children.map((c) => c.closed)), failure]);
    // A killed process's calls that never answered (Jepsen's crashed operations: their outcome is unknown).
    const answered = new Set(records.map((r) => r.call));
    const unanswered = Array.from({ length: calls }, (_, call) => call).filter(
      (call) => !answered.has(call),
    );
    if (unanswered.some((call) => !killed.has(call % processes)))
      throw new RaceError(`expected ${calls} call records, got ${records.length}`);
    // A race that ended well: each child it did not kill waits for the next race.
    for (const child of children) child.release();
    return { ...summarize(options, records, setupMs, wallMs, counters), unanswered };
  } finally {
    clearTimeout(timer);
    // Every child not released (a failure, a timeout) is killed: none is used again.
    for (const child of children) child.kill();
  }
}

interface Child {
  ready: Promise<void>;
  done: Promise<void>;
  /** Resolves when the child closed its worker ('closed'); an exit before that calls `fail`. */
  closed: Promise<void>;
  send(message: ParentMessage): void;
  kill(): void;
  /** After 'closed': back to the idle children, for the next race of this process (test file). */
  release(): void;
}

/**
 * Children whose race ended well, waiting for the next race's 'init', by how they were started
 * (execArgv and environment). A child that failed, timed out or was killed is never here:
 * runRace kills every child it did not release. Reuse saves each race its processes' start-up
 * (Node, the TypeScript loader, the ORM: most of a second of CPU each); the child forgets this
 * repository's modules between races (race-child.ts), and each race's worker opens its own pool.
 *
 * Jest gives each test file its own module registry and globals but hands every file the same
 * built-in modules, so the lists hang on `child_process`: the race files of one jest process
 * (a lane of `npm test`, one file at a time) share their idle children. Idle children are
 * unreferenced and hold no connection; jest's global teardown ends them (endIdleChildren), and
 * any left exit with the process that forked them ('disconnect' in race-child.ts).
 */
const SHARED_IDLE = Symbol.for('racesafe.race.idleChildren');
const idleChildren = ((childProcess as { [SHARED_IDLE]?: Map<string, ChildProcess[]> })[
  SHARED_IDLE
] ??= new Map<string, ChildProcess[]>());

/** An idle child of the same execArgv and environment, else a new fork; with its idle list. */
function takeChild(): { proc: ChildProcess; idle: ChildProcess[] } {
  // Explicit: inside jest, `process.env` is the test's copy (setupFiles may have changed
  // it, e.g. RACESAFE_TYPEORM); fork's default would be the worker's real environment.
  const env = { ...process.env };
  const key = JSON.stringify([EXEC_ARGV, env]);
  const idle = idleChildren.get(key) ?? [];
  idleChildren.set(key, idle);
  const reused = idle.pop();
  if (reused) {
    reused.ref();
    reused.channel?.ref();
    (reused.stderr as Socket).ref();
    return { proc: reused, idle };
  }
  const proc = childProcess.fork(CHILD, [], {
    cwd: ROOT,
    execArgv: EXEC_ARGV,
    env,
    stdio: CHILD_STDIO,
  });
  // An idle child that exits (or is killed) leaves the list.
  proc.on('exit', () => idle.includes(proc) && idle.splice(idle.indexOf(proc), 1));
  return { proc, idle };
}

const CHILD_STDIO: ['ignore', 'inherit', 'pipe', 'ipc'] = ['ignore', 'inherit', 'pipe', 'ipc'];

function releaseChild(proc: ChildProcess, idle: ChildProcess[]): void {
  // Idle, a child keeps no process (a script, jest) alive: neither its handle, its channel nor its stderr pipe.
  proc.unref();
  proc.channel?.unref();
  (proc.stderr as Socket).unref();
  idle.push(proc);
}

/** Ends every idle child now (they hold no connection: each closed its worker). */
export async function endIdleChildren(): Promise<void> {
  const idle = [...idleChildren.values()].flat();
  idleChildren.clear();
  await Promise.all(
    idle.map(
      (proc) =>
        new Promise<void>((resolve) => {
          if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
          proc.once('exit', () => resolve());
          proc.kill('SIGKILL');
        }),
    ),
  );
}

function startChild(
  index: number,
  fail: (error: Error) => void,
  onRecords: (r: CallRecord[]) => void,
  wasKilled: () => boolean,
  onCounters: (c: Record<string, number>) => void,
): Child {
  const { proc, idle } = takeChild();
  let stderr = '';
  const onStderr = (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-STDERR_TAIL));
  proc.stderr!.on('data', onStderr);
  let reported = '';
  let isClosed = false;
  const [ready, markReady] = signal();
  const [done, markDone] = signal();
  const [closed, markClosed] = signal();
  const onMessage = (message: ChildMessage) => {
    if (message.type === 'ready') markReady();
    else if (message.type === 'records') onRecords(message.records);
    else if (message.type === 'done') {
      if (message.counters) onCounters(message.counters);
      markDone();
    } else if (message.type === 'closed') void ((isClosed = true), markClosed());
    else reported = `failed in ${message.phase}: ${message.error}`;
  };
  // A child killed on purpose may be written to as it dies (EPIPE): only its 'close' counts.
  const onError = (error: Error) =>
    wasKilled() || fail(new RaceError(`child ${index}: ${error.message}`));
  // 'close' (not 'exit') so the stderr tail is complete when we report it.
  const onClose = (code: number | null, sig: NodeJS.Signals | null) => {
    // Killed on purpose (onGo's killProcess): done, with the calls it answered before.
    if (wasKilled()) return void (markReady(), markDone(), markClosed());
    if (isClosed) return;
    const how = reported || `exited early (code ${code}, signal ${sig})`;
    fail(
      new RaceError(
        `race child ${index} ${how}${stderr ? `\n--- stderr tail ---\n${stderr}` : ''}`,
      ),
    );
  };
  proc.on('message', onMessage);
  proc.on('error', onError);
  proc.on('close', onClose);
  let released = false;
  return {
    ready,
    done,
    closed,
    // Never to a child killed on purpose: it may have sent 'done' before the SIGKILL, and a
    // 'close' written to it as it dies fails with EPIPE (seen once in 20 clean clones, in a
    // SIGKILL fault scenario).
    send: (message) => !wasKilled() && proc.connected && proc.send(message),
    kill: () =>
      void (
        !released &&
        proc.exitCode === null &&
        proc.signalCode === null &&
        proc.kill('SIGKILL')
      ),
    release() {
      if (released || !isClosed || wasKilled() || !proc.connected) return;
      released = true;
      proc.stderr!.off('data', onStderr);
      proc.off('message', onMessage);
      proc.off('error', onError);
      proc.off('close', onClose);
      releaseChild(proc, idle);
    },
  };
}

function signal(): [Promise<void>, () => void] {
  let resolve!: () => void;
  return [new Promise<void>((r) => (resolve = r)), () => resolve()];
}
