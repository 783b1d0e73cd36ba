// The TypeORM side of the shared race scenarios (test/race/scenarios.ts): one data source
// per process, fewer pooled connections than callers.
import { type DataSource, In, MoreThanOrEqual } from 'typeorm';
import type { RaceWorker } from '../../../test/harness/race';
import {
  holdSql,
  oneAtATime,
  retryingCallerTransaction,
  taggingCallerStatements,
} from '../../../test/race/caller-transaction';
import { isSqliteBusy, isVisitsWriter, untilNotBusy } from '../../../test/race/sqlite-busy';
import { isMysqlUrl, isSqliteUrl } from '../../../test/race/sql-client';
import { type DriverPool, faultWorkerSessions } from '../../../test/race/session-fault';
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
import { F, raceSafe } from '../src';
import { Account, Counter, Item, NaiveAccount, NaiveUser, User, testDataSource } from './entities';

export async function createWorker(args: RaceWorkerArgs): Promise<RaceWorker> {
  let busy = 0;
  let writerBusy = 0;
  let callerRetries = 0;
  const onQueryError = (error: unknown, query: string) => {
    if (isSqliteBusy(error)) void (isVisitsWriter(query) ? writerBusy++ : busy++);
  };
  const dataSource = await testDataSource(args.url, {
    poolSize: args.poolSize,
    onQueryError,
  }).initialize();
  // SQLite: one connection per data source; its busy timeout is the race's (better-sqlite3 defaults to 5000 ms).
  if (isSqliteUrl(args.url) && args.busyTimeoutMs !== undefined)
    await dataSource.query(`PRAGMA busy_timeout = ${Number(args.busyTimeoutMs)}`);
  // Open every pooled connection before the barrier, so the first wave of calls really races.
  await Promise.all(Array.from({ length: args.poolSize }, () => dataSource.query('SELECT 1')));
  // A timeout scenario's fault goes on this worker's sessions only now, after the data source's set-up.
  const faultCounters = args.sessionFault
    ? await faultWorkerSessions(driverPool(dataSource, args.poolSize), args.sessionFault)
    : undefined;
  const users = raceSafe(dataSource.getRepository(User));
  const naiveUsers = dataSource.getRepository(NaiveUser);
  const accounts = raceSafe(dataSource.getRepository(Account));
  const naiveAccounts = dataSource.getRepository(NaiveAccount);
  const counters = raceSafe(dataSource.getRepository(Counter));
  const items = raceSafe(dataSource.getRepository(Item));
  const visitsTable = args.op.startsWith('naive:') ? 'naive_users' : 'users';
  const placeholder = isMysqlUrl(args.url) || isSqliteUrl(args.url) ? '?' : '$1';
  // TypeORM's SQLite drivers: one connection per data source, so one caller's transaction at a time per process.
  const callerTransactions = isSqliteUrl(args.url)
    ? oneAtATime()
    : <T>(work: () => Promise<T>) => work();

  const getOrCreate = async (email: string, i: number) => {
    const [user, created] = await users.getOrCreate(
      { email },
      { defaults: { name: `caller ${i}` }, retry: args.retry },
    );
    return { key: user.email, id: user.id, created };
  };
  const naiveGetOrCreate = async (email: string, i: number) => {
    const found = await naiveUsers.findOneBy({ email });
    if (found) return { key: email, id: found.id, created: false };
    const saved = await naiveUsers.save(naiveUsers.create({ email, name: `caller ${i}` }));
    return { key: email, id: saved.id, created: true };
  };

  const ops: Record<RaceOp, (i: number) => Promise<unknown>> = {
    getOrCreate: (i) => getOrCreate(raceKey(args, i), i),
    async 'getOrCreate:transaction'(i) {
      // Under faults, an error of the caller's own BEGIN / COMMIT is told apart from racesafe's (issue 13).
      const transaction = () =>
        taggingCallerStatements((inside) =>
          dataSource.transaction((manager) =>
            inside(
              manager
                .withRepository(users)
                .getOrCreate({ email: raceKey(args, i) }, { defaults: { name: `caller ${i}` } }),
            ),
          ),
        );
      const [user, created] = await callerTransactions(() =>
        retryingCallerTransaction(transaction, () => callerRetries++),
      );
      return { key: user.email, id: user.id, created };
    },
    'naive:getOrCreate': (i) => naiveGetOrCreate(raceKey(args, i), i),
    async 'getOrCreateMany:mixed'(i) {
      const keys = raceBatchKeys(args, i);
      if (!isRaceBatch(args, i)) return [await getOrCreate(keys[0], i)];
      const results = await users.getOrCreateMany(
        keys.map((email) => ({ email })),
        { defaults: { name: `caller ${i}` }, retry: args.retry },
      );
      return results.map(([user, created]) => ({ key: user.email, id: user.id, created }));
    },
    async 'naive:getOrCreateMany:mixed'(i) {
      const keys = raceBatchKeys(args, i);
      if (!isRaceBatch(args, i)) return [await naiveGetOrCreate(keys[0], i)];
      // TypeORM's own batch: find the existing rows, insert the missing ones in one multi-row INSERT.
      const found = new Map(
        (await naiveUsers.findBy({ email: In(keys) })).map((user) => [user.email, user]),
      );
      const missing = keys
        .filter((email) => !found.has(email))
        .map((email) => naiveUsers.create({ email, name: `caller ${i}` }));
      // insert() sets each entity's generated id.
      if (missing.length > 0) await naiveUsers.insert(missing);
      const created = new Map(missing.map((user) => [user.email, user]));
      return keys.map((email) => ({
        key: email,
        id: (found.get(email) ?? created.get(email))!.id,
        created: !found.has(email),
      }));
    },
    async 'getOrCreate:hashingHook'(i) {
      const [account, created] = await accounts.getOrCreate(
        { email: raceEmail(args, i) },
        { defaults: { password: racePassword, name: `caller ${i}` }, retry: args.retry },
      );
      return { key: account.email, id: account.id, created, password: account.password };
    },
    async 'naive:getOrCreate:hashingHook'(i) {
      // findOneBy then save(): @BeforeInsert hashes, but nothing stops a second insert.
      const email = raceEmail(args, i);
      const found = await naiveAccounts.findOneBy({ email });
      if (found) return { key: email, id: found.id, created: false, password: found.password };
      const saved = await naiveAccounts.save(
        naiveAccounts.create({ email, password: racePassword, name: `caller ${i}` }),
      );
      return { key: email, id: saved.id, created: true, password: saved.password };
    },
    async updateOrCreate(i) {
      const name = `writer ${i}`;
      const [user, created] = await users.updateOrCreate(
        { email: raceKey(args, i) },
        {
          defaults: { name, logins: F('logins').plus(1) },
          createDefaults: { name, logins: 1 },
          retry: args.retry,
        },
      );
      return { key: user.email, id: user.id, created, name: user.name, logins: user.logins };
    },
    async 'updateOrCreate:transaction'(i) {
      const name = `writer ${i}`;
      const options = {
        defaults: { name, logins: F('logins').plus(1) },
        createDefaults: { name, logins: 1 },
      };
      const transaction = () =>
        dataSource.transaction(async (manager) => {
          const result = await manager
            .withRepository(users)
            .updateOrCreate({ email: raceKey(args, i) }, options);
          // The row lock is held over one more round trip of the caller's: a process killed now dies holding it.
          await manager.query(holdSql(args.url));
          return result;
        });
      // SQLite: one connection per data source, so the caller's transactions run one at a time per process.
      const [user, created] = await callerTransactions(() =>
        retryingCallerTransaction(transaction, () => callerRetries++),
      );
      return { key: user.email, id: user.id, created, name: user.name, logins: user.logins };
    },
    async 'naive:updateOrCreate'(i) {
      const email = raceKey(args, i);
      const name = `writer ${i}`;
      const found = await naiveUsers.findOneBy({ email });
      if (!found) {
        const saved = await naiveUsers.save(naiveUsers.create({ email, name, logins: 1 }));
        return { key: email, id: saved.id, created: true, name, logins: 1 };
      }
      found.name = name;
      found.logins += 1;
      const saved = await naiveUsers.save(found);
      return { key: email, id: saved.id, created: false, name, logins: saved.logins };
    },
    async 'atomicUpdate:increment'() {
      const [counter] = await counters.atomicUpdate(
        { name: hotCounter },
        { value: F('value').plus(1) },
        { returning: true, retry: args.retry },
      );
      return { value: counter.value };
    },
    async 'naive:increment'() {
      const counter = await counters.findOneByOrFail({ name: hotCounter });
      counter.value += 1;
      await counters.save(counter);
      return { value: counter.value };
    },
    async 'atomicUpdate:guardedDecrement'() {
      const sold = await items.atomicUpdate(
        { sku: hotSku, stock: MoreThanOrEqual(1) },
        { stock: F('stock').minus(1) },
        { retry: args.retry },
      );
      return { sold };
    },
    async 'naive:guardedDecrement'() {
      const item = await items.findOneByOrFail({ sku: hotSku });
      if (item.stock < 1) return { sold: 0 };
      item.stock -= 1;
      await items.save(item);
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
        const runner = dataSource.createQueryRunner();
        try {
          const sql = `UPDATE ${visitsTable} SET visits = visits + 1 WHERE email = ${placeholder}`;
          // SQLite: the test's writer waits its turn for the write lock however long the race makes it.
          return {
            visited: Number(
              (await untilNotBusy(() => runner.query(sql, [raceKey(args, i)], true))).affected ?? 0,
            ),
          };
        } finally {
          await runner.release();
        }
      }
      return operation(i);
    },
    close: () => dataSource.destroy(),
    // SQLITE_BUSY* statement failures (SQLite only): racesafe retried each one, or it surfaced as an error.
    // callerRetries: whole caller's transactions run again after racesafe's RetryableError.
    // writerBusy: the same for the test's own visits writer, apart.
    // setupUnderFault, faultedSessions: where a timeout scenario's fault was in force (test/race/session-fault.ts).
    counters: (): Record<string, number> => ({
      ...(isSqliteUrl(args.url) ? { busy, writerBusy, callerRetries } : { callerRetries }),
      ...faultCounters?.(),
    }),
  };
}

