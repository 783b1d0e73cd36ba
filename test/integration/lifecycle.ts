import { useTestDatabase } from '../harness/database';
import { mysqlSchemaSql, mysqlTables } from '../schema/mysql-tables';
import { sqliteSchemaSql, sqliteTruncateStatements } from '../schema/sqlite-tables';
import { schemaSql, truncateSql } from '../schema/tables';
import { StatementLog } from '../support/statement-log';
import type { OpenTestOrm, TestOrm } from './orm';

/**
 * Per test file: a fresh database with the shared schema (PostgreSQL, or with
 * `dialect: 'mysql'` the MariaDB one, with `asMysql8` on the MariaDB reporting MySQL 8; `through: 'pgbouncer'` reaches PostgreSQL through PgBouncer), one TestOrm on it whose statements land in `log`,
 * and tables emptied before each test.
 */
export function useTestOrm(
  open: OpenTestOrm,
  seed?: (orm: TestOrm) => Promise<void>,
  {
    dialect = 'postgres',
    through,
    asMysql8,
  }: { dialect?: 'postgres' | 'mysql' | 'sqlite'; through?: 'pgbouncer'; asMysql8?: boolean } = {},
) {
  const db = useTestDatabase(
    dialect === 'mysql' ? mysqlSchemaSql : dialect === 'sqlite' ? sqliteSchemaSql : schemaSql,
    { dialect, through, asMysql8 },
  );
  // MariaDB truncates one table per statement; SQLite has no TRUNCATE (DELETE FROM each table).
  const truncate =
    dialect === 'mysql'
      ? mysqlTables.map((table) => `TRUNCATE TABLE ${table}`)
      : dialect === 'sqlite'
        ? sqliteTruncateStatements
        : [truncateSql];
  const log = new StatementLog();
  let orm: TestOrm | undefined;
  beforeAll(async () => {
    orm = await open(db.url(), { onQuery: log.record });
  });
  afterAll(() => orm?.close());
  beforeEach(async () => {
    for (const sql of truncate) await orm!.query(sql);
    await seed?.(orm!);
    log.clear();
  });
  return { db, log, orm: () => orm! };
}
