// Issue 13, item 2 (server crash): a package's race worker whose callers, after a failed call,
// wait until the server answers again before their next call, as a client backing off would.
// Without it, calls refused in a millisecond while the server is down would use up the race's
// calls before the restart, and no call would show that racesafe recovers.
import { Client } from 'pg';
import type { RaceWorker, RaceWorkerContext, RaceWorkerModule } from '../harness/race';
import type { RaceWorkerArgs } from './ops';

/** The wrapped package worker (absolute path of its race-worker.ts) and its own arguments. */
export interface WaitForServerArgs extends RaceWorkerArgs {
  inner: string;
}

const POLL_MS = 20;
const GIVE_UP_MS = 30_000;

/** Resolves once a fresh connection to `url` runs `SELECT 1`; one poll per process, shared by its callers. */
function serverAnswers(url: string): () => Promise<void> {
  let polling: Promise<void> | undefined;
  const poll = async () => {
    for (
      const deadline = Date.now() + GIVE_UP_MS;
      Date.now() < deadline;
      await new Promise((r) => setTimeout(r, POLL_MS))
    ) {
      const client = new Client({ connectionString: url });
      // A refused or cut connection is the answer "not yet": never an unhandled 'error' event.
      client.on('error', () => undefined);
      const up = await client
        .connect()
        .then(() => client.query('SELECT 1'))
        .then(
          () => true,
          () => false,
        );
      await client.end().catch(() => undefined);
      if (up) return;
    }
  };
  return () => (polling ??= poll().finally(() => (polling = undefined)));
}

export async function createWorker(
  args: WaitForServerArgs,
  ctx: RaceWorkerContext,
): Promise<RaceWorker> {
  const inner = await ((await import(args.inner)) as RaceWorkerModule).createWorker(args, ctx);
  const answers = serverAnswers(args.url);
  return {
    async call(callIndex) {
      try {
        return await inner.call(callIndex);
      } catch (error) {
        await answers();
        throw error;
      }
    },
    close: () => inner.close(),
    counters: inner.counters && (() => inner.counters!()),
  };
}
