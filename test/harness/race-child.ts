// Entry of each forked race process (see race.ts). Loads the worker module, reports
// 'ready', waits for 'go', runs its callers, streams CallRecords back, closes on request,
// then waits for the next race's 'init' with every module of the repository forgotten.
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type {
  CallRecord,
  ChildMessage,
  ParentMessage,
  RaceWorker,
  RaceWorkerModule,
} from './race-protocol';

type Init = Extract<ParentMessage, { type: 'init' }>;

const BATCH_SIZE = 100;
const FLUSH_EVERY_MS = 50;

let phase = 'init';
let worker: RaceWorker | undefined;
let init: Init | undefined;

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    process.send!(message, undefined, {}, (error) => (error ? reject(error) : resolve()));
  });
}

/** Reports the failure, then exits; the parent rejects runRace with this text. */
async function fail(error: unknown, how = ''): Promise<never> {
  const text =
    how +
    (error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error));
  await send({ type: 'failed', phase, error: text }).catch(() => undefined);
  process.exit(1);
}

function describeError(error: unknown): NonNullable<CallRecord['error']> {
  if (!(error instanceof Error)) return { name: 'NonError', message: String(error) };
  // Drivers put SQLSTATE on `code`; ORMs often wrap the driver error in `cause`.
  const withCode = error as Error & { code?: unknown; cause?: { code?: unknown } };
  const code = withCode.code ?? withCode.cause?.code;
  return {
    name: error.name,
    message: error.message,
    ...(code === undefined ? {} : { code: typeof code === 'string' ? code : JSON.stringify(code) }),
  };
}

async function run(
  goEpochMs: number,
  { processIndex, processes, callersPerProcess, calls }: Init,
): Promise<void> {
  // performance.now() is monotonic but per-process; timeOrigin puts it on the shared axis.
  const offset = performance.timeOrigin - goEpochMs;
  let next = processIndex;
  let batch: CallRecord[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const records = batch;
    batch = [];
    await send({ type: 'records', records });
  };
  const timer = setInterval(() => void flush().catch(fail), FLUSH_EVERY_MS);
  const caller = async (callerIndex: number) => {
    // Each caller pulls the next index of this process's share until it is used up.
    for (let call = next; call < calls; call = next) {
      next += processes;
      const startMs = performance.now() + offset;
      let record: CallRecord;
      try {
        const value = await worker!.call(call);
        record = {
          call,
          process: processIndex,
          caller: callerIndex,
          startMs,
          endMs: performance.now() + offset,
          ok: true,
          value,
        };
      } catch (error) {
        const endMs = performance.now() + offset;
        record = {
          call,
          process: processIndex,
          caller: callerIndex,
          startMs,
          endMs,
          ok: false,
          error: describeError(error),
        };
      }
      batch.push(record);
      if (batch.length >= BATCH_SIZE) await flush();
    }
  };
  try {
    await Promise.all(Array.from({ length: callersPerProcess }, (_, i) => caller(i)));
  } finally {
    clearInterval(timer);
  }
  await flush();
}

async function onMessage(message: ParentMessage): Promise<void> {
  if (message.type === 'init') {
    init = message;
    phase = 'createWorker';
    const mod = (await import(message.worker)) as RaceWorkerModule;
    if (typeof mod.createWorker !== 'function')
      throw new TypeError(`${message.worker} does not export createWorker`);
    worker = await mod.createWorker(message.args, {
      processIndex: message.processIndex,
      processes: message.processes,
    });
    await send({ type: 'ready' });
  } else if (message.type === 'go') {
    phase = 'calls';
    await run(message.goEpochMs, init!);
    await send({ type: 'done', counters: worker?.counters?.() });
  } else {
    phase = 'close';
    await worker?.close();
    worker = undefined;
    init = undefined;
    forgetRepositoryModules();
    phase = 'idle';
    await send({ type: 'closed' });
  }
}

const nodeModules = `${path.sep}node_modules${path.sep}`;

/**
 * The next race loads the worker, racesafe and the test's models afresh, as a new process would:
 * no module-level state of this repository's code (a cache, a counter) carries from one race to
 * the next. The ORMs and drivers under node_modules stay loaded: loading them is most of a
 * process's start-up, and their state belongs to the data source or Sequelize instance each
 * worker creates and closes.
 */
function forgetRepositoryModules(): void {
  for (const file of Object.keys(require.cache))
    if (!file.includes(nodeModules) && file !== __filename) delete require.cache[file];
}

process.on('message', (message: ParentMessage) => void onMessage(message).catch(fail));
// Named in the report: an unhandled 'error' event of a pg client arrives here (issue 13, item 4).
process.on('uncaughtException', (error) => void fail(error, 'uncaught exception: '));
// node-postgres warns (once) when a statement is sent on a client still executing one: a race that does so fails (issue 8).
process.on('warning', (warning) => {
  if (/already executing a query/.test(warning.message)) void fail(warning);
});
process.on('unhandledRejection', (error) => void fail(error, 'unhandled rejection: '));
// The parent died or gave up on us: a leftover child must not keep a pool open.
process.on('disconnect', () => process.exit(1));
