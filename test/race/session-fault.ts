// Issue 21, item 2: a server timeout put on the race workers' own sessions, once they are set up,
// so that it never reaches the ORM's connect-time queries or the harness's own sessions.

/**
 * A fault that lives in session settings (PostgreSQL `statement_timeout` / `lock_timeout`,
 * MariaDB `max_statement_time`), put only on the worker processes' connections.
 */
export interface SessionFault {
  /** Statements that put the fault on the session that runs them, e.g. `SET statement_timeout = '10ms'`. */
  set: string[];
  /** One row whose column `v` is 1 where the fault is in force on the session that runs it, else 0. */
  inForce: string;
}

/** A worker's pool as its driver sees it: the connections under the ORM (node-postgres Clients, mysql2 Connections). */
export interface DriverPool {
  /** Every pooled connection at once (the pool opens the missing ones, its ORM's set-up included), and a way to give them back. */
  holdAll(): Promise<{ connections: unknown[]; release: () => void }>;
  /** Calls `hook` with each connection the pool opens from now on, after the ORM's own set-up of it and before its first statement. */
  onNewConnection(hook: (connection: unknown) => Promise<unknown>): void;
}

/** Runs one statement on a raw driver connection: a node-postgres Client, or a mysql2 Connection (through its promise wrapper). */
function rawQuery(connection: unknown, sql: string): Promise<Record<string, unknown>[]> {
  const c = connection as {
    promise?: () => { query(sql: string): Promise<[unknown]> };
    query(sql: string): Promise<{ rows: Record<string, unknown>[] }>;
  };
  if (typeof c.promise === 'function')
    return c
      .promise()
      .query(sql)
      .then(([rows]) => rows as Record<string, unknown>[]);
  return c.query(sql).then((result) => result.rows);
}

/**
 * Puts `fault` on one connection: reads whether it is in force already, then runs `fault.set`
 * (nothing is read after: a read under a 10 ms statement timeout could itself be cut). The
 * statements are all handed to the driver at once, and each driver sends a connection's
 * statements in order: a connection handed to a caller right after this runs none of the
 * caller's statements without the fault.
 */
function putFault(
  connection: unknown,
  fault: SessionFault,
): Promise<{ before: boolean; after: boolean }> {
  const [read, ...set] = [fault.inForce, ...fault.set].map((sql) => rawQuery(connection, sql));
  return Promise.all([read, ...set]).then(([rows]) => ({
    before: Number(rows[0]?.v) === 1,
    after: true,
  }));
}

/**
 * Puts `fault` on every connection of a worker's pool once the worker is set up (its ORM
 * connected, its pooled connections opened), and on each connection opened later as soon as its
 * ORM's own connect-time queries are done (Sequelize's `_refreshDynamicOIDs`, time zone...).
 * Returns the worker's counters: `setupUnderFault`, connections on which the fault was already in
 * force before racesafe's calls could start (expected 0: it would have reached the set-up), and
 * `faultedSessions`, connections that run with it.
 */
export async function faultWorkerSessions(
  pool: DriverPool,
  fault: SessionFault,
): Promise<() => Record<string, number>> {
  let setupUnderFault = 0;
  let faultedSessions = 0;
  const count = ({ before, after }: { before: boolean; after: boolean }) => {
    if (before) setupUnderFault++;
    if (after) faultedSessions++;
  };
  const { connections, release } = await pool.holdAll();
  try {
    for (const outcome of await Promise.all(
      connections.map((connection) => putFault(connection, fault)),
    ))
      count(outcome);
  } finally {
    release();
  }
  // A statement the fault cuts in the new connection's first queries is the race's to count, not the set-up's.
  pool.onNewConnection((connection) => putFault(connection, fault).then(count, () => undefined));
  return () => ({ setupUnderFault, faultedSessions });
}
