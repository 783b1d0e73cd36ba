import { createNamespace } from 'cls-hooked';
import { Op, Sequelize, Transaction } from 'sequelize';
import { useTestDatabase } from '../../../test/harness/database';
import { schemaSql, truncateSql } from '../../../test/schema/tables';
import { connect, waitUntilBlocked } from '../../../test/support/locks';
import { StatementLog } from '../../../test/support/statement-log';
import {
  ConflictError,
  InvalidFieldError,
  MultipleRowsError,
  RetryableError,
  UniqueLookupRequiredError,
  raceSafe,
} from '../src';
import { type TestModels, testSequelize } from './models';

const db = useTestDatabase(schemaSql);
const log = new StatementLog();
let m: TestModels;

beforeAll(() => {
  m = testSequelize(db.url(), { onQuery: log.record });
});
afterAll(() => m?.sequelize.close());
beforeEach(async () => {
  await m.sequelize.query(truncateSql);
  log.clear();
});

describe('getOrCreate (Sequelize)', () => {
  it('creates the row once, then finds it', async () => {
    const [created, wasCreated] = await m.User.getOrCreate({ where: { email: 'a@x' }, defaults: { name: 'Ann' } });
    const [found, wasCreatedAgain] = await m.User.getOrCreate({ where: { email: 'a@x' }, defaults: { name: 'Other' } });
    expect([wasCreated, wasCreatedAgain]).toEqual([true, false]);
    expect(created).toBeInstanceOf(m.User);
    expect(created.isNewRecord).toBe(false);
    expect(found.get({ plain: true })).toMatchObject({ id: created.id, email: 'a@x', name: 'Ann', plan: 'free' });
    expect(found.createdAt).toBeInstanceOf(Date);
  });

  it('calls a defaults function only when it creates a row', async () => {
    const defaults = jest.fn(() => ({ name: 'Bea' }));
    await m.User.getOrCreate({ where: { email: 'b@x' }, defaults });
    await m.User.getOrCreate({ where: { email: 'b@x' }, defaults });
    expect(defaults).toHaveBeenCalledTimes(1);
  });

  it('finds in one round trip and creates in two outside a transaction', async () => {
    await m.User.getOrCreate({ where: { email: 'warm@x' } }); // reads the catalog once
    log.clear();
    await m.User.getOrCreate({ where: { email: 'warm@x' } });
    expect(log.verbs()).toEqual(['SELECT']);
    log.clear();
    await m.User.getOrCreate({ where: { email: 'new@x' } });
    expect(log.verbs()).toEqual(['SELECT', 'INSERT']);
  });

  it('uses a savepoint inside the caller transaction (transaction option)', async () => {
    await m.User.getOrCreate({ where: { email: 'warm@x' } });
    log.clear();
    await m.sequelize.transaction(async (transaction) => {
      await m.User.getOrCreate({ where: { email: 'tx@x' }, transaction });
    });
    expect(log.verbs()).toEqual(['START', 'SELECT', 'SAVEPOINT', 'INSERT', 'RELEASE', 'COMMIT']);
  });

  it('works on a plain model through raceSafe(Model)', async () => {
    const Naive = raceSafe(m.NaiveUser);
    // No unique constraint on naive_users: the explicit advisory-lock opt-out.
    const [user, created] = await Naive.getOrCreate({ where: { email: 'c@x' }, defaults: { plan: 'trial' }, advisoryLock: true });
    expect(created).toBe(true);
    expect(user.plan).toBe('trial');
  });

  it('returns the winner row to a loser inside a transaction, and the caller\'s earlier writes commit', async () => {
    const winner = await connect(db.url());
    try {
      await winner.query('BEGIN');
      const { rows } = await winner.query<{ id: number }>(`INSERT INTO users (email, name) VALUES ('race@x', 'winner') RETURNING id`);
      const loser = m.sequelize.transaction(async (transaction) => {
        await m.Counter.create({ name: 'written-before' }, { transaction });
        return m.User.getOrCreate({ where: { email: 'race@x' }, defaults: { name: 'loser' }, transaction });
      });
      // The loser's INSERT waits on the winner's uncommitted unique-index entry (TRAPS T2).
      await waitUntilBlocked(db.url(), 'INSERT INTO "users"');
      await winner.query('COMMIT');
      const [row, created] = await loser;
      expect(created).toBe(false);
      expect(row.get({ plain: true })).toMatchObject({ id: rows[0].id, name: 'winner' });
    } finally {
      await winner.end();
    }
    const [check] = await m.sequelize.query(`SELECT (SELECT count(*)::int FROM users) AS users, (SELECT count(*)::int FROM counters WHERE name = 'written-before') AS earlier`);
    expect(check[0]).toEqual({ users: 1, earlier: 1 });
  });

  it('raises ConflictError naming another constraint and leaves the caller transaction usable', async () => {
    await m.User.getOrCreate({ where: { email: 'owner@x' }, defaults: { username: 'taken' } });
    let error: unknown;
    await m.sequelize.transaction(async (transaction) => {
      await m.Counter.create({ name: 'kept' }, { transaction });
      error = await m.User.getOrCreate({ where: { email: 'thief@x' }, defaults: { username: 'taken' }, transaction }).catch((e: unknown) => e);
      await m.Counter.create({ name: 'after' }, { transaction });
    });
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({ constraint: 'users_username_key', code: '23505' });
    expect((error as Error).cause).toBeDefined();
    const names = await m.Counter.findAll({ order: [['name', 'ASC']] });
    expect(names.map((c) => c.name)).toEqual(['after', 'kept']);
    expect(await m.User.count({ where: { email: 'thief@x' } })).toBe(0);
  });

  it('raises ConflictError outside a transaction too', async () => {
    await m.User.getOrCreate({ where: { email: 'owner@x' }, defaults: { username: 'taken' } });
    await expect(m.User.getOrCreate({ where: { email: 'thief@x' }, defaults: { username: 'taken' } })).rejects.toMatchObject({
      name: 'ConflictError',
      constraint: 'users_username_key',
    });
  });

  it('requires a unique constraint on exactly the lookup columns', async () => {
    await expect(m.User.getOrCreate({ where: { name: 'no unique on name' } })).rejects.toBeInstanceOf(UniqueLookupRequiredError);
    await expect(m.User.getOrCreate({ where: { email: 'e@x', name: 'superset' } })).rejects.toBeInstanceOf(UniqueLookupRequiredError);
    await expect(raceSafe(m.NaiveUser).getOrCreate({ where: { email: 'n@x' } })).rejects.toMatchObject({
      name: 'UniqueLookupRequiredError',
      fields: ['email'],
    });
    expect((await m.User.count()) + (await m.NaiveUser.count())).toBe(0);
  });

  it('serialises on an advisory lock when opted out of the unique constraint, and reports duplicates', async () => {
    const Naive = raceSafe(m.NaiveUser);
    const [first, created] = await Naive.getOrCreate({ where: { email: 'adv@x' }, advisoryLock: true });
    const [again, createdAgain] = await Naive.getOrCreate({ where: { email: 'adv@x' }, advisoryLock: true });
    expect([created, createdAgain, again.id]).toEqual([true, false, first.id]);
    await m.sequelize.query(`INSERT INTO naive_users (email) VALUES ('dup@x'), ('dup@x')`);
    await expect(Naive.getOrCreate({ where: { email: 'dup@x' }, advisoryLock: true })).rejects.toBeInstanceOf(MultipleRowsError);
  });

  it('rejects unknown properties, all at once, before sending any statement', async () => {
    // A fresh Sequelize instance: not even the catalog query may go out.
    const fresh = new StatementLog();
    const other = testSequelize(db.url(), { onQuery: fresh.record });
    try {
      const error = await other.User.getOrCreate({ where: { email: 'x@x', created_at: new Date() } as never, defaults: { nmae: 'typo', plna: 'x' } as never }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(InvalidFieldError);
      expect((error as InvalidFieldError).fields).toEqual(['created_at', 'nmae', 'plna']);
      expect((error as Error).message).toMatch(/"created_at".*"nmae".*"plna"/);
      expect(fresh.statements).toEqual([]);
    } finally {
      await other.sequelize.close();
    }
  });

  it.each([
    ['undefined', { email: undefined }],
    ['an operator', { email: { [Op.gt]: 'a' } }],
    ['empty', {}],
  ])('rejects a lookup that is %s before any statement', async (_label, where) => {
    await expect(m.User.getOrCreate({ where: where as never })).rejects.toBeInstanceOf(InvalidFieldError);
    expect(log.statements).toEqual([]);
  });

  it('looks up NULL only where the unique key treats NULLs as equal', async () => {
    const [first] = await m.Membership.getOrCreate({ where: { org: 'acme', member: null } });
    const [second, created] = await m.Membership.getOrCreate({ where: { org: 'acme', member: null } });
    expect([second.id, created]).toEqual([first.id, false]);
    await expect(m.User.getOrCreate({ where: { username: null } })).rejects.toBeInstanceOf(InvalidFieldError);
  });

  it('raises RetryableError when the winner is invisible to a REPEATABLE READ snapshot', async () => {
    await m.User.getOrCreate({ where: { email: 'warm@x' } });
    const other = await connect(db.url());
    try {
      const attempt = m.sequelize.transaction({ isolationLevel: Transaction.ISOLATION_LEVELS.REPEATABLE_READ }, async (transaction) => {
        await m.sequelize.query('SELECT count(*) FROM users', { transaction }); // takes the snapshot
        await other.query(`INSERT INTO users (email) VALUES ('rr@x')`);
        return m.User.getOrCreate({ where: { email: 'rr@x' }, transaction });
      });
      await expect(attempt).rejects.toBeInstanceOf(RetryableError);
    } finally {
      await other.end();
    }
  });

  it('works with a pool of one connection, nested in a transaction too', async () => {
    const single = testSequelize(db.url(), { poolSize: 1 });
    try {
      await single.User.getOrCreate({ where: { email: 'p1@x' } });
      const [row, created] = await single.sequelize.transaction(async (transaction) => {
        await single.User.getOrCreate({ where: { email: 'p2@x' }, transaction });
        return single.User.getOrCreate({ where: { email: 'p2@x' }, transaction });
      });
      expect([row.email, created]).toEqual(['p2@x', false]);
    } finally {
      await single.sequelize.close();
    }
  });

  it('joins the CLS transaction when Sequelize.useCLS is on', async () => {
    const namespace = createNamespace('racesafe-test');
    Sequelize.useCLS(namespace);
    const withCls = testSequelize(db.url());
    try {
      await withCls.User.getOrCreate({ where: { email: 'warm@x' } });
      await withCls.sequelize
        .transaction(async () => {
          await withCls.User.getOrCreate({ where: { email: 'cls@x' } }); // no transaction option
          throw new Error('roll back');
        })
        .catch(() => undefined);
      // Rolled back with the CLS transaction: it really ran inside it.
      expect(await withCls.User.count({ where: { email: 'cls@x' } })).toBe(0);
    } finally {
      (Sequelize as unknown as { _cls: unknown })._cls = undefined;
      await withCls.sequelize.close();
    }
  });
});
