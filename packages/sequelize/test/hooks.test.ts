import { QueryTypes, ValidationError } from 'sequelize';
import { F } from '../src';
import { describeOnEachDatabase } from '../../../test/integration/databases';
import { useTestDatabase } from '../../../test/harness/database';
import { hashed, hookCalls } from '../../../test/integration/hooks';
import { describeHooks } from '../../../test/integration/hooks.suite';
import { schemaSql, truncateSql } from '../../../test/schema/tables';
import { type TestModels, testSequelize } from './models';
import { openSequelizeTestOrm } from './test-orm';

describeOnEachDatabase('hooks (Sequelize)', (database) =>
  describeHooks(openSequelizeTestOrm, database),
);

describe('hooks in Sequelize idiom', () => {
  const db = useTestDatabase(schemaSql);
  let m: TestModels;
  beforeAll(() => {
    m = testSequelize(db.url());
  });
  afterAll(() => m?.sequelize.close());
  beforeEach(async () => {
    await m.sequelize.query(truncateSql);
    hookCalls.length = 0;
  });
  const stored = async (email: string) =>
    (
      await m.sequelize.query<Record<string, unknown>>(
        `SELECT password, name, slug, logins, note FROM accounts WHERE email = $1`,
        { bind: [email], type: QueryTypes.SELECT },
      )
    )[0];

  /** Adds probes for the hooks the Account model does not define, records every hook in order, removes them after. */
  async function withProbes<T>(
    work: (seen: { hook: string; transaction: unknown }[]) => Promise<T>,
  ): Promise<T> {
    const seen: { hook: string; transaction: unknown }[] = [];
    const names = [
      'beforeValidate',
      'afterValidate',
      'beforeSave',
      'afterSave',
      'beforeCreate',
      'afterCreate',
    ] as const;
    for (const name of names)
      m.Account.addHook(
        name as never,
        'probe',
        ((_: unknown, options: { transaction?: unknown }) =>
          void seen.push({ hook: name, transaction: options.transaction })) as never,
      );
    try {
      return await work(seen);
    } finally {
      for (const name of names) m.Account.removeHook(name, 'probe');
    }
  }

  it('runs the hooks in the order Model.create runs them, and stores the same row as findOrCreate', async () => {
    const input = { defaults: { password: 'secret', name: 'Same Input' } as never };
    const viaCreate = await withProbes(async (seen) => {
      await m.Account.findOrCreate({ where: { email: 'find@x.io' }, ...input });
      return seen.map((s) => s.hook);
    });
    const viaRacesafe = await withProbes(async (seen) => {
      await m.Account.getOrCreate({ where: { email: 'get@x.io' }, ...input });
      return seen.map((s) => s.hook);
    });
    expect(viaRacesafe).toEqual(viaCreate);
    // beforeSave / afterSave probes are stored among the create hooks, in the order they were added.
    expect(viaRacesafe).toEqual([
      'beforeValidate',
      'afterValidate',
      'beforeSave',
      'beforeCreate',
      'afterSave',
      'afterCreate',
    ]);
    expect(await stored('get@x.io')).toEqual(await stored('find@x.io'));
    expect((await stored('get@x.io')).password).toBe(hashed('secret'));
  });

  it("gives every hook the transaction the statement runs in: the caller's", async () => {
    const seen = await withProbes(async (probes) => {
      await m.sequelize.transaction(async (transaction) => {
        await m.Account.getOrCreate({ where: { email: 'tx@x.io' }, transaction });
        expect(probes.every((p) => p.transaction === transaction)).toBe(true);
      });
      return probes;
    });
    expect(seen.length).toBe(6);
  });

  it("refuses what the validators refuse with Sequelize's own ValidationError, as findOrCreate does, with nothing written", async () => {
    const viaFindOrCreate = await m.Account.findOrCreate({
      where: { email: 'not-an-email' },
    }).catch((e: unknown) => e);
    const viaRacesafe = await m.Account.getOrCreate({ where: { email: 'not-an-email' } }).catch(
      (e: unknown) => e,
    );
    expect(viaFindOrCreate).toBeInstanceOf(ValidationError);
    expect(viaRacesafe).toBeInstanceOf(ValidationError);
    expect((viaRacesafe as ValidationError).errors.map((e) => [e.path, e.validatorKey])).toEqual([
      ['email', 'isEmail'],
    ]);
    expect(await m.Account.count()).toBe(0);
  });

  it('stores what the validators would refuse with validate: false, as Model.create does', async () => {
    const [account] = await m.Account.getOrCreate({
      where: { email: 'not-an-email' },
      validate: false,
    });
    expect(account.email).toBe('not-an-email');
  });

  it('validates the changed attributes on the update path, leaving the row unchanged on failure', async () => {
    await m.Account.getOrCreate({ where: { email: 'ok@x.io' }, defaults: { username: 'u1' } });
    const error = await m.Account.updateOrCreate({
      where: { username: 'u1' },
      defaults: { email: 'broken' },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(await m.Account.count({ where: { email: 'ok@x.io' } })).toBe(1);
  });

  it("runs Model.update's bulk hooks and validation around atomicUpdate, not the per-row hooks", async () => {
    await m.Account.getOrCreate({ where: { email: 'bulk@x.io' } });
    hookCalls.length = 0;
    const changed = await m.Account.atomicUpdate(
      { logins: F('logins').plus(2) },
      { where: { email: 'bulk@x.io' } },
    );
    expect(changed).toBe(1);
    expect(hookCalls.map((c) => c.event)).toEqual(['beforeBulkUpdate', 'afterBulkUpdate']);
    hookCalls.length = 0;
    await m.Account.atomicUpdate(
      { logins: F('logins').plus(1) },
      { where: { email: 'bulk@x.io' }, hooks: false },
    );
    expect(hookCalls).toEqual([]);
    expect((await stored('bulk@x.io')).logins).toBe(3);
    await expect(
      m.Account.atomicUpdate({ email: 'broken' }, { where: { email: 'bulk@x.io' } }),
    ).rejects.toBeInstanceOf(ValidationError);
  });

  it('lets beforeBulkUpdate change the values, as Model.update does', async () => {
    await m.Account.getOrCreate({ where: { email: 'change@x.io' } });
    m.Account.addHook('beforeBulkUpdate', 'note', (options) => {
      (options as unknown as { attributes: Record<string, unknown> }).attributes.note =
        'set by beforeBulkUpdate';
    });
    try {
      await m.Account.atomicUpdate(
        { logins: F('logins').plus(1) },
        { where: { email: 'change@x.io' } },
      );
    } finally {
      m.Account.removeHook('beforeBulkUpdate', 'note');
    }
    expect(await stored('change@x.io')).toMatchObject({
      logins: 1,
      note: 'set by beforeBulkUpdate',
    });
  });

  it('skips soft-deleted rows of a paranoid model in atomicUpdate, as Model.update does', async () => {
    await m.sequelize.query(`INSERT INTO posts (slug, deleted_at) VALUES ('gone', now())`);
    expect(
      await m.Post.atomicUpdate({ views: F('views').plus(1) }, { where: { slug: 'gone' } }),
    ).toBe(0);
    const [updated] = await m.Post.update({ views: 5 }, { where: { slug: 'gone' } });
    expect(updated).toBe(0);
  });

  it('lets a hook call racesafe on the same transaction while concurrent calls share it (issue 8)', async () => {
    m.Account.addHook('afterCreate', 'nested', async (account, options) => {
      await m.Counter.getOrCreate({
        where: { name: `signup ${account.get('email') as string}` },
        transaction: options.transaction,
      });
    });
    try {
      await m.sequelize.transaction((transaction) =>
        Promise.all(
          ['a@x.io', 'b@x.io', 'c@x.io'].map((email) =>
            m.Account.getOrCreate({ where: { email }, transaction }),
          ),
        ),
      );
    } finally {
      m.Account.removeHook('afterCreate', 'nested');
    }
    expect(await m.Counter.count()).toBe(3);
  });
});
