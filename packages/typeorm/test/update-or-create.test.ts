import { useTestDatabase } from '../../../test/harness/database';
import { schemaSql, truncateSql } from '../../../test/schema/tables';
import { connect, waitUntilBlocked, withDefaultIsolation } from '../../../test/support/locks';
import { StatementLog } from '../../../test/support/statement-log';
import { F, InvalidFieldError, LockNotAvailableError, RetryableError, raceSafe } from '../src';
import { Counter, User, testDataSource } from './entities';

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
  await users().getOrCreate({ email: 'warm@x' }); // reads the catalog once
  log.clear();
});

/** Opens a transaction that stays open until `release` is called; resolves `held` with what `work` returned. */
function holdTransaction<T>(work: (repo: ReturnType<typeof users>) => Promise<T>) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let heldResolve!: (value: T) => void;
  const held = new Promise<T>((resolve) => (heldResolve = resolve));
  const done = dataSource.transaction(async (manager) => {
    heldResolve(await work(manager.withRepository(users())));
    await released;
  });
  return { held, release, done };
}

describe('updateOrCreate (TypeORM)', () => {
  it('creates with createDefaults, then updates with defaults', async () => {
    const options = { defaults: { name: 'updated', logins: F('logins').plus(1) }, createDefaults: { name: 'created', plan: 'trial', logins: 1 } };
    const [created, wasCreated] = await users().updateOrCreate({ email: 'u@x' }, options);
    expect([wasCreated, created.name, created.plan, created.logins]).toEqual([true, 'created', 'trial', 1]);
    const [updated, wasCreatedAgain] = await users().updateOrCreate({ email: 'u@x' }, options);
    expect([wasCreatedAgain, updated.id, updated.name, updated.plan, updated.logins]).toEqual([false, created.id, 'updated', 'trial', 2]);
    expect(updated).toBeInstanceOf(User);
  });

  it('uses defaults to create when createDefaults is absent', async () => {
    const [row, created] = await users().updateOrCreate({ email: 'd@x' }, { defaults: { name: 'from defaults' } });
    expect([created, row.name]).toEqual([true, 'from defaults']);
  });

  it('locks the row in a transaction of its own and writes only the changed columns', async () => {
    await users().getOrCreate({ email: 'c@x' }, { defaults: { name: 'same', plan: 'free' } });
    log.clear();
    await users().updateOrCreate({ email: 'c@x' }, { defaults: { name: 'same', plan: 'pro' } });
    expect(log.verbs()).toEqual(['START', 'SELECT', 'UPDATE', 'COMMIT']);
    expect(log.statements[1]).toMatch(/FOR NO KEY UPDATE$/);
    expect(log.statements[2]).toMatch(/^UPDATE "users" SET "plan" = \$1 WHERE "id" = \$2 RETURNING \*$/);
  });

  it('takes the lock but sends no UPDATE when nothing changes', async () => {
    await users().getOrCreate({ email: 'same@x' }, { defaults: { name: 'same' } });
    log.clear();
    const [row, created] = await users().updateOrCreate({ email: 'same@x' }, { defaults: { name: 'same' } });
    expect([row.name, created]).toEqual(['same', false]);
    expect(log.verbs()).toEqual(['START', 'SELECT', 'COMMIT']);
  });

  it('makes a second updateOrCreate wait for the first transaction and apply on top of it', async () => {
    await users().getOrCreate({ email: 'lock@x' });
    const a = holdTransaction((repo) => repo.updateOrCreate({ email: 'lock@x' }, { defaults: { name: 'A', logins: F('logins').plus(1) }, createDefaults: {} }));
    await a.held;
    const b = users().updateOrCreate({ email: 'lock@x' }, { defaults: { logins: F('logins').plus(10) }, createDefaults: {} });
    const [blocked] = await waitUntilBlocked(db.url(), 'FOR NO KEY UPDATE');
    expect(blocked.blockedBy).toHaveLength(1);
    a.release();
    await a.done;
    const [row, created] = await b;
    expect([created, row.name, row.logins]).toEqual([false, 'A', 11]);
  });

  it('makes a plain UPDATE from another session wait for the lock', async () => {
    await users().getOrCreate({ email: 'plain@x' });
    const a = holdTransaction((repo) => repo.updateOrCreate({ email: 'plain@x' }, { defaults: { name: 'A' } }));
    await a.held;
    const other = await connect(db.url());
    try {
      const update = other.query(`UPDATE users SET name = name || ' then B' WHERE email = 'plain@x'`);
      await waitUntilBlocked(db.url(), `UPDATE users SET name = name`);
      a.release();
      await a.done;
      await update;
    } finally {
      await other.end();
    }
    expect((await users().findOneByOrFail({ email: 'plain@x' })).name).toBe('A then B');
  });

  it('fails at once with LockNotAvailableError under nowait, and both transactions still commit', async () => {
    await users().getOrCreate({ email: 'nowait@x' });
    const a = holdTransaction((repo) => repo.updateOrCreate({ email: 'nowait@x' }, { defaults: { name: 'A' } }));
    await a.held;
    let error: unknown;
    await dataSource.transaction(async (manager) => {
      await manager.getRepository(Counter).insert({ name: 'b-before' });
      error = await manager.withRepository(users()).updateOrCreate({ email: 'nowait@x' }, { defaults: { name: 'B' }, nowait: true }).catch((e: unknown) => e);
      await manager.getRepository(Counter).insert({ name: 'b-after' });
    });
    a.release();
    await a.done;
    expect(error).toBeInstanceOf(LockNotAvailableError);
    expect(error).toMatchObject({ code: '55P03' });
    expect((await users().findOneByOrFail({ email: 'nowait@x' })).name).toBe('A');
    expect(await dataSource.getRepository(Counter).count()).toBe(2);
  });

  it('gives up after lockTimeoutMs with LockNotAvailableError and restores lock_timeout', async () => {
    await users().getOrCreate({ email: 'timeout@x' });
    const a = holdTransaction((repo) => repo.updateOrCreate({ email: 'timeout@x' }, { defaults: { name: 'A' } }));
    await a.held;
    const settings = await dataSource.transaction(async (manager) => {
      const repo = manager.withRepository(users());
      const error = await repo.updateOrCreate({ email: 'timeout@x' }, { defaults: { name: 'B' }, lockTimeoutMs: 50 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LockNotAvailableError);
      await repo.updateOrCreate({ email: 'warm@x' }, { defaults: { name: 'free row' }, lockTimeoutMs: 50 });
      return manager.query(`SELECT current_setting('lock_timeout') AS value`);
    });
    a.release();
    await a.done;
    expect(settings[0].value).toBe('0');
    expect((await users().findOneByOrFail({ email: 'warm@x' })).name).toBe('free row');
  });

  it('locks and updates the row a concurrent creator committed first', async () => {
    const winner = await connect(db.url());
    try {
      await winner.query('BEGIN');
      await winner.query(`INSERT INTO users (email, name, logins) VALUES ('new@x', 'winner', 5)`);
      const loser = users().updateOrCreate({ email: 'new@x' }, { defaults: { logins: F('logins').plus(1) }, createDefaults: { name: 'loser', logins: 1 } });
      await waitUntilBlocked(db.url(), 'INSERT INTO "users"');
      await winner.query('COMMIT');
      const [row, created] = await loser;
      expect([created, row.name, row.logins]).toEqual([false, 'winner', 6]);
    } finally {
      await winner.end();
    }
  });

  it('raises RetryableError inside a REPEATABLE READ transaction whose snapshot missed a concurrent update', async () => {
    await users().getOrCreate({ email: 'rr@x' });
    const other = await connect(db.url());
    try {
      const attempt = dataSource.transaction('REPEATABLE READ', async (manager) => {
        await manager.query('SELECT count(*) FROM users'); // takes the snapshot
        await other.query(`UPDATE users SET name = 'concurrent' WHERE email = 'rr@x'`);
        return manager.withRepository(users()).updateOrCreate({ email: 'rr@x' }, { defaults: { name: 'mine' } });
      });
      await expect(attempt).rejects.toMatchObject({ name: 'RetryableError', code: '40001' });
      await expect(attempt).rejects.toBeInstanceOf(RetryableError);
    } finally {
      await other.end();
    }
  });

  it('retries its own transaction after a serialization failure, within the attempts it is given', async () => {
    await users().getOrCreate({ email: 'retry@x' });
    const retryLog = new StatementLog();
    const repeatable = await testDataSource(withDefaultIsolation(db.url(), 'repeatable read'), { onQuery: retryLog.record }).initialize();
    const holder = await connect(db.url());
    try {
      for (const attempts of [3, 1]) {
        retryLog.clear();
        await holder.query('BEGIN');
        await holder.query(`UPDATE users SET logins = logins + 100 WHERE email = 'retry@x'`);
        const call = raceSafe(repeatable.getRepository(User))
          .updateOrCreate({ email: 'retry@x' }, { defaults: { logins: F('logins').plus(1) }, createDefaults: {}, retry: { attempts, baseDelayMs: 1 } })
          .catch((e: unknown) => e);
        await waitUntilBlocked(db.url(), 'FOR NO KEY UPDATE');
        // The holder's commit changes the row after the waiter's snapshot: 40001 at REPEATABLE READ.
        await holder.query('COMMIT');
        const outcome = await call;
        if (attempts === 3) {
          expect((outcome as [User, boolean])[0].logins).toBe(101);
          expect(retryLog.verbs().filter((verb) => verb === 'START')).toHaveLength(2);
        } else {
          expect(outcome).toMatchObject({ name: 'RetryableError', code: '40001' });
        }
      }
    } finally {
      await holder.end();
      await repeatable.destroy();
    }
  });

  it('rejects unknown fields in defaults and createDefaults before any statement', async () => {
    const error = await users()
      .updateOrCreate({ email: 'x@x' }, { defaults: { nmae: 'typo' } as never, createDefaults: { plna: 'x' } as never })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidFieldError);
    expect((error as InvalidFieldError).fields).toEqual(['nmae', 'plna']);
    expect(log.statements).toEqual([]);
  });

  it('rejects F expressions that would have to build a new row, and a bad lockTimeoutMs, before any statement', async () => {
    await expect(users().updateOrCreate({ email: 'f@x' }, { defaults: { logins: F('logins').plus(1) } })).rejects.toBeInstanceOf(InvalidFieldError);
    await expect(users().updateOrCreate({ email: 'f@x' }, { createDefaults: { logins: F('logins') as never } })).rejects.toBeInstanceOf(InvalidFieldError);
    await expect(users().updateOrCreate({ email: 'f@x' }, { lockTimeoutMs: -5 })).rejects.toBeInstanceOf(InvalidFieldError);
    expect(log.statements).toEqual([]);
  });
});
