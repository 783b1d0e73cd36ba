import { F } from '@racesafe/core';
import { schemaSql } from '../schema/tables';
import { useLaggingReplica } from '../support/replica';
import type { OpenTestOrm, OperationOptions, Row, TestOrm } from './orm';

/**
 * racesafe beside a read replica that lags: a real streaming hot standby whose replay is paused
 * (test/harness/replica.ts), given to the ORM's own replication configuration (TypeORM
 * `replication: { master, slaves }`, Sequelize `replication: { read, write }`). Rows written on
 * the primary after the pause are invisible to the replica. In each test the ORM's own findOne
 * returns that stale answer, which proves the lag, and racesafe's operations find, lock and
 * change the primary's row: never a second row, never a ConflictError from a read of the replica.
 */
export function describeReplication(open: OpenTestOrm): void {
  const replica = useLaggingReplica(schemaSql);
  let orm: TestOrm | undefined;
  beforeAll(async () => {
    orm = await open(replica.primaryUrl(), { readReplicas: [replica.replicaUrl()] });
  });
  afterAll(() => orm?.close());
  const rowsOnPrimary = (table: string, column: string, value: unknown) =>
    replica.onPrimary(`SELECT * FROM ${table} WHERE ${column} = $1`, [value]);
  /** Pauses the replica, then inserts on the primary; the ORM's own read must not see the row. */
  const insertWhileLagging = async (
    table: 'users' | 'accounts' | 'items',
    sql: string,
    lookup: Row,
  ) => {
    await replica.pause();
    const [{ id }] = await replica.onPrimary(`${sql} RETURNING id`);
    expect(await orm!.findOne(table, lookup)).toBeNull();
    return id;
  };

  const getOrCreatePaths: [string, 'users' | 'accounts', OperationOptions][] = [
    [
      'one statement (WITH ... INSERT ... ON CONFLICT DO NOTHING)',
      'users',
      { defaults: { name: 'would be a second row' } },
    ],
    [
      'SELECT first (a defaults function)',
      'users',
      { defaults: () => ({ name: 'would be a second row' }) },
    ],
    ['with create hooks', 'accounts', { defaults: { name: 'would be a second row' } }],
  ];
  it.each(getOrCreatePaths)(
    'getOrCreate, %s: finds the row only the primary has (created = false, no second row)',
    async (_path, table, options) => {
      const id = await insertWhileLagging(
        table,
        `INSERT INTO ${table} (email, name) VALUES ('lag@example.com', 'primary row')`,
        { email: 'lag@example.com' },
      );
      const [row, created] = await orm!.getOrCreate(table, { email: 'lag@example.com' }, options);
      expect([created, row.id, row.name]).toEqual([false, id, 'primary row']);
      expect(await rowsOnPrimary(table, 'email', 'lag@example.com')).toHaveLength(1);
    },
  );

  it('getOrCreateMany: finds the rows only the primary has and creates the others', async () => {
    const id = await insertWhileLagging(
      'users',
      `INSERT INTO users (email, name) VALUES ('old@x', 'primary row')`,
      { email: 'old@x' },
    );
    const results = await orm!.getOrCreateMany('users', [{ email: 'old@x' }, { email: 'new@x' }], {
      defaults: { name: 'created' },
    });
    expect(results.map(([row, created]) => [row.email, row.name, created])).toEqual([
      ['old@x', 'primary row', false],
      ['new@x', 'created', true],
    ]);
    expect(results[0][0].id).toBe(id);
    expect(await replica.onPrimary(`SELECT email FROM users ORDER BY email`)).toEqual([
      { email: 'new@x' },
      { email: 'old@x' },
    ]);
  });

  const updateOrCreateCases: [string, OperationOptions, Row][] = [
    ['plain values', { defaults: { plan: 'pro' } }, { plan: 'pro', logins: 5 }],
    [
      'F expressions',
      { defaults: { logins: F('logins').plus(1) }, createDefaults: { logins: 1 } },
      { plan: 'free', logins: 6 },
    ],
  ];
  it.each(updateOrCreateCases)(
    "updateOrCreate with %s: locks and updates the primary's row, never creates one or fails on the unique key",
    async (_case, options, expected) => {
      const id = await insertWhileLagging(
        'users',
        `INSERT INTO users (email, name, logins) VALUES ('lag@x', 'primary row', 5)`,
        { email: 'lag@x' },
      );
      const [row, created] = await orm!.updateOrCreate('users', { email: 'lag@x' }, options);
      expect([created, row.id, row.name]).toEqual([false, id, 'primary row']);
      expect(await rowsOnPrimary('users', 'email', 'lag@x')).toMatchObject([
        { id, name: 'primary row', ...expected },
      ]);
    },
  );

  it("updateOrCreate: the row the replica shows is stale; the update starts from the primary's values", async () => {
    await replica.onPrimary(
      `INSERT INTO users (email, name, logins) VALUES ('stale@x', 'old name', 1)`,
    );
    await replica.pause();
    await replica.onPrimary(
      `UPDATE users SET name = 'new name', logins = 7 WHERE email = 'stale@x'`,
    );
    expect(await orm!.findOne('users', { email: 'stale@x' })).toMatchObject({
      name: 'old name',
      logins: 1,
    });
    const [row, created] = await orm!.updateOrCreate(
      'users',
      { email: 'stale@x' },
      { defaults: { logins: F('logins').plus(1) }, createDefaults: { logins: 1 } },
    );
    expect([created, row.name, row.logins]).toEqual([false, 'new name', 8]);
  });

  it("atomicUpdate computes from the primary's values, not the replica's", async () => {
    await replica.onPrimary(`INSERT INTO counters (name, value) VALUES ('hits', 1)`);
    await replica.pause();
    await replica.onPrimary(`UPDATE counters SET value = 10 WHERE name = 'hits'`);
    expect(await orm!.findOne('counters', { name: 'hits' })).toMatchObject({ value: 1 });
    const [row] = (await orm!.atomicUpdate(
      'counters',
      { name: 'hits' },
      { value: F('value').plus(1) },
      { returning: true },
    )) as Row[];
    expect(row.value).toBe(11);
    expect(
      await orm!.atomicUpdate('counters', { name: 'hits' }, { value: F('value').plus(1) }),
    ).toBe(1);
    expect(await rowsOnPrimary('counters', 'name', 'hits')).toMatchObject([{ value: 12 }]);
  });

  it('atomicUpdate with a guard changes a row only the primary has', async () => {
    await insertWhileLagging('items', `INSERT INTO items (sku, stock) VALUES ('lag', 1)`, {
      sku: 'lag',
    });
    expect(
      await orm!.atomicUpdate(
        'items',
        { sku: 'lag', stock: orm!.guard.gte(1) },
        { stock: F('stock').minus(1) },
      ),
    ).toBe(1);
    expect(await rowsOnPrimary('items', 'sku', 'lag')).toMatchObject([{ stock: 0 }]);
  });
}
