import { fork, type ChildProcess } from 'node:child_process';
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
 * Forks `processes` children, each building one worker, releases all their callers at once
 * (barrier: 'go' is sent only after every child is ready) and collects every call.
 * Rejects with a RaceError, after killing all children, if any child fails or the timeout hits.
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
    await Promise.race([Promise.all(children.map((c) => c.exited)), failure]);
    // A killed process's calls that never answered (Jepsen's crashed operations: their outcome is unknown).
    const answered = new Set(records.map((r) => r.call));
    const unanswered = Array.from({ length: calls }, (_, call) => call).filter(
      (call) => !answered.has(call),
    );
    if (unanswered.some((call) => !killed.has(call % processes)))
      throw new RaceError(`expected ${calls} call records, got ${records.length}`);
    return { ...summarize(options, records, setupMs, wallMs, counters), unanswered };
  } finally {
    clearTimeout(timer);
    for (const child of children) child.kill();
  }
}

interface Child {
  ready: Promise<void>;
  done: Promise<void>;
  /** Resolves when the child exited after 'closed'; an exit before that calls `fail`. */
  exited: Promise<void>;
  send(message: ParentMessage): void;
  kill(): void;
}

function startChild(
  index: number,
  fail: (error: Error) => void,
  onRecords: (r: CallRecord[]) => void,
  wasKilled: () => boolean,
  onCounters: (c: Record<string, number>) => void,
): Child {
  const proc: ChildProcess = fork(CHILD, [], {
    cwd: ROOT,
    execArgv: EXEC_ARGV,
    // Explicit: inside jest, `process.env` is the test's copy (setupFiles may have changed
    // it, e.g. RACESAFE_TYPEORM); fork's default would be the worker's real environment.
    env: { ...process.env },
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  let stderr = '';
  proc.stderr!.on(
    'data',
    (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-STDERR_TAIL)),
  );
  let closed = false;
  let reported = '';
  const [ready, markReady] = signal();
  const [done, markDone] = signal();
  const [exited, markExited] = signal();
  proc.on('message', (message: ChildMessage) => {
    if (message.type === 'ready') markReady();
    else if (message.type === 'records') onRecords(message.records);
    else if (message.type === 'done') {
      if (message.counters) onCounters(message.counters);
      markDone();
    } else if (message.type === 'closed') closed = true;
    else reported = `failed in ${message.phase}: ${message.error}`;
  });
  proc.on('error', (error) => fail(new RaceError(`child ${index}: ${error.message}`)));
  // 'close' (not 'exit') so the stderr tail is complete when we report it.
  proc.on('close', (code, sig) => {
    if (closed && code === 0) return markExited();
    // Killed on purpose (onGo's killProcess): done, with the calls it answered before.
    if (wasKilled()) return void (markReady(), markDone(), markExited());
    const how = reported || `exited early (code ${code}, signal ${sig})`;
    fail(
      new RaceError(
        `race child ${index} ${how}${stderr ? `\n--- stderr tail ---\n${stderr}` : ''}`,
      ),
    );
  });
  return {
    ready,
    done,
    exited,
    send: (message) => proc.connected && proc.send(message),
    kill: () => void (proc.exitCode === null && proc.signalCode === null && proc.kill('SIGKILL')),
  };
}

function signal(): [Promise<void>, () => void] {
  let resolve!: () => void;
  return [new Promise<void>((r) => (resolve = r)), () => resolve()];
}
