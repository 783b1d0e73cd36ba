import { type DataSource, type InsertEvent, MoreThanOrEqual, type UpdateEvent } from 'typeorm';
import { F, raceSafe } from '../src';
import { describeOnEachDatabase } from '../../../test/integration/databases';
import { useTestDatabase } from '../../../test/harness/database';
import { hookCalls } from '../../../test/integration/hooks';
import { describeHooks } from '../../../test/integration/hooks.suite';
import { schemaSql, truncateSql } from '../../../test/schema/tables';
import { Account, AccountAudit, Counter, Post, testDataSource } from './entities';
import { openTypeormTestOrm } from './test-orm';

describeOnEachDatabase('hooks (TypeORM)', (database) =>
  describeHooks(openTypeormTestOrm, database),
);

describe('listeners and subscribers in TypeORM idiom', () => {
  const db = useTestDatabase(schemaSql);
  let dataSource: DataSource;
  beforeAll(async () => {
    dataSource = await testDataSource(db.url()).initialize();
  });
  afterAll(() => dataSource?.destroy());
  beforeEach(async () => {
    await dataSource.query(truncateSql);
    hookCalls.length = 0;
    AccountAudit.events.length = 0;
  });
  const accounts = () => raceSafe(dataSource.getRepository(Account));
  const stored = async (email: string) =>
    (
      await dataSource.query(
        `SELECT password, name, slug, logins, note FROM accounts WHERE email = $1`,
        [email],
      )
    )[0];
  const names = () => AccountAudit.events.map((e) => e.name);

  it('stores the same row and runs the same listeners and subscribers as save()', async () => {
    const repo = dataSource.getRepository(Account);
    await repo.save(repo.create({ email: 'save@x.io', password: 'secret', name: 'Same Input' }));
    const viaSave = [...hookCalls.map((c) => c.event), ...names()];
    hookCalls.length = 0;
    AccountAudit.events.length = 0;
    await accounts().getOrCreate(
      { email: 'get@x.io' },
      { defaults: { password: 'secret', name: 'Same Input' } },
    );
    expect([...hookCalls.map((c) => c.event), ...names()]).toEqual(viaSave);
    expect(await stored('get@x.io')).toEqual(await stored('save@x.io'));
  });

  it('hands subscribers the event fields save() fills: entity, metadata, manager and queryRunner of the transaction', async () => {
    await dataSource.transaction(async (manager) => {
      const [account] = await manager
        .withRepository(accounts())
        .getOrCreate({ email: 'ev@x.io' }, { defaults: { name: 'Ev' } });
      const [before, after] = AccountAudit.events;
      expect(before.event.entity).toBeInstanceOf(Account);
      expect(after.event.entity).toBe(account);
      expect(before.event.metadata.name).toBe('Account');
      expect(before.event.queryRunner).toBe(manager.queryRunner);
      expect(before.event.manager).toBe(manager.queryRunner!.manager);
    });
  });

  it('gives beforeUpdate / afterUpdate the row as locked and the updated columns, listener changes included', async () => {
    await accounts().getOrCreate({ email: 'up@x.io' }, { defaults: { name: 'Old' } });
    AccountAudit.events.length = 0;
    const [account] = await accounts().updateOrCreate(
      { email: 'up@x.io' },
      { defaults: { name: 'New', logins: F('logins').plus(1) }, createDefaults: {} },
    );
    const [before, after] = AccountAudit.events as { name: string; event: UpdateEvent<Account> }[];
    expect(names()).toEqual(['beforeUpdate', 'afterUpdate']);
    expect(before.event.databaseEntity).toMatchObject({ name: 'Old', logins: 0 });
    expect(after.event.entity).toBe(account);
    expect(after.event.updatedColumns.map((c) => c.propertyName).sort()).toEqual([
      'logins',
      'name',
      'note',
    ]);
    expect(account).toMatchObject({ name: 'New', logins: 1, note: 'updated by hook' });
  });

  it('runs no listener or subscriber with listeners: false, as save({ listeners: false })', async () => {
    const [account] = await accounts().getOrCreate(
      { email: 'quiet@x.io' },
      { defaults: { password: 'secret' }, listeners: false },
    );
    expect(account.password).toBe('secret');
    expect([...hookCalls, ...AccountAudit.events]).toEqual([]);
  });

  it("broadcasts subscribers' beforeUpdate / afterUpdate around atomicUpdate as repository.update() does, with the values given", async () => {
    await accounts().getOrCreate({ email: 'bulk@x.io' });
    AccountAudit.events.length = 0;
    const increment = { logins: F('logins').plus(1) };
    await accounts().atomicUpdate({ email: 'bulk@x.io' }, increment);
    await accounts().atomicUpdate({ email: 'bulk@x.io', logins: MoreThanOrEqual(1) }, increment);
    expect(names()).toEqual(['beforeUpdate', 'afterUpdate', 'beforeUpdate', 'afterUpdate']);
    expect(AccountAudit.events.every((e) => e.event.entity === increment)).toBe(true);
    AccountAudit.events.length = 0;
    await accounts().atomicUpdate({ email: 'bulk@x.io' }, increment, { listeners: false });
    await dataSource.getRepository(Account).update({ email: 'bulk@x.io' }, { name: 'by update()' });
    expect(names()).toEqual(['beforeUpdate', 'afterUpdate']); // TypeORM's own update() broadcasts the same events
    expect((await stored('bulk@x.io')).logins).toBe(3);
  });

  it('updates soft-deleted rows in atomicUpdate, as repository.update() does', async () => {
    await dataSource.query(`INSERT INTO posts (slug, deleted_at) VALUES ('gone', now())`);
    const posts = raceSafe(dataSource.getRepository(Post));
    expect(await posts.atomicUpdate({ slug: 'gone' }, { views: F('views').plus(1) })).toBe(1);
    expect(
      (await dataSource.getRepository(Post).update({ slug: 'gone' }, { title: 'still updated' }))
        .affected,
    ).toBe(1);
  });

  it('lets a subscriber call racesafe on the same transaction while concurrent calls share it (issue 8)', async () => {
    const subscriber = {
      listenTo: () => Account,
      afterInsert: (event: InsertEvent<Account>) =>
        raceSafe(event.manager.getRepository(Counter)).getOrCreate({
          name: `signup ${event.entity.email}`,
        }),
    };
    dataSource.subscribers.push(subscriber);
    try {
      await dataSource.transaction((manager) =>
        Promise.all(
          ['a@x.io', 'b@x.io', 'c@x.io'].map((email) =>
            manager.withRepository(accounts()).getOrCreate({ email }),
          ),
        ),
      );
    } finally {
      dataSource.subscribers.splice(dataSource.subscribers.indexOf(subscriber), 1);
    }
    expect(await dataSource.getRepository(Counter).count()).toBe(3);
  });
});
