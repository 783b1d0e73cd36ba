import mysql from 'mysql2/promise';
import { Client } from 'pg';
import { mysqlTables } from '../schema/mysql-tables';
import { truncateSql } from '../schema/tables';

/** A plain connection for the race checks, on PostgreSQL or MariaDB: `?` placeholders on both. */
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

/** Opens one connection on `url`; `?` placeholders become `$1, $2...` on PostgreSQL. */
export async function openSqlClient(url: string): Promise<SqlClient> {
  if (isMysqlUrl(url)) {
    const connection = await mysql.createConnection(url.replace(/^mariadb:/, 'mysql:'));
    return {
      query: async <Row>(sql: string, parameters: unknown[] = []) => (await connection.query(sql, parameters))[0] as Row[],
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
      return (await client.query(sql.replace(/\?/g, () => `$${++n}`), parameters)).rows as Row[];
    },
    truncate: async () => void (await client.query(truncateSql)),
    end: () => client.end(),
  };
}
