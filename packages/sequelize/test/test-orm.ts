import { Op, type Sequelize, Transaction, fn } from 'sequelize';
import type { OpenTestOrm, Row, Table, TestOrm, Tx } from '../../../test/integration/orm';
import { raceSafe } from '../src';
import { type User, testSequelize } from './models';

/** The Sequelize package through the shared suites' TestOrm shape: model statics and the `transaction` option. */
export const openSequelizeTestOrm: OpenTestOrm = async (url, options = {}) => {
  const models = testSequelize(url, options);
  return sequelizeTestOrm(models.sequelize, {
    users: models.User,
    // A plain Model reaches racesafe through raceSafe(Model).
    naive_users: raceSafe(models.NaiveUser),
    memberships: models.Membership,
    counters: models.Counter,
    items: models.Item,
    accounts: models.Account,
    audit: models.Audit,
    posts: models.Post,
    notes: models.Note,
    documents: models.Document,
  });
};

/** A TestOrm on `sequelize` whose tables are these models (each with the racesafe statics). */
export function sequelizeTestOrm(
  sequelize: Sequelize,
  byTable: Partial<Record<Table, unknown>>,
): TestOrm {
  const model = (table: Table) => {
    if (!byTable[table]) throw new Error(`sequelizeTestOrm: no model for table ${table}`);
    return byTable[table] as unknown as typeof User;
  };
  const transaction = (tx?: Tx) => tx as Transaction | undefined;
  const plain = (instance: { get(options: { plain: true }): object }): Row =>
    instance.get({ plain: true }) as Row;
  const orm: TestOrm = {
    name: 'sequelize',
    async getOrCreate(table, where, options, tx) {
      const [row, created] = await model(table).getOrCreate({
        ...(options as object),
        where,
        transaction: transaction(tx),
      });
      return [plain(row), created];
    },
    async getOrCreateMany(table, where, options, tx) {
      const results = await model(table).getOrCreateMany({
        ...(options as object),
        where,
        transaction: transaction(tx),
      });
      return (results as [never, boolean][]).map(([row, created]) => [plain(row), created]);
    },
    async updateOrCreate(table, where, options, tx) {
      const [row, created] = await model(table).updateOrCreate({
        ...(options as object),
        where,
        transaction: transaction(tx),
      });
      return [plain(row), created];
    },
    async atomicUpdate(table, where, values, options = {}, tx) {
      const common = { where: where as never, transaction: transaction(tx) };
      if (options.returning)
        return (
          await model(table).atomicUpdate(values as never, { ...common, returning: true })
        ).map(plain);
      return model(table).atomicUpdate(values, common);
    },
    transaction: (work, isolation) =>
      isolation
        ? sequelize.transaction({ isolationLevel: isolation as Transaction.ISOLATION_LEVELS }, work)
        : sequelize.transaction(work),
    async insert(table, values, tx) {
      await model(table).create(values as never, { transaction: transaction(tx) });
    },
    async update(table, where, values, tx) {
      await model(table).update(values, { where: where as never, transaction: transaction(tx) });
    },
    // The transaction's connection: a pg Client (postgres) or a mysql2 Connection (mysql).
    driverConnection: (tx) => (tx as Transaction & { connection: unknown }).connection,
    async query(sql, tx) {
      const [rows] = await sequelize.query(sql, { transaction: transaction(tx) });
      return rows as Row[];
    },
    guard: {
      gte: (value) => ({ [Op.gte]: value }),
      gt: (value) => ({ [Op.gt]: value }),
      lt: (value) => ({ [Op.lt]: value }),
      or: (...clauses) => ({ [Op.or]: clauses }),
    },
    async findOne(table, where) {
      const row = await model(table).findOne({ where: where as never });
      return row ? plain(row) : null;
    },
    close: () => sequelize.close(),
    poolCounts() {
      // sequelize-pool without replication: `size` counts open connections, `available` the idle ones.
      const pool = (
        sequelize.connectionManager as unknown as { pool: { size: number; available: number } }
      ).pool;
      return { total: pool.size, idle: pool.available };
    },
    // SQLite has no now(): datetime('now') is its clock, UTC to the second.
    sqlNow: () => (sequelize.getDialect() === 'sqlite' ? fn('datetime', 'now') : fn('now')),
  };
  return orm;
}

// On a SQLite file each transaction gets a node-sqlite3 connection of its own (asynchronous); `:memory:` would have one.
openSequelizeTestOrm.connectionsOn = () => ({ oneConnection: false, waitBlocksProcess: false });
