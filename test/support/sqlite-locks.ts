import { Worker } from 'node:worker_threads';
import sqlite3 from 'sqlite3';
import type { SqlClient } from '../race/sql-client';
import { sqliteTruncateStatements } from '../schema/sqlite-tables';
import { sqliteFile } from '../harness/sqlite-database';
import type { StatementLog } from './statement-log';

/**
 * SQLite's counterpart of locks.ts. SQLite has no server, no lock table and no list of waiting
 * sessions: a writer that finds the database's write lock taken sleeps in its busy handler,
 * invisible to every other connection. What can be observed is (1) from the database: the write
 * lock is held (a probe's `BEGIN IMMEDIATE` with no busy timeout fails with SQLITE_BUSY), and
 * (2) from the clients: which statements were sent and have not returned. A write statement sent
 * while another connection holds the write lock cannot have returned: it is waiting.
 */

// better-sqlite3 ships no types (TypeORM declares its own): the two calls used here.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const BetterSqlite3 = require('better-sqlite3') as new (
  file: string,
  options: { timeout: number },
) => { exec(sql: string): void; close(): void };

// Statements in flight on the connections of openSqliteSqlClient, by database file.
const inFlight = new Map<string, Set<string>>();

/** A copy of SQLite, as a driver compiles it into its native module. */
export type SqliteLibrary = 'node-sqlite3' | 'better-sqlite3';
// The library the ORM under test reaches each database file through (node-sqlite3 unless declared).
const libraries = new Map<string, SqliteLibrary>();

/**
 * Declares that the ORM under test reaches the file of `url` through `library`: the second
 * sessions and lock probes here then use the same one. Two copies of SQLite in one process do
 * not see each other's locks (POSIX advisory locks belong to the process, and each copy keeps its
 * own table of them), so a node-sqlite3 session would take the write lock better-sqlite3 holds,
 * and both would write the WAL: `disk I/O error`, lost writes.
 * https://sqlite.org/howtocorrupt.html#multiple_copies_of_sqlite_linked_into_the_same_application
 */
export function useSqliteLibrary(url: string, library: SqliteLibrary): void {
  libraries.set(sqliteFile(url), library);
}

