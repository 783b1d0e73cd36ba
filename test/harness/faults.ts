// Issue 13, item 2: fault controllers for the race harness (PostgreSQL).
import { Client } from 'pg';

/** A running fault controller; `stop()` ends it and says how many faults it caused. */
export interface FaultController {
  stop(): Promise<number>;
}

/**
 * Every `everyMs`, terminates one random client backend of the database at `url` (not its own)
 * with `pg_terminate_backend`, as an administrator or a failover would: the session gets 57P01
 * and its socket closes. Runs until `stop()`.
 *
 * SQL: `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()
 * AND backend_type = 'client backend' AND pid <> pg_backend_pid() ORDER BY random() LIMIT 1`.
 */
export async function startBackendKiller(url: string, everyMs = 20): Promise<FaultController> {
  const client = new Client({ connectionString: url });
  // The controller's own session is never its target, but a server shutdown would end it: never crash the test on that.
  client.on('error', () => undefined);
  await client.connect();
  let stopped = false;
  let killed = 0;
  const loop = (async () => {
    while (!stopped) {
      const { rows } = await client.query<{ done: boolean }>(
        `SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity
          WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()
          ORDER BY random() LIMIT 1`,
      );
      killed += rows.filter((r) => r.done).length;
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      await client.end();
      return killed;
    },
  };
}

/**
 * Client sessions still open on the database at `url` besides the asker's own, once the backends
 * of exited processes are gone (polled up to `waitMs`): the connections a scenario left over.
 */
export async function leftoverConnections(url: string, waitMs = 5000): Promise<number> {
  const client = new Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const { rows } = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()`,
      );
      if (rows[0].n === 0 || Date.now() > deadline) return rows[0].n;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    await client.end();
  }
}
