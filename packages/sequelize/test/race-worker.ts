// The Sequelize side of the shared race scenarios (test/race/scenarios.ts): one Sequelize
// instance per process, fewer pooled connections than callers.
import { Op, QueryTypes, type Sequelize } from 'sequelize';
import type { RaceWorker } from '../../../test/harness/race';
import {
  type RaceOp,
  type RaceWorkerArgs,
  hotCounter,
  hotSku,
  isRaceBatch,
  raceBatchKeys,
  raceEmail,
  raceKey,
  racePassword,
} from '../../../test/race/ops';
import {
  holdSql,
  retryingCallerTransaction,
  taggingCallerStatements,
} from '../../../test/race/caller-transaction';
import { isSqliteUrl } from '../../../test/race/sql-client';
import { type DriverPool, faultWorkerSessions } from '../../../test/race/session-fault';
import { isVisitsWriter, untilNotBusy, watchSequelizeSqlite } from '../../../test/race/sqlite-busy';
import { F } from '../src';
import { testSequelize } from './models';

export async function createWorker(args: RaceWorkerArgs): Promise<RaceWorker> {
  const { sequelize, User, NaiveUser, Counter, Item, Account, NaiveAccount } = testSequelize(
    args.url,
    { poolSize: args.poolSize },
  );
  let busy = 0;
  let writerBusy = 0;
  let callerRetries = 0;
  // SQLite: a connection per transaction, each given the race's busy timeout (node-sqlite3 defaults to 1000 ms).
  if (isSqliteUrl(args.url))
    watchSequelizeSqlite(
      sequelize,
      args.busyTimeoutMs ?? 1000,
      (sql) => void (isVisitsWriter(sql) ? writerBusy++ : busy++),
    );
  // Open every pooled connection before the barrier, so the first wave of calls really races.
  await Promise.all(Array.from({ length: args.poolSize }, () => sequelize.query('SELECT 1')));
  // A timeout scenario's fault goes on this worker's sessions only now, after Sequelize's connect-time queries (_refreshDynamicOIDs...).
  const faultCounters = args.sessionFault
    ? await faultWorkerSessions(driverPool(sequelize, args.poolSize), args.sessionFault)
    : undefined;
  const visitsTable = args.op.startsWith('naive:') ? 'naive_users' : 'users';

  const getOrCreate = async (email: string, i: number) => {
    const [user, created] = await User.getOrCreate({
      where: { email },
      defaults: { name: `caller ${i}` },
      retry: args.retry,
    });
    return { key: user.email, id: user.id, created };
  };
  // Sequelize's own findOrCreate, on a table without a unique constraint.
  const naiveGetOrCreate = async (email: string, i: number) => {
    const [user, created] = await NaiveUser.findOrCreate({
      where: { email },
      defaults: { email, name: `caller ${i}` },
    });
    return { key: user.email, id: user.id, created };
  };

  const ops: Record<RaceOp, (i: number) => Promise<unknown>> = {
    getOrCreate: (i) => getOrCreate(raceKey(args, i), i),
    async 'getOrCreate:transaction'(i) {
      // Sequelize's default transaction type, DEFERRED on SQLite: a new connection per transaction.
      // Under faults, an error of the caller's own BEGIN / COMMIT is told apart from racesafe's (issue 13).
      const inTransaction = () =>
        taggingCallerStatements((inside) =>
          sequelize.transaction((transaction) =>
            inside(
              User.getOrCreate({
                where: { email: raceKey(args, i) },
                defaults: { name: `caller ${i}` },
                transaction,
              }),
            ),
          ),
        );
      const [user, created] = await retryingCallerTransaction(inTransaction, () => callerRetries++);
      return { key: user.email, id: user.id, created };
    },
    'naive:getOrCreate': (i) => naiveGetOrCreate(raceKey(args, i), i),
    async 'getOrCreateMany:mixed'(i) {
      const keys = raceBatchKeys(args, i);
      if (!isRaceBatch(args, i)) return [await getOrCreate(keys[0], i)];
      const results = await User.getOrCreateMany({
        where: keys.map((email) => ({ email })),
        defaults: { name: `caller ${i}` },
        retry: args.retry,
      });
      return results.map(([user, created]) => ({ key: user.email, id: user.id, created }));
    },
    async 'naive:getOrCreateMany:mixed'(i) {
      const keys = raceBatchKeys(args, i);
      if (!isRaceBatch(args, i)) return [await naiveGetOrCreate(keys[0], i)];
      // Sequelize's own batch: find the existing rows, bulkCreate the missing ones in one multi-row INSERT.
      const found = new Map(
        (await NaiveUser.findAll({ where: { email: keys } })).map((user) => [user.email, user]),
      );
      const missing = keys.filter((email) => !found.has(email));
      const created = new Map(
        (missing.length > 0
          ? await NaiveUser.bulkCreate(missing.map((email) => ({ email, name: `caller ${i}` })))
          : []
        ).map((user) => [user.email, user]),
      );
      return keys.map((email) => ({
        key: email,
        id: (found.get(email) ?? created.get(email))!.id,
        created: !found.has(email),
      }));
    },
    async 'getOrCreate:hashingHook'(i) {
      const [account, created] = await Account.getOrCreate({
        where: { email: raceEmail(args, i) },
        defaults: { password: racePassword, name: `caller ${i}` },
        retry: args.retry,
      });
      return { key: account.email, id: account.id, created, password: account.password };
    },
    async 'naive:getOrCreate:hashingHook'(i) {
      // Sequelize's own findOrCreate (hooks and all), on the same model without a unique constraint.
      const email = raceEmail(args, i);
      const [account, created] = await NaiveAccount.findOrCreate({
        where: { email },
        defaults: { email, password: racePassword, name: `caller ${i}` },
      });
      return { key: account.email, id: account.id, created, password: account.password };
    },
    async updateOrCreate(i) {
      const name = `writer ${i}`;
      const [user, created] = await User.updateOrCreate({
        where: { email: raceKey(args, i) },
        defaults: { name, logins: F('logins').plus(1) },
        createDefaults: { name, logins: 1 },
        retry: args.retry,
      });
      return { key: user.email, id: user.id, created, name: user.name, logins: user.logins };
    },
    async 'updateOrCreate:transaction'(i) {
      const name = `writer ${i}`;
      const transaction = () =>
        sequelize.transaction(async (t) => {
          const result = await User.updateOrCreate({
            where: { email: raceKey(args, i) },
            defaults: { name, logins: F('logins').plus(1) },
            createDefaults: { name, logins: 1 },
            transaction: t,
          });
          // The row lock is held over one more round trip of the caller's: a process killed now dies holding it.
          await sequelize.query(holdSql(args.url), { transaction: t });
          return result;
        });
      const [user, created] = await retryingCallerTransaction(transaction, () => callerRetries++);
      return { key: user.email, id: user.id, created, name: user.name, logins: user.logins };
    },
    async 'naive:updateOrCreate'(i) {
      const email = raceKey(args, i);
      const name = `writer ${i}`;
      const found = await NaiveUser.findOne({ where: { email } });
      if (!found) {
        const user = await NaiveUser.create({ email, name, logins: 1 });
        return { key: email, id: user.id, created: true, name, logins: 1 };
      }
      await found.update({ name, logins: found.logins + 1 });
      return { key: email, id: found.id, created: false, name, logins: found.logins };
    },
    async 'atomicUpdate:increment'() {
      const [counter] = await Counter.atomicUpdate(
        { value: F('value').plus(1) },
        { where: { name: hotCounter }, returning: true, retry: args.retry },
      );
      return { value: counter.value };
    },
    async 'naive:increment'() {
      const counter = await Counter.findOne({ where: { name: hotCounter }, rejectOnEmpty: true });
      await counter.update({ value: counter.value + 1 });
      return { value: counter.value };
    },
    async 'atomicUpdate:guardedDecrement'() {
      const sold = await Item.atomicUpdate(
        { stock: F('stock').minus(1) },
        { where: { sku: hotSku, stock: { [Op.gte]: 1 } }, retry: args.retry },
      );
      return { sold };
    },
    async 'naive:guardedDecrement'() {
      const item = await Item.findOne({ where: { sku: hotSku }, rejectOnEmpty: true });
      if (item.stock < 1) return { sold: 0 };
      await item.update({ stock: item.stock - 1 });
      return { sold: 1 };
    },
  };

  const operation = ops[args.op];
  return {
    async call(i) {
      if (
        args.incrementVisitsEvery &&
        i % args.incrementVisitsEvery === args.incrementVisitsEvery - 1
      ) {
        // A concurrent writer of another column (every row of the key, so naive duplicates too): updateOrCreate must never overwrite it.
        const sql = `UPDATE ${visitsTable} SET visits = visits + 1 WHERE email = $1`;
        // sqlite runs a RAW statement through node-sqlite3's all(), which has no change count: typed UPDATE, it answers [null, changes].
        // The test's writer waits its turn for the write lock however long the race makes it.
        if (isSqliteUrl(args.url))
          return {
            visited: Number(
              (
                await untilNotBusy(() =>
                  sequelize.query(sql, { bind: [raceKey(args, i)], type: QueryTypes.UPDATE }),
                )
              )[1],
            ),
          };
        const [data, meta] = (await sequelize.query(sql, { bind: [raceKey(args, i)] })) as [
          { affectedRows?: number },
          { rowCount?: number; affectedRows?: number } | undefined,
        ];
        // pg: rowCount in the metadata; mysql2 and the mariadb connector: an OK packet with affectedRows.
        return { visited: Number(meta?.rowCount ?? meta?.affectedRows ?? data?.affectedRows ?? 0) };
      }
      return operation(i);
    },
    close: () => sequelize.close(),
    // SQLITE_BUSY* statement failures (SQLite only): retried by Sequelize or racesafe, or surfaced as an error.
    // callerRetries: whole caller's transactions run again after racesafe's RetryableError.
    // writerBusy: the same for the test's own visits writer, apart.
    // setupUnderFault, faultedSessions: where a timeout scenario's fault was in force (test/race/session-fault.ts).
    counters: (): Record<string, number> => ({
      ...(isSqliteUrl(args.url) ? { busy, writerBusy, callerRetries } : { callerRetries }),
      ...faultCounters?.(),
    }),
  };
}

/** Sequelize's connection pool (pg Clients, mysql2 Connections), for a session fault. */
function driverPool(sequelize: Sequelize, poolSize: number): DriverPool {
  const manager = sequelize.connectionManager as unknown as {
    getConnection(options?: object): Promise<object>;
    releaseConnection(connection: object): Promise<void>;
  };
  return {
    async holdAll() {
      const connections = await Promise.all(
        Array.from({ length: poolSize }, () => manager.getConnection({ useMaster: true })),
      );
      return {
        connections,
        release: () =>
          connections.forEach((connection) => void manager.releaseConnection(connection)),
      };
    },
    // afterConnect runs once the dialect's connect() finished its own queries, before the pool hands the connection out.
    onNewConnection: (hook) =>
      sequelize.addHook('afterConnect', async (connection) => void (await hook(connection))),
  };
}
