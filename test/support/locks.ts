import { Client } from 'pg';

/**
 * Polls pg_stat_activity until some backend whose query contains `queryFragment` is
 * waiting on a lock (wait_event_type = 'Lock'): blocking observed from the database,
 * never inferred from a sleep. Returns the blocked backends' pids and who blocks them.
 */
export async function waitUntilBlocked(
  url: string,
  queryFragment: string,
  { timeoutMs = 20_000, count = 1 } = {},
): Promise<{ pid: number; blockedBy: number[] }[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { rows } = await client.query<{ pid: number; blocked_by: number[] }>(
        `SELECT pid, pg_blocking_pids(pid) AS blocked_by FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock' AND position($1 in query) > 0`,
        [queryFragment],
      );
      if (rows.length >= count) return rows.map((r) => ({ pid: r.pid, blockedBy: r.blocked_by }));
      if (Date.now() > deadline)
        throw new Error(
          `no backend running "${queryFragment}" was seen waiting on a lock within ${timeoutMs} ms`,
        );
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    await client.end();
  }
}

/** A raw node-postgres connection for a second session in interleaving tests. */
export async function connect(url: string): Promise<Client> {
  const client = new Client({ connectionString: url });
  await client.connect();
  return client;
}

/** The same database, with every new connection's transactions at `level` by default (libpq `options`). */
export function withDefaultIsolation(
  url: string,
  level: 'repeatable read' | 'serializable',
): string {
  const parsed = new URL(url);
  parsed.searchParams.set(
    'options',
    `-c default_transaction_isolation=${level.replace(' ', '\\ ')}`,
  );
  return parsed.toString();
}
