import { MoreThan } from 'typeorm';
import { useTestDatabase } from '../../../test/harness/database';
import { schemaSql, truncateSql } from '../../../test/schema/tables';
import { connect, waitUntilBlocked } from '../../../test/support/locks';
import { StatementLog } from '../../../test/support/statement-log';
import {
  ConflictError,
  InvalidFieldError,
  MultipleRowsError,
  RaceSafeMethods,
  RetryableError,
  UniqueLookupRequiredError,
  raceSafe,
} from '../src';
import { Counter, Membership, NaiveUser, User, testDataSource } from './entities';

const db = useTestDatabase(schemaSql);
const log = new StatementLog();
let dataSource: ReturnType<typeof testDataSource>;
const users = () => raceSafe(dataSource.getRepository(User));

beforeAll(async () => {
  dataSource = await testDataSource(db.url(), { onQuery: log.record }).initialize();
});
afterAll(() => dataSource?.destroy());
beforeEach(async () => {
  await dataSource.query(truncateSql);
  log.clear();
});

describe('getOrCreate (TypeORM)', () => {
  it('creates the row once, then finds it', async () => {
    const [created, wasCreated] = await users().getOrCreate({ email: 'a@x' }, { defaults: { name: 'Ann' } });
    const [found, wasCreatedAgain] = await users().getOrCreate({ email: 'a@x' }, { defaults: { name: 'Other' } });
    expect([wasCreated, wasCreatedAgain]).toEqual([true, false]);
    expect(created).toBeInstanceOf(User);
    expect(found).toMatchObject({ id: created.id, email: 'a@x', name: 'Ann', plan: 'free' });
    expect(found.createdAt).toBeInstanceOf(Date);
  });

  it('calls a defaults function only when it creates a row', async () => {
    const defaults = jest.fn(() => ({ name: 'Bea' }));
    await users().getOrCreate({ email: 'b@x' }, { defaults });
    await users().getOrCreate({ email: 'b@x' }, { defaults });
    expect(defaults).toHaveBeenCalledTimes(1);
  });

  it('finds in one round trip and creates in two outside a transaction', async () => {
    await users().getOrCreate({ email: 'warm@x' }); // reads the catalog once
    log.clear();
    await users().getOrCreate({ email: 'warm@x' });
    expect(log.verbs()).toEqual(['SELECT']);
    log.clear();
    await users().getOrCreate({ email: 'new@x' });
    expect(log.verbs()).toEqual(['SELECT', 'INSERT']);
  });

  it('uses a savepoint inside the caller transaction (withRepository)', async () => {
    await users().getOrCreate({ email: 'warm@x' });
    log.clear();
    await dataSource.transaction(async (manager) => {
      await manager.withRepository(users()).getOrCreate({ email: 'tx@x' });
    });
    expect(log.verbs()).toEqual(['START', 'SELECT', 'SAVEPOINT', 'INSERT', 'RELEASE', 'COMMIT']);
  });

  it('works on a custom repository built with extend', async () => {
    const custom = dataSource.getRepository(User).extend({
      ...RaceSafeMethods,
      signUp(this: typeof custom, email: string) {
        return this.getOrCreate({ email }, { defaults: { plan: 'trial' } });
      },
    });
    const [user, created] = await custom.signUp('c@x');
    expect(created).toBe(true);
    expect(user.plan).toBe('trial');
  });

  it('returns the winner row to a loser inside a transaction, and the caller\'s earlier writes commit', async () => {
    const winner = await connect(db.url());
    try {
      await winner.query('BEGIN');
      const { rows } = await winner.query<{ id: number }>(`INSERT INTO users (email, name) VALUES ('race@x', 'winner') RETURNING id`);
      const loser = dataSource.transaction(async (manager) => {
        await manager.getRepository(Counter).insert({ name: 'written-before' });
        return manager.withRepository(users()).getOrCreate({ email: 'race@x' }, { defaults: { name: 'loser' } });
      });
      // The loser's INSERT waits on the winner's uncommitted unique-index entry (TRAPS T2).
      await waitUntilBlocked(db.url(), 'INSERT INTO "users"');
      await winner.query('COMMIT');
      const [row, created] = await loser;
      expect(created).toBe(false);
      expect(row).toMatchObject({ id: rows[0].id, name: 'winner' });
    } finally {
      await winner.end();
    }
    const check = await dataSource.query(`SELECT (SELECT count(*)::int FROM users) AS users, (SELECT count(*)::int FROM counters WHERE name = 'written-before') AS earlier`);
    expect(check[0]).toEqual({ users: 1, earlier: 1 });
  });

  it('raises ConflictError naming another constraint and leaves the caller transaction usable', async () => {
    await users().getOrCreate({ email: 'owner@x' }, { defaults: { username: 'taken' } });
    let error: unknown;
    await dataSource.transaction(async (manager) => {
      await manager.getRepository(Counter).insert({ name: 'kept' });
      error = await manager
        .withRepository(users())
        .getOrCreate({ email: 'thief@x' }, { defaults: { username: 'taken' } })
        .catch((e: unknown) => e);
      await manager.getRepository(Counter).insert({ name: 'after' });
    });
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({ constraint: 'users_username_key', code: '23505' });
    expect((error as Error).cause).toBeDefined();
    const names = await dataSource.query(`SELECT name FROM counters ORDER BY name`);
    expect(names.map((r: { name: string }) => r.name)).toEqual(['after', 'kept']);
    const thieves = await dataSource.query(`SELECT count(*)::int AS n FROM users WHERE email = 'thief@x'`);
    expect(thieves[0].n).toBe(0);
  });

  it('raises ConflictError outside a transaction too', async () => {
    await users().getOrCreate({ email: 'owner@x' }, { defaults: { username: 'taken' } });
    await expect(users().getOrCreate({ email: 'thief@x' }, { defaults: { username: 'taken' } })).rejects.toMatchObject({
      name: 'ConflictError',
      constraint: 'users_username_key',
    });
  });

  it('requires a unique constraint on exactly the lookup columns', async () => {
    await expect(users().getOrCreate({ name: 'no unique on name' })).rejects.toBeInstanceOf(UniqueLookupRequiredError);
    await expect(users().getOrCreate({ email: 'e@x', name: 'superset' })).rejects.toBeInstanceOf(UniqueLookupRequiredError);
    await expect(raceSafe(dataSource.getRepository(NaiveUser)).getOrCreate({ email: 'n@x' })).rejects.toMatchObject({
      name: 'UniqueLookupRequiredError',
      fields: ['email'],
    });
    const count = await dataSource.query('SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM naive_users) AS n');
    expect(Number(count[0].n)).toBe(0);
  });

  it('serialises on an advisory lock when opted out of the unique constraint, and reports duplicates', async () => {
    const naive = raceSafe(dataSource.getRepository(NaiveUser));
    const [first, created] = await naive.getOrCreate({ email: 'adv@x' }, { advisoryLock: true });
    const [again, createdAgain] = await naive.getOrCreate({ email: 'adv@x' }, { advisoryLock: true });
    expect([created, createdAgain, again.id]).toEqual([true, false, first.id]);
    await dataSource.query(`INSERT INTO naive_users (email) VALUES ('dup@x'), ('dup@x')`);
    await expect(naive.getOrCreate({ email: 'dup@x' }, { advisoryLock: true })).rejects.toBeInstanceOf(MultipleRowsError);
  });

  it('rejects unknown properties, all at once, before sending any statement', async () => {
    // A fresh data source: not even the catalog query may go out.
    const fresh = new StatementLog();
    const source = await testDataSource(db.url(), { onQuery: fresh.record }).initialize();
    fresh.clear(); // initialize() asks for the server version
    try {
      const error = await raceSafe(source.getRepository(User))
        .getOrCreate({ email: 'x@x', created_at: new Date() } as never, { defaults: { nmae: 'typo', plna: 'x' } as never })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidFieldError);
      expect((error as InvalidFieldError).fields).toEqual(['created_at', 'nmae', 'plna']);
      expect((error as Error).message).toMatch(/"created_at".*"nmae".*"plna"/);
      expect(fresh.statements).toEqual([]);
    } finally {
      await source.destroy();
    }
  });

  it.each([
    ['undefined', { email: undefined }],
    ['an operator', { email: MoreThan('a') }],
    ['empty', {}],
  ])('rejects a lookup that is %s before any statement', async (_label, lookup) => {
    await expect(users().getOrCreate(lookup as never)).rejects.toBeInstanceOf(InvalidFieldError);
    expect(log.statements).toEqual([]);
  });

  it('looks up NULL only where the unique key treats NULLs as equal', async () => {
    const memberships = raceSafe(dataSource.getRepository(Membership));
    const [first] = await memberships.getOrCreate({ org: 'acme', member: null });
    const [second, created] = await memberships.getOrCreate({ org: 'acme', member: null });
    expect([second.id, created]).toEqual([first.id, false]);
    await expect(users().getOrCreate({ username: null })).rejects.toBeInstanceOf(InvalidFieldError);
  });

  it('raises RetryableError when the winner is invisible to a REPEATABLE READ snapshot', async () => {
    await users().getOrCreate({ email: 'warm@x' });
    const other = await connect(db.url());
    try {
      const attempt = dataSource.transaction('REPEATABLE READ', async (manager) => {
        await manager.query('SELECT count(*) FROM users'); // takes the snapshot
        await other.query(`INSERT INTO users (email) VALUES ('rr@x')`);
        return manager.withRepository(users()).getOrCreate({ email: 'rr@x' });
      });
      await expect(attempt).rejects.toBeInstanceOf(RetryableError);
    } finally {
      await other.end();
    }
  });

  it('works with a pool of one connection, nested in a transaction too', async () => {
    const single = await testDataSource(db.url(), { poolSize: 1 }).initialize();
    try {
      const repo = raceSafe(single.getRepository(User));
      await repo.getOrCreate({ email: 'p1@x' });
      const [row, created] = await single.transaction(async (manager) => {
        const inTx = manager.withRepository(repo);
        await inTx.getOrCreate({ email: 'p2@x' });
        return inTx.getOrCreate({ email: 'p2@x' });
      });
      expect([row.email, created]).toEqual(['p2@x', false]);
    } finally {
      await single.destroy();
    }
  });
});
