// One process of the bench's multi-process mode (processes.ts): opens the same clients and
// cases as the parent, then measures the case it is told to, when it is told to.
import { performance } from 'node:perf_hooks';
import type { BenchCase } from './cases';
import { benchDatabases } from './databases';
import { callIndexes, sample } from './measure';
import type { FromChild, ToChild } from './processes';

/** This process's call indexes start here: its new keys never meet the parent's (which count from 0) or another process's. */
const INDEX_OFFSET = 1_000_000_000;

let opened: { cases: BenchCase[]; close(): Promise<void> } | undefined;
const nextIndex = new Map<number, () => number>();
let indexes = (): (() => number) => callIndexes(INDEX_OFFSET);

const answer = (message: FromChild) =>
  new Promise<void>((resolve) => process.send!(message, undefined, {}, () => resolve()));

async function onMessage(message: ToChild): Promise<void> {
  if (message.type === 'open') {
    opened = await benchDatabases[message.db as keyof typeof benchDatabases].open(
      message.url,
      message.pool,
      false,
    );
    // Process p takes indexes OFFSET + p, OFFSET + p + P, ...
    indexes = () => callIndexes(INDEX_OFFSET + message.processIndex, message.processes);
    await answer({ type: 'opened', names: opened.cases.map((c) => `${c.group} ${c.name}`) });
  } else if (message.type === 'run') {
    const c = opened!.cases[message.index];
    if (!nextIndex.has(message.index)) nextIndex.set(message.index, indexes());
    const startAt = message.startEpochMs - performance.timeOrigin;
    await answer({
      type: 'ran',
      sample: await sample(
        c,
        nextIndex.get(message.index)!,
        message.concurrency,
        message.seconds,
        startAt,
      ),
    });
  } else {
    await opened?.close();
    await answer({ type: 'closed' });
    process.exit(0);
  }
}

async function fail(error: unknown): Promise<never> {
  await answer({
    type: 'failed',
    error: error instanceof Error ? (error.stack ?? error.message) : String(error),
  }).catch(() => undefined);
  process.exit(1);
}

process.on('message', (message: ToChild) => void onMessage(message).catch(fail));
process.on('uncaughtException', (error) => void fail(error));
process.on('unhandledRejection', (error) => void fail(error));
// The parent died or gave up: a leftover child must not keep its pools open.
process.on('disconnect', () => process.exit(1));
