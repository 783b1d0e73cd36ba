import { F, InvalidFieldError } from '@racesafe/core';
import { type SuiteDatabase, postgres } from './databases';
import { HookRefusal, hashed, hookCalls } from './hooks';
import { useTestOrm } from './lifecycle';
import type { OpenTestOrm, Row } from './orm';

/**
 * Rows written the way the ORM writes them (issue 9): the Account model's hooks (Sequelize
 * hooks, TypeORM entity listeners and a subscriber; test/integration/hooks.ts) hash the
 * password and derive a slug before insert, note an update, and audit every write in the
 * transaction they are given (Sequelize `options.transaction`, TypeORM `event.manager`).
 */
export function describeHooks(open: OpenTestOrm, database: SuiteDatabase = postgres): void {
  const { db, orm } = useTestOrm(open, undefined, database);
  beforeEach(() => {
    hookCalls.length = 0;
  });
  const events = () => hookCalls.map((call) => call.event);
  const audit = async () =>
    (await orm().query(`SELECT event FROM audit ORDER BY id`)).map((r: Row) => r.event);
  const account = async (email: string) =>
    (await orm().query(`SELECT * FROM accounts WHERE email = '${email}'`))[0];
  const count = async (sql: string) => Number((await orm().query(sql))[0].n);

  it('runs the before-create hooks on the miss path and stores the values as they left them', async () => {
    const [row, created] = await orm().getOrCreate(
      'accounts',
      { email: 'ann@x.io' },
      { defaults: { password: 'secret', name: 'Ann Lee' } },
    );
    expect(created).toBe(true);
    expect(row).toMatchObject({ email: 'ann@x.io', password: hashed('secret'), slug: 'ann-lee' });
    expect(await account('ann@x.io')).toMatchObject({
      id: row.id,
      password: hashed('secret'),
      slug: 'ann-lee',
    });
    expect(events()).toEqual(['beforeCreate', 'afterCreate']);
    expect(hookCalls[1]).toMatchObject({ id: row.id }); // the after-hook sees the stored row
    expect(await audit()).toEqual(['beforeCreate', 'afterCreate']);
  });

  it('runs no create hook when the row is found', async () => {
    await orm().getOrCreate(
      'accounts',
      { email: 'found@x.io' },
      { defaults: { password: 'secret' } },
    );
    hookCalls.length = 0;
    const [row, created] = await orm().getOrCreate(
      'accounts',
      { email: 'found@x.io' },
      { defaults: { password: 'other' } },
    );
    expect([created, row.password]).toEqual([false, hashed('secret')]);
    expect(events()).toEqual([]);
  });

  it('skips every hook with hooks: false, as the ORM does', async () => {
    const [row] = await orm().getOrCreate(
      'accounts',
      { email: 'plain@x.io' },
      { defaults: { password: 'secret' }, hooks: false },
    );
    expect(row.password).toBe('secret');
    expect(events()).toEqual([]);
    expect(await audit()).toEqual([]);
  });

  it("passes a hook's error through unchanged, with nothing written", async () => {
    const error = await orm()
      .getOrCreate(
        'accounts',
        { email: 'no@x.io' },
        { defaults: { name: 'throw in beforeCreate' } },
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HookRefusal);
    expect(await count(`SELECT count(*) AS n FROM accounts`)).toBe(0);
    expect(await audit()).toEqual([]);
  });

  it('refuses a hook that changes a lookup property, naming it, with nothing written', async () => {
    const error = await orm()
      .getOrCreate('accounts', { email: 'Mixed@X.io' }, { defaults: { name: 'lowercase email' } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidFieldError);
    expect((error as InvalidFieldError).fields).toEqual(['email']);
    expect((error as Error).message).toMatch(/"Mixed@X.io" became "mixed@x.io"/);
    expect(await count(`SELECT count(*) AS n FROM accounts`)).toBe(0);
    expect(await audit()).toEqual([]);
  });

  it("joins the caller's transaction: the hooks' writes commit with it, and a failing hook leaves it usable", async () => {
    await orm().transaction(async (tx) => {
      await orm().insert('counters', { name: 'kept' }, tx);
      const error = await orm()
        .getOrCreate(
          'accounts',
          { email: 'bad@x.io' },
          { defaults: { name: 'throw in beforeCreate' } },
          tx,
        )
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HookRefusal);
      await orm().getOrCreate(
        'accounts',
        { email: 'good@x.io' },
        { defaults: { password: 'pw' } },
        tx,
      );
      // Not committed yet: the audit rows are in tx. Seen from a session of its own: this instance's may be tx's (TypeORM on SQLite: one connection).
      const outside = await database.connect(db.url());
      try {
        expect(await outside.query(`SELECT event FROM audit`)).toEqual([]);
      } finally {
        await outside.end();
      }
    });
    expect(await audit()).toEqual(['beforeCreate', 'afterCreate']);
    expect((await account('good@x.io')).password).toBe(hashed('pw'));
    expect(await count(`SELECT count(*) AS n FROM counters WHERE name = 'kept'`)).toBe(1);
  });

  it('runs the after-create hooks only for the caller whose INSERT created the row, and rolls back the losers', async () => {
    const results = await Promise.all(
      Array.from({ length: 12 }, () =>
        orm().getOrCreate(
          'accounts',
          { email: 'race@x.io' },
          { defaults: { password: 'secret', name: 'Race' } },
        ),
      ),
    );
    expect(new Set(results.map(([row]) => row.id)).size).toBe(1);
    expect(results.filter(([, created]) => created)).toHaveLength(1);
    expect(results.every(([row]) => row.password === hashed('secret'))).toBe(true);
    expect(events().filter((e) => e === 'afterCreate')).toHaveLength(1);
    // Every loser that got as far as its beforeCreate had its audit row rolled back with its INSERT.
    expect(await audit()).toEqual(['beforeCreate', 'afterCreate']);
    expect(await count(`SELECT count(*) AS n FROM accounts`)).toBe(1);
  });

  it('runs the before-update hooks on the update path, writes what they changed, then the after-update hooks', async () => {
    await orm().getOrCreate('accounts', { email: 'upd@x.io' }, { defaults: { name: 'Old' } });
    hookCalls.length = 0;
    const [row, created] = await orm().updateOrCreate(
      'accounts',
      { email: 'upd@x.io' },
      {
        defaults: { name: 'New', logins: F('logins').plus(1) },
        createDefaults: { name: 'New', logins: 1 },
      },
    );
    expect(created).toBe(false);
    expect(events()).toEqual(['beforeUpdate', 'afterUpdate']);
    expect(await account('upd@x.io')).toMatchObject({
      name: 'New',
      logins: 1,
      note: 'updated by hook',
    });
    expect(row).toMatchObject({ name: 'New', logins: 1, note: 'updated by hook' });
    expect(await audit()).toEqual(['beforeCreate', 'afterCreate', 'beforeUpdate', 'afterUpdate']);
  });

  it('runs the create hooks on the create path of updateOrCreate', async () => {
    const [row, created] = await orm().updateOrCreate(
      'accounts',
      { email: 'new@x.io' },
      { defaults: { password: 'pw', name: 'Neu' } },
    );
    expect([created, row.password, row.slug]).toEqual([true, hashed('pw'), 'neu']);
    expect(events()).toEqual(['beforeCreate', 'afterCreate']);
  });

  it('leaves the row unchanged when a before-update hook throws, and the caller transaction usable', async () => {
    await orm().getOrCreate('accounts', { email: 'keep@x.io' }, { defaults: { name: 'Keep' } });
    await orm().transaction(async (tx) => {
      const error = await orm()
        .updateOrCreate(
          'accounts',
          { email: 'keep@x.io' },
          { defaults: { name: 'throw in beforeUpdate' } },
          tx,
        )
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HookRefusal);
      await orm().insert('counters', { name: 'after' }, tx);
    });
    expect((await account('keep@x.io')).name).toBe('Keep');
    expect(await count(`SELECT count(*) AS n FROM counters WHERE name = 'after'`)).toBe(1);
  });
}
