import {
  type EntityManager,
  type EntityTarget,
  LessThan,
  MoreThan,
  MoreThanOrEqual,
  type ObjectLiteral,
} from 'typeorm';
import type {
  OpenTestOrm,
  OperationOptions,
  Row,
  Table,
  TestOrm,
  Tx,
} from '../../../test/integration/orm';
import { useSqliteLibrary } from '../../../test/support/sqlite-locks';
import { raceSafe } from '../src';
import {
  Account,
  Audit,
  Counter,
  Document,
  Item,
  JsonDocument,
  Membership,
  NaiveUser,
  Note,
  Post,
  User,
  testDataSource,
} from './entities';

const entities: Record<Table, EntityTarget<ObjectLiteral>> = {
  users: User,
  naive_users: NaiveUser,
  memberships: Membership,
  counters: Counter,
  items: Item,
  accounts: Account,
  audit: Audit,
  posts: Post,
  notes: Note,
  documents: Document,
};

/** Flattens an entity to its own enumerable properties, keeping Date values. */
const plain = (entity: ObjectLiteral): Row => ({ ...entity });

/** Shared options in TypeORM's words: `hooks: false` is `listeners: false`, as in save(). */
const typeormOptions = (options: OperationOptions = {}) => {
  const { hooks, validate: _validate, ...rest } = options;
  return (hooks === false ? { ...rest, listeners: false } : rest) as never;
};

/** The TypeORM package through the shared suites' TestOrm shape, in TypeORM's idiom. */
export const openTypeormTestOrm: OpenTestOrm = async (url, options = {}) => {
  // sqlite: is better-sqlite3 here: the suites' second sessions on the file must use that copy of SQLite too (sqlite-locks.ts).
  if (url.startsWith('sqlite:')) useSqliteLibrary(url, 'better-sqlite3');
  const dataSource = await testDataSource(url, options).initialize();
  // Inside a transaction: `manager.withRepository(repo)`, TypeORM's own idiom.
  // The documents table has its own entity on MariaDB (JSON for text[]).
  const entity = (table: Table) =>
    table === 'documents' && !dataSource.hasMetadata(Document) ? JsonDocument : entities[table];
  const repository = (table: Table, tx?: Tx) => {
    const repo = raceSafe(dataSource.getRepository(entity(table)));
    return tx ? (tx as EntityManager).withRepository(repo) : repo;
  };
  const { type } = dataSource.options;
  // `sqlite` is TypeORM 0.3's node-sqlite3 driver (1.x has no such type).
  const onSqlite = type === 'better-sqlite3' || (type as string) === 'sqlite';
  const orm: TestOrm = {
    name: 'typeorm',
    async getOrCreate(table, lookup, options, tx) {
      const [row, created] = await repository(table, tx).getOrCreate(
        lookup,
        typeormOptions(options),
      );
      return [plain(row), created];
    },
    async getOrCreateMany(table, lookups, options, tx) {
      const results = await repository(table, tx).getOrCreateMany(lookups, typeormOptions(options));
      return results.map(([row, created]) => [plain(row), created]);
    },
    async updateOrCreate(table, lookup, options, tx) {
      const [row, created] = await repository(table, tx).updateOrCreate(
        lookup,
        typeormOptions(options),
      );
      return [plain(row), created];
    },
    async atomicUpdate(table, where, values, options = {}, tx) {
      const repo = repository(table, tx);
      if (options.returning)
        return (await repo.atomicUpdate(where as never, values, { returning: true })).map(plain);
      return repo.atomicUpdate(where as never, values);
    },
    transaction: (work, isolation) =>
      isolation ? dataSource.transaction(isolation, work) : dataSource.transaction(work),
    async insert(table, values, tx) {
      await ((tx as EntityManager | undefined) ?? dataSource.manager)
        .getRepository(entity(table))
        .insert(values);
    },
    async update(table, where, values, tx) {
      await ((tx as EntityManager | undefined) ?? dataSource.manager)
        .getRepository(entity(table))
        .update(where, values);
    },
    // The query runner's connection: a pg Client (PostgreSQL) or a mysql2 PoolConnection (MariaDB).
    driverConnection: (tx) =>
      ((tx as EntityManager).queryRunner as unknown as { databaseConnection: unknown })
        .databaseConnection,
    query: (sql, tx) => ((tx as EntityManager | undefined) ?? dataSource.manager).query(sql),
    async findOne(table, where) {
      const row = await dataSource.getRepository(entity(table)).findOneBy(where);
      return row ? plain(row) : null;
    },
    guard: { gte: MoreThanOrEqual, gt: MoreThan, lt: LessThan, or: (...clauses) => clauses },
    close: () => dataSource.destroy(),
    poolCounts() {
      // TypeORM's postgres driver keeps its pg-pool as `master` (mysql2's pool has no such counts).
      const pool = (
        dataSource.driver as unknown as { master: { totalCount: number; idleCount: number } }
      ).master;
      return { total: pool.totalCount, idle: pool.idleCount };
    },
    // SQLite has no now(): datetime('now') is its clock, UTC to the second.
    sqlNow: () => (onSqlite ? () => "datetime('now')" : () => 'now()'),
  };
  return orm;
};

// sqlite: URLs open TypeORM's better-sqlite3 driver: one shared query runner, synchronous.
openTypeormTestOrm.connectionsOn = (dialect) => ({
  oneConnection: dialect === 'sqlite',
  waitBlocksProcess: dialect === 'sqlite',
});
