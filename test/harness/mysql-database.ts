import mysql from 'mysql2/promise';
import type { TestDatabase } from './postgres';

/**
 * Creates database `name` (lower-cased, reduced to `[a-z0-9_]`, 64 chars) with utf8mb4 and
 * the server's default collation for it on the MariaDB / MySQL server at `serverUrl`, and
 * returns its URL.
 *
 * SQL: ``CREATE DATABASE `name` CHARACTER SET utf8mb4``; drop(): ``KILL CONNECTION`` for each
 * session still using it, then ``DROP DATABASE IF EXISTS `name` ``.
 *
 * @example
 * const db = await createMysqlDatabase(server.url, 'demo');
 * try { await applyMysqlSchema(db.url, mysqlSchemaSql); } finally { await db.drop(); }
 */
export async function createMysqlDatabase(serverUrl: string, name: string): Promise<TestDatabase> {
  const safe = name
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .slice(0, 64);
  await withConnection(serverUrl, (c) =>
    c.query(`CREATE DATABASE \`${safe}\` CHARACTER SET utf8mb4`),
  );
  const url = new URL(serverUrl);
  url.pathname = `/${safe}`;
  return {
    url: url.toString(),
    drop: () => withConnection(serverUrl, (c) => dropDatabase(c, safe)),
  };
}

// DROP DATABASE waits for the metadata locks of every open transaction on its tables, for
// lock_wait_timeout (a year by default): a pool a failed test left inside a transaction would
// hang the run. PostgreSQL's WITH (FORCE) equivalent: end those sessions first.
async function dropDatabase(connection: mysql.Connection, name: string): Promise<void> {
  const [sessions] = await connection.query<mysql.RowDataPacket[]>(
    'SELECT ID AS id FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()',
    [name],
  );
  for (const { id } of sessions) {
    // ER_NO_SUCH_THREAD (1094): it ended on its own meanwhile.
    await connection.query(`KILL CONNECTION ${Number(id)}`).catch((error: { errno?: number }) => {
      if (error.errno !== 1094) throw error;
    });
  }
  await connection.query('SET SESSION lock_wait_timeout = 30');
  await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
}

/** Runs a script of `;`-separated statements on the database at `url` (MariaDB / MySQL). */
export async function applyMysqlSchema(url: string, sqlText: string): Promise<void> {
  await withConnection(url, (c) => c.query(sqlText), { multipleStatements: true });
}

async function withConnection(
  url: string,
  run: (connection: mysql.Connection) => Promise<unknown>,
  options: mysql.ConnectionOptions = {},
): Promise<void> {
  const connection = await mysql.createConnection({ uri: url, ...options });
  try {
    await run(connection);
  } finally {
    await connection.end();
  }
}