// A better-sqlite3 connection in a worker thread: its waits for the write lock stop that thread, not the test's.
const betterSqliteWorker = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const database = new Database(workerData.file, { timeout: workerData.timeout });
parentPort.on('message', ({ id, sql, values }) => {
  if (sql === undefined) return database.close(), parentPort.postMessage({ id, rows: [] });
  try {
    const statement = database.prepare(sql);
    parentPort.postMessage({ id, rows: statement.reader ? statement.all(values) : (statement.run(values), []) });
  } catch (error) {
    parentPort.postMessage({ id, error: { message: error.message, code: error.code } });
  }
});`;

/** Runs statements on a better-sqlite3 connection of a worker thread; `undefined` closes it. */
function betterSqliteConnection(
  file: string,
  timeout: number,
): (sql: string | undefined, values?: unknown[]) => Promise<Record<string, unknown>[]> {
  const worker = new Worker(betterSqliteWorker, {
    eval: true,
    workerData: { module: require.resolve('better-sqlite3'), file, timeout },
  });
  const pending = new Map<
    number,
    { resolve(rows: Record<string, unknown>[]): void; reject(error: Error): void }
  >();
  let next = 0;
  worker.on(
    'message',
    ({
      id,
      rows,
      error,
    }: {
      id: number;
      rows?: Record<string, unknown>[];
      error?: { message: string; code?: string };
    }) => {
      const call = pending.get(id)!;
      pending.delete(id);
      if (error) call.reject(Object.assign(new Error(error.message), { code: error.code }));
      else call.resolve(rows!);
    },
  );
  worker.on('error', (error) => pending.forEach((call) => call.reject(error)));
  return async (sql, values = []) => {
    const id = next++;
    const rows = await new Promise<Record<string, unknown>[]>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, sql, values });
    });
    if (sql === undefined) await worker.terminate();
    return rows;
  };
}

function open(file: string): Promise<sqlite3.Database> {
  return new Promise((resolve, reject) => {
    const database: sqlite3.Database = new sqlite3.Database(file, (error) =>
      error ? reject(error) : resolve(database),
    );
  });
}

/** Runs one statement on a node-sqlite3 connection; resolves with its rows. */
function all(
  database: sqlite3.Database,
  sql: string,
  values: unknown[] = [],
): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) =>
    database.all(sql, values, (error, rows) =>
      error ? reject(error) : resolve(rows as Record<string, unknown>[]),
    ),
  );
}

/**
 * A second session on a SQLite file, with `?` placeholders as the other SqlClients, through the
 * library the ORM uses there ({@link useSqliteLibrary}): node-sqlite3, asynchronous, or
 * better-sqlite3 in a worker thread; either way its waits do not stop the test. Its busy timeout is 20 s, so a
 * statement of its that meets another connection's write lock waits for it, as a session
 * waits for a row lock on a server.
 */
export async function openSqliteSqlClient(url: string): Promise<SqlClient> {
  const file = sqliteFile(url);
  let run: (sql: string, values?: unknown[]) => Promise<Record<string, unknown>[]>;
  let end: () => Promise<void>;
  if (libraries.get(file) === 'better-sqlite3') {
    const connection = betterSqliteConnection(file, 20_000);
    run = connection;
    end = async () => void (await connection(undefined));
  } else {
    const database = await open(file);
    database.configure('busyTimeout', 20_000);
    run = (sql, values) => all(database, sql, values);
    end = () =>
      new Promise<void>((resolve, reject) =>
        database.close((error) => (error ? reject(error) : resolve())),
      );
  }
  const statements = inFlight.get(file) ?? new Set<string>();
  inFlight.set(file, statements);
  return {
    async query<Row>(sql: string, parameters: unknown[] = []) {
      // Each call its own entry: the same text may be in flight twice.
      const entry = Object.assign(new String(sql), {}) as unknown as string;
      statements.add(entry);
      try {
        return (await run(sql, parameters)) as Row[];
      } finally {
        statements.delete(entry);
      }
    },
    truncate: async () => {
      for (const sql of sqliteTruncateStatements) await run(sql);
    },
    end,
  };
}

/** True when some connection holds the database's write lock: a probe's `BEGIN IMMEDIATE` with no busy timeout fails. */
export async function sqliteWriteLockHeld(url: string): Promise<boolean> {
  if (libraries.get(sqliteFile(url)) === 'better-sqlite3') {
    // No busy timeout: the probe never waits, so it may run on the test's own thread.
    const probe = new BetterSqlite3(sqliteFile(url), { timeout: 0 });
    try {
      probe.exec('BEGIN IMMEDIATE');
      probe.exec('ROLLBACK');
      return false;
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_BUSY') return true;
      throw error;
    } finally {
      probe.close();
    }
  }
  const probe = await open(sqliteFile(url));
  try {
    probe.configure('busyTimeout', 0);
    await all(probe, 'BEGIN IMMEDIATE');
    await all(probe, 'ROLLBACK');
    return false;
  } catch (error) {
    if ((error as { code?: string }).code === 'SQLITE_BUSY') return true;
    throw error;
  } finally {
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  }
}

/** Letters and words only: TypeORM quotes `"users"`, Sequelize `` `users` ``. */
const bare = (sql: string) =>
  sql
    .replace(/[`"[\]]/g, '')
    .replace(/\s+/g, ' ')
    .toUpperCase();

/**
 * Resolves once the write lock is held and `count` statements containing `fragment` wait for
 * it: statements in flight on an {@link openSqliteSqlClient} connection, or statements the ORM
 * under test sent (`sent`, its statement log) whose answer cannot have come while the lock is
 * held. Polls; fails after `timeoutMs`.
 */
export async function waitUntilSqliteBlocked(
  url: string,
  fragment: string,
  {
    timeoutMs = 20_000,
    count = 1,
    sent,
  }: { timeoutMs?: number; count?: number; sent?: StatementLog } = {},
): Promise<{ statement: string; blockedBy: string[] }[]> {
  const wanted = bare(fragment);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const waiting = [...(inFlight.get(sqliteFile(url)) ?? []), ...(sent?.statements ?? [])]
      .map(String)
      .filter((sql) => bare(sql).includes(wanted));
    // One writer at a time: whoever holds the write lock is the one session each waiter waits for.
    if (waiting.length >= count && (await sqliteWriteLockHeld(url)))
      return waiting.map((statement) => ({ statement, blockedBy: ['the write lock holder'] }));
    if (Date.now() > deadline)
      throw new Error(
        `no ${count} statement(s) containing "${fragment}" were seen waiting for the write lock within ${timeoutMs} ms`,
      );
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
