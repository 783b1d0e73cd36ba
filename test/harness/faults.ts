// Issue 13, item 2: fault controllers for the race harness, PostgreSQL and MariaDB (chosen by the URL).
import mysql from 'mysql2/promise';
import { Client } from 'pg';
import { isMysqlUrl, isSqliteUrl } from '../race/sql-client';

/** A running fault controller; `stop()` ends it and says how many faults it caused. */
export interface FaultController {
  stop(): Promise<number>;
}

/** One control session: `kill()` ends one random other session of the database (true if it did), `count()` counts them. */
interface ControlSession {
  kill(): Promise<boolean>;
  count(): Promise<number>;
  end(): Promise<void>;
}

/**
 * Every `everyMs`, ends one random client session of the database at `url` (not its own), as an
 * administrator or a failover would; runs until `stop()`. PostgreSQL: the session gets 57P01 and
 * its socket closes. MariaDB / MySQL (a `mysql://` URL): the server closes the socket (mysql2
 * PROTOCOL_CONNECTION_LOST, the mariadb connector 45009).
 *
 * SQL, PostgreSQL: `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()
 * AND backend_type = 'client backend' AND pid <> pg_backend_pid() ORDER BY random() LIMIT 1`.
 * MariaDB: `SELECT ID FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND ID <> CONNECTION_ID()
 * ORDER BY RAND() LIMIT 1`, then `KILL CONNECTION <id>`.
 */
export async function startBackendKiller(url: string, everyMs = 20): Promise<FaultController> {
  const killer = await openBackendKiller(url, everyMs);
  killer.start();
  return killer;
}

/** A backend killer whose control session is open, not killing until `start()`. */
export interface ReadyKiller extends FaultController {
  start(): void;
}

/**
 * {@link startBackendKiller} with its control session opened now and its first kill at `start()`:
 * a race starts it at 'go', so the kills begin with the calls, not a connection later.
 */
export async function openBackendKiller(url: string, everyMs = 20): Promise<ReadyKiller> {
  const control = await openControl(url);
  let stopped = false;
  let killed = 0;
  let loop: Promise<void> | undefined;
  return {
    start() {
      loop ??= (async () => {
        while (!stopped) {
          if (await control.kill()) killed++;
          await new Promise((resolve) => setTimeout(resolve, everyMs));
        }
      })();
    },
    async stop() {
      stopped = true;
      await loop;
      await control.end();
      return killed;
    },
  };
}

/**
 * Client sessions still open on the database at `url` besides the asker's own, once the sessions
 * of exited processes are gone (polled up to `waitMs`): the connections a scenario left over.
 * SQL: `pg_stat_activity` (PostgreSQL) or `information_schema.PROCESSLIST` (MariaDB) for this database;
 * always 0 on SQLite, which has no sessions to leave over.
 */
export async function leftoverConnections(url: string, waitMs = 5000): Promise<number> {
  // SQLite has no server sessions: an exited process's connections and file locks end with it.
  if (isSqliteUrl(url)) return 0;
  const control = await openControl(url);
  try {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const n = await control.count();
      if (n === 0 || Date.now() > deadline) return n;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    await control.end();
  }
}

function openControl(url: string): Promise<ControlSession> {
  return isMysqlUrl(url) ? mysqlControl(url) : postgresControl(url);
}

async function postgresControl(url: string): Promise<ControlSession> {
  const client = new Client({ connectionString: url });
  // The controller's own session is never its target, but a server shutdown would end it: never crash the test on that.
  client.on('error', () => undefined);
  await client.connect();
  const others = `FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()`;
  return {
    kill: async () =>
      (
        await client.query<{ done: boolean }>(
          `SELECT pg_terminate_backend(pid) AS done ${others} ORDER BY random() LIMIT 1`,
        )
      ).rows.some((r) => r.done),
    count: async () =>
      (await client.query<{ n: number }>(`SELECT count(*)::int AS n ${others}`)).rows[0].n,
    end: () => client.end(),
  };
}

// ER_NO_SUCH_THREAD: the session ended on its own between the SELECT and the KILL.
const noSuchThread = 1094;

async function mysqlControl(url: string): Promise<ControlSession> {
  const connection = await mysql.createConnection(url.replace(/^mariadb:/, 'mysql:'));
  // As on PostgreSQL: a server shutdown must not crash the test through an unhandled 'error'.
  connection.on('error', () => undefined);
  const others =
    'FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND ID <> CONNECTION_ID()';
  return {
    async kill() {
      const [rows] = await connection.query<mysql.RowDataPacket[]>(
        `SELECT ID AS id ${others} ORDER BY RAND() LIMIT 1`,
      );
      if (rows.length === 0) return false;
      // KILL takes no placeholder; the id is the server's own integer.
      return connection.query(`KILL CONNECTION ${Number(rows[0].id)}`).then(
        () => true,
        (error: Error & { errno?: number }) =>
          error.errno === noSuchThread ? false : Promise.reject(error),
      );
    },
    count: async () =>
      Number(
        (await connection.query<mysql.RowDataPacket[]>(`SELECT count(*) AS n ${others}`))[0][0].n,
      ),
    end: () => connection.end(),
  };
}
