import fs from 'node:fs';
import path from 'node:path';
import sqlite3 from 'sqlite3';
import type { TestDatabase } from './postgres';
import { scratchDir } from './scratch-dir';

/**
 * Creates a SQLite file database `<scratchRoot>/racesafe-<name>-XXXXXX/test.db` (an empty file: SQLite
 * creates it on first open) and returns its URL, `sqlite:/abs/path/test.db` (TypeORM's
 * `better-sqlite3` driver, Sequelize's `sqlite`; `sqlite3:` instead picks TypeORM 0.3's `sqlite`).
 * drop() removes the directory, with the `-wal` and `-shm` files beside the database.
 *
 * @example
 * const db = await createSqliteDatabase('demo');
 * try { await applySqliteSchema(db.url, sqliteSchemaSql); } finally { await db.drop(); }
 */
export async function createSqliteDatabase(name: string): Promise<TestDatabase> {
  const safe = name
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .slice(0, 40);
  const directory = scratchDir(`racesafe-${safe}-`);
  const file = path.join(directory, 'test.db');
  return {
    url: `sqlite:${file}`,
    drop: async () => fs.rmSync(directory, { recursive: true, force: true }),
  };
}

/** The database file of a `sqlite:` or `sqlite3:` URL. */
export function sqliteFile(url: string): string {
  return url.slice(url.indexOf(':') + 1);
}

/** Runs a script of `;`-separated statements on the SQLite database at `url` (node-sqlite3 `exec`). */
export async function applySqliteSchema(url: string, sqlText: string): Promise<void> {
  const database = await new Promise<sqlite3.Database>((resolve, reject) => {
    const opened: sqlite3.Database = new sqlite3.Database(sqliteFile(url), (error) =>
      error ? reject(error) : resolve(opened),
    );
  });
  try {
    await new Promise<void>((resolve, reject) =>
      database.exec(sqlText, (error) => (error ? reject(error) : resolve())),
    );
  } finally {
    await new Promise<void>((resolve) => database.close(() => resolve()));
  }
}

/** A connection of its own to a SQLite file, outside the ORM (node-sqlite3): another process's writer in a test. */
export interface SqliteConnection {
  /** Runs one statement, values bound to its `?` placeholders; resolves with its rows. */
  query(sql: string, values?: unknown[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/**
 * Opens a {@link SqliteConnection} on the database at `url` (`sqlite:` or `sqlite3:`).
 *
 * @example
 * const other = await openSqliteConnection(db.url());
 * await other.query('INSERT INTO audit (event) VALUES (?)', ['outside']);
 */
export async function openSqliteConnection(url: string): Promise<SqliteConnection> {
  const database = await new Promise<sqlite3.Database>((resolve, reject) => {
    const opened: sqlite3.Database = new sqlite3.Database(sqliteFile(url), (error) =>
      error ? reject(error) : resolve(opened),
    );
  });
  return {
    query: (sql, values = []) =>
      new Promise((resolve, reject) =>
        database.all(sql, values, (error, rows) =>
          error ? reject(error) : resolve(rows as Record<string, unknown>[]),
        ),
      ),
    close: () => new Promise<void>((resolve) => database.close(() => resolve())),
  };
}
