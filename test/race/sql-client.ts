import mysql from 'mysql2/promise';
import { Client } from 'pg';
import { openSqliteConnection } from '../harness/sqlite-database';
import { mysqlTables } from '../schema/mysql-tables';
import { sqliteTruncateStatements } from '../schema/sqlite-tables';
import { truncateSql } from '../schema/tables';

/** A plain connection for the race checks, on PostgreSQL, MariaDB or a SQLite file: `?` placeholders on all three. */
export interface SqlClient {
  query<Row = Record<string, unknown>>(sql: string, parameters?: unknown[]): Promise<Row[]>;
  /** Empties every table of the shared schema (AUTO_INCREMENT / identities restarted). */
  truncate(): Promise<void>;
  end(): Promise<void>;
}

/** True for a MariaDB / MySQL URL (`mysql://`, `mariadb://`). */
export function isMysqlUrl(url: string): boolean {
  return /^(mysql|mariadb):/.test(url);
}

/** True for a SQLite file URL (`sqlite:/abs/file.db`, `sqlite3:/abs/file.db`). */
export function isSqliteUrl(url: string): boolean {
  return /^sqlite3?:/.test(url);
}

/** Opens one connection on `url`; `?` placeholders become `$1, $2...` on PostgreSQL. */
export async function openSqlClient(url: string): Promise<SqlClient> {
  if (isSqliteUrl(url)) {
    const connection = await openSqliteConnection(url);
    // The checks run between races, when no worker holds the file; the wait only covers a worker's last checkpoint.
    await connection.query('PRAGMA busy_timeout = 5000');
    return {
      query: <Row>(sql: string, parameters: unknown[] = []) =>
        connection.query(sql, parameters) as Promise<Row[]>,
      truncate: async () => {
        for (const statement of sqliteTruncateStatements) await connection.query(statement);
      },
      end: () => connection.close(),
    };
  }
  if (isMysqlUrl(url)) {
    const connection = await mysql.createConnection(url.replace(/^mariadb:/, 'mysql:'));
    return {
      query: async <Row>(sql: string, parameters: unknown[] = []) =>
        (await connection.query(sql, parameters))[0] as Row[],
      // MariaDB truncates one table per statement.
      truncate: async () => {
        for (const table of mysqlTables) await connection.query(`TRUNCATE TABLE ${table}`);
      },
      end: () => connection.end(),
    };
  }
  const client = new Client({ connectionString: url });
  await client.connect();
  return {
    query: async <Row>(sql: string, parameters: unknown[] = []) => {
      let n = 0;
      return (
        await client.query(
          sql.replace(/\?/g, () => `$${++n}`),
          parameters,
        )
      ).rows as Row[];
    },
    truncate: async () => void (await client.query(truncateSql)),
    end: () => client.end(),
  };
}