/** The driver's pool under a data source (PostgreSQL: pg-pool `master`; MariaDB: mysql2's `pool`), for a session fault. */
function driverPool(dataSource: DataSource, poolSize: number): DriverPool {
  type Released = { release(): void };
  const driver = dataSource.driver as unknown as {
    master?: {
      connect(): Promise<Released>;
      on(event: 'connect', listener: (client: unknown) => void): void;
    };
    pool?: {
      getConnection(callback: (error: unknown, connection: Released) => void): void;
      on(event: 'connection', listener: (connection: unknown) => void): void;
    };
  };
  const acquire = (): Promise<Released> =>
    driver.master
      ? driver.master.connect()
      : new Promise((resolve, reject) =>
          driver.pool!.getConnection((error, connection) =>
            error ? reject(toError(error)) : resolve(connection),
          ),
        );
  return {
    async holdAll() {
      const connections = await Promise.all(Array.from({ length: poolSize }, acquire));
      return {
        connections,
        release: () => connections.forEach((connection) => connection.release()),
      };
    },
    // Both pools announce a new connection before handing it to TypeORM, which runs no set-up queries on it.
    onNewConnection: (hook) =>
      driver.master
        ? driver.master.on('connect', (client) => void hook(client))
        : driver.pool!.on('connection', (connection) => void hook(connection)),
  };
}

/** The driver's callback error as an Error (mysql2 passes its own Error subclasses). */
function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(`driver error: ${typeof error}`);
}
