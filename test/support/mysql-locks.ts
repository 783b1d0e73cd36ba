import { type Connection, createConnection } from 'mysql2/promise';

/**
 * MariaDB's counterpart of locks.ts: polls information_schema.INNODB_TRX until `count`
 * transactions of this database whose current statement contains `queryFragment` are in
 * `LOCK WAIT`, with who blocks them from INNODB_LOCK_WAITS. Blocking observed from the
 * database, never inferred from a sleep.
 */
export async function waitUntilMysqlBlocked(
  url: string,
  queryFragment: string,
  { timeoutMs = 20_000, count = 1 } = {},
): Promise<{ threadId: number; blockedBy: number[] }[]> {
  const client = await connectMysql(url);
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [rows] = await client.query(
        `SELECT r.trx_mysql_thread_id AS thread_id, b.trx_mysql_thread_id AS blocked_by
           FROM information_schema.INNODB_TRX r
           JOIN information_schema.PROCESSLIST p ON p.ID = r.trx_mysql_thread_id AND p.DB = DATABASE()
           LEFT JOIN information_schema.INNODB_LOCK_WAITS w ON w.requesting_trx_id = r.trx_id
           LEFT JOIN information_schema.INNODB_TRX b ON b.trx_id = w.blocking_trx_id
          WHERE (r.trx_state = 'LOCK WAIT' OR w.requesting_trx_id IS NOT NULL) AND LOCATE(?, COALESCE(r.trx_query, p.INFO)) > 0`,
        [queryFragment],
      );
      const waiting = new Map<number, number[]>();
      for (const row of rows as { thread_id: number; blocked_by: number | null }[]) {
        const blockers = waiting.get(Number(row.thread_id)) ?? [];
        if (row.blocked_by !== null) blockers.push(Number(row.blocked_by));
        waiting.set(Number(row.thread_id), blockers);
      }
      if (waiting.size >= count)
        return [...waiting].map(([threadId, blockedBy]) => ({ threadId, blockedBy }));
      if (Date.now() > deadline) {
        const [seen] = await client.query(
          `SELECT r.trx_state, r.trx_query, p.COMMAND, p.STATE, p.INFO FROM information_schema.INNODB_TRX r
             JOIN information_schema.PROCESSLIST p ON p.ID = r.trx_mysql_thread_id AND p.DB = DATABASE()`,
        );
        throw new Error(
          `no ${count} transaction(s) running "${queryFragment}" were seen in LOCK WAIT within ${timeoutMs} ms; transactions: ${JSON.stringify(seen)}`,
        );
      }
      // InnoDB refreshes the INNODB_TRX / INNODB_LOCK_WAITS cache at most every 100 ms.
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  } finally {
    await client.end();
  }
}

/** A raw mysql2 connection (`mysql://` URL) for a second session in interleaving tests. */
export function connectMysql(url: string): Promise<Connection> {
  return createConnection({ uri: url.replace(/^mariadb:/, 'mysql:') });
}

/** The server's deadlock count so far (`Innodb_deadlocks`): jest runs one test file at a time, so a difference is this test's. */
export async function innodbDeadlocks(url: string): Promise<number> {
  const client = await connectMysql(url);
  try {
    const [rows] = await client.query(`SHOW GLOBAL STATUS LIKE 'Innodb_deadlocks'`);
    return Number((rows as { Value: string }[])[0].Value);
  } finally {
    await client.end();
  }
}
