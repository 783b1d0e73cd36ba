import { DataSource } from 'typeorm';
import type { OpenTestOrm } from '../../../test/integration/orm';
import { describeOnSqlite } from '../../../test/integration/sqlite.suite';
import { openTypeormTestOrm } from './test-orm';

describe('SQLite (TypeORM, type better-sqlite3)', () => describeOnSqlite(openTypeormTestOrm));

/** TypeORM 0.3 still has its `sqlite` driver (node-sqlite3); 1.x refuses the type when the data source is made. */
function hasSqliteDriver(): boolean {
  try {
    new DataSource({ type: 'sqlite' as 'better-sqlite3', database: ':memory:' });
    return true;
  } catch {
    return false;
  }
}

// The same file through TypeORM's `sqlite` type: a sqlite3: URL. One shared query runner too, but node-sqlite3 waits without blocking the process.
const throughNodeSqlite3: OpenTestOrm = Object.assign(
  (url: string, options?: Parameters<OpenTestOrm>[1]) =>
    openTypeormTestOrm(url.replace(/^sqlite:/, 'sqlite3:'), options),
  {
    connectionsOn: () => ({ oneConnection: true, waitBlocksProcess: false }),
  },
);
(hasSqliteDriver() ? describe : describe.skip)(
  `SQLite (TypeORM, type sqlite: node-sqlite3)${hasSqliteDriver() ? '' : ' (skipped: this TypeORM has no sqlite driver)'}`,
  () => describeOnSqlite(throughNodeSqlite3),
);
