// The multi-process mode (`--processes P`): P forked bench processes, each with its own
// clients and pools on the bench's database, run the same case at the same moment, and their
// calls are added up. Like the race harness (test/harness/race.ts) it forks children with the
// parent's loaders and releases them together; unlike a race, the children stay up for the
// whole bench (TypeORM, Sequelize and their pools start once per process, not once per
// measurement) and each run is time-boxed rather than a fixed number of calls.
import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { type Sample, type Throughput, merge } from './measure';

/** Parent to child. */
export type ToChild =
  | { type: 'open'; db: string; url: string; pool: number; processIndex: number; processes: number }
  /** `startEpochMs`: when every child starts calling (the parent's timeOrigin + now() + a few ms). */
  | { type: 'run'; index: number; concurrency: number; seconds: number; startEpochMs: number }
  | { type: 'close' };

/** Child to parent: one answer per message. */
export type FromChild =
  | { type: 'opened'; names: string[] }
  | { type: 'ran'; sample: Sample }
  | { type: 'closed' }
  | { type: 'failed'; error: string };

/** Time for the 'run' message to reach every child before they start. */
const START_DELAY_MS = 30;
const STDERR_TAIL = 4000;

/** The running children; `run` measures one case in all of them at once. */
export interface Processes {
  processes: number;
  run(index: number, concurrency: number, seconds: number): Promise<Throughput>;
  close(): Promise<void>;
}

/**
 * Forks `processes` children, each opening the bench's clients on `url` (pools of `pool`
 * connections, no seeding); checks they built the same cases as `names`, in order.
 */
export async function startProcesses(
  processes: number,
  db: string,
  url: string,
  pool: number,
  names: string[],
): Promise<Processes> {
  const children = Array.from({ length: processes }, (_, i) => startChild(i));
  const all = (message: (i: number) => ToChild) =>
    Promise.all(children.map((child, i) => child.request(message(i))));
  try {
    const opened = await all((processIndex) => ({
      type: 'open',
      db,
      url,
      pool,
      processIndex,
      processes,
    }));
    for (const answer of opened) {
      if (answer.type !== 'opened' || answer.names.join('\n') !== names.join('\n'))
        throw new Error('a bench process built other cases than the parent');
    }
  } catch (error) {
    children.forEach((child) => child.kill());
    throw error;
  }
  return {
    processes,
    async run(index, concurrency, seconds) {
      const startEpochMs = performance.timeOrigin + performance.now() + START_DELAY_MS;
      const answers = await all(() => ({ type: 'run', index, concurrency, seconds, startEpochMs }));
      return merge(answers.map((answer) => (answer as Extract<FromChild, { type: 'ran' }>).sample));
    },
    async close() {
      await Promise.allSettled(children.map((child) => child.request({ type: 'close' })));
      children.forEach((child) => child.kill());
    },
  };
}

interface Child {
  /** Sends `message`; resolves with the child's answer, rejects if it failed or exited. */
  request(message: ToChild): Promise<FromChild>;
  kill(): void;
}

function startChild(index: number): Child {
  // The parent's own loaders (select-typeorm.cjs, ts-register.cjs: see package.json "bench").
  const proc: ChildProcess = fork(path.join(__dirname, 'process-child.ts'), [], {
    execArgv: process.execArgv,
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  let stderr = '';
  proc.stderr!.on(
    'data',
    (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-STDERR_TAIL)),
  );
  let pending: { resolve(answer: FromChild): void; reject(error: Error): void } | undefined;
  let closing = false;
  const failed = (how: string) => {
    pending?.reject(
      new Error(`bench process ${index} ${how}${stderr ? `\n--- stderr tail ---\n${stderr}` : ''}`),
    );
    pending = undefined;
  };
  proc.on('message', (answer: FromChild) => {
    if (answer.type === 'failed') return failed(`failed: ${answer.error}`);
    pending?.resolve(answer);
    pending = undefined;
  });
  proc.on('error', (error) => failed(error.message));
  proc.on('close', (code, signal) => closing || failed(`exited (code ${code}, signal ${signal})`));
  return {
    request(message) {
      if (message.type === 'close') closing = true;
      return new Promise((resolve, reject) => {
        pending = { resolve, reject };
        if (!proc.connected) return failed('is gone');
        proc.send(message);
      });
    },
    kill: () => void (proc.exitCode === null && proc.signalCode === null && proc.kill('SIGKILL')),
  };
}
