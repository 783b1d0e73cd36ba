import { F } from '@racesafe/core';
import { ddlIn } from '../support/ddl';
import { type SuiteDatabase, postgres } from './databases';
import { useTestOrm } from './lifecycle';
import type { OpenTestOrm, TestOrm } from './orm';

/** Runs `call` and swallows its error: the error paths are recorded too, only the statements are asserted. */
const settle = (call: Promise<unknown>) =>
  call.then(
    () => 'ok',
    () => 'failed',
  );

/**
 * Issue 14, item 3: racesafe sends no DDL and no CREATE FUNCTION in any operation, on the
 * success paths and the error paths, outside and inside the caller's transaction. Every
 * statement the ORM sends is recorded (its logging) while each operation runs; the ORM's own
 * findOrCreate, which does send DDL (Sequelize on PostgreSQL), shows the check can fail
 * (packages/sequelize/test/no-ddl.test.ts).
 */
export function describeNoDdl(open: OpenTestOrm, database: SuiteDatabase = postgres): void {
  const { log, orm } = useTestOrm(open, seed, database);

  /** Each operation's statements, checked on their own so that a failure names the operation. */
  async function expectNoDdl(
    name: string,
    operation: (o: TestOrm) => Promise<unknown>,
    { sends = true } = {},
  ): Promise<void> {
    log.clear();
    await operation(orm());
    if (sends) expect({ name, sent: log.statements.length > 0 }).toEqual({ name, sent: true });
    expect({ name, ddl: ddlIn(log.statements) }).toEqual({ name, ddl: [] });
  }

  it('sends none from getOrCreate and getOrCreateMany, hit, miss, in a transaction, or failing', async () => {
    await expectNoDdl('getOrCreate miss', (o) =>
      o.getOrCreate('users', { email: 'new@x' }, { defaults: { name: 'n' } }),
    );
    await expectNoDdl('getOrCreate hit', (o) => o.getOrCreate('users', { email: 'new@x' }));
    await expectNoDdl('getOrCreate in a transaction', (o) =>
      o.transaction((tx) => o.getOrCreate('users', { email: 'tx@x' }, {}, tx)),
    );
    await expectNoDdl('getOrCreate with advisoryLock', (o) =>
      settle(o.getOrCreate('naive_users', { email: 'lock@x' }, { advisoryLock: true })),
    );
    await expectNoDdl('getOrCreate conflict on another key', (o) =>
      settle(o.getOrCreate('users', { email: 'other@x' }, { defaults: { username: 'taken' } })),
    );
    await expectNoDdl('getOrCreate conflict in a transaction', (o) =>
      settle(
        o.transaction((tx) =>
          o.getOrCreate('users', { email: 'other2@x' }, { defaults: { username: 'taken' } }, tx),
        ),
      ),
    );
    // The table's unique keys were read by the calls above: refused before any statement.
    await expectNoDdl(
      'getOrCreate without a unique key',
      (o) => settle(o.getOrCreate('users', { name: 'no key' })),
      { sends: false },
    );
    await expectNoDdl('getOrCreateMany', (o) =>
      o.getOrCreateMany('users', [{ email: 'new@x' }, { email: 'many@x' }]),
    );
    await expectNoDdl('getOrCreateMany in a transaction', (o) =>
      o.transaction((tx) =>
        o.getOrCreateMany('users', [{ email: 'm1@x' }, { email: 'm2@x' }], {}, tx),
      ),
    );
  });

  it('sends none from updateOrCreate, hit, miss, nowait, lockTimeoutMs, in a transaction, or failing', async () => {
    const options = { defaults: { logins: F('logins').plus(1) }, createDefaults: { logins: 1 } };
    await expectNoDdl('updateOrCreate miss', (o) =>
      o.updateOrCreate('users', { email: 'u@x' }, options),
    );
    await expectNoDdl('updateOrCreate hit', (o) =>
      o.updateOrCreate('users', { email: 'u@x' }, options),
    );
    await expectNoDdl('updateOrCreate nowait', (o) =>
      settle(o.updateOrCreate('users', { email: 'u@x' }, { ...options, nowait: true })),
    );
    await expectNoDdl('updateOrCreate lockTimeoutMs', (o) =>
      settle(o.updateOrCreate('users', { email: 'u@x' }, { ...options, lockTimeoutMs: 500 })),
    );
    await expectNoDdl('updateOrCreate in a transaction', (o) =>
      o.transaction((tx) => o.updateOrCreate('users', { email: 'u2@x' }, options, tx)),
    );
    await expectNoDdl('updateOrCreate conflict on another key', (o) =>
      settle(o.updateOrCreate('users', { email: 'u@x' }, { defaults: { username: 'taken' } })),
    );
  });

  it('sends none from atomicUpdate, counted, returning, guarded, in a transaction, or failing', async () => {
    await expectNoDdl('atomicUpdate', (o) =>
      o.atomicUpdate('counters', { name: 'c' }, { value: F('value').plus(1) }),
    );
    await expectNoDdl('atomicUpdate returning', (o) =>
      o.atomicUpdate('counters', { name: 'c' }, { value: F('value').plus(1) }, { returning: true }),
    );
    await expectNoDdl('atomicUpdate guarded', (o) =>
      o.atomicUpdate(
        'items',
        { sku: 'sku', stock: o.guard.gte(1) },
        { stock: F('stock').minus(1) },
      ),
    );
    await expectNoDdl('atomicUpdate in a transaction', (o) =>
      o.transaction((tx) =>
        o.atomicUpdate(
          'counters',
          { name: 'c' },
          { value: F('value').plus(1) },
          { returning: true },
          tx,
        ),
      ),
    );
    await expectNoDdl('atomicUpdate division by zero', (o) =>
      settle(o.atomicUpdate('counters', { name: 'c' }, { value: F('value').div(0) })),
    );
  });
}

/** A taken username, a counter and an item, so that every path above has a row to find, conflict with or change. */
async function seed(o: TestOrm): Promise<void> {
  await o.getOrCreate('users', { email: 'taken@x' }, { defaults: { username: 'taken' } });
  await o.getOrCreate('counters', { name: 'c' });
  await o.query(`INSERT INTO items (sku, stock) VALUES ('sku', 5)`);
}
