import type { Transaction } from 'sequelize';
import { useTestDatabase } from '../../../test/harness/database';
import { schemaSql, truncateSql } from '../../../test/schema/tables';
import { connect, waitUntilBlocked, withDefaultIsolation } from '../../../test/support/locks';
import { StatementLog } from '../../../test/support/statement-log';
import { F, InvalidFieldError, LockNotAvailableError, RetryableError } from '../src';
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
  await m.User.getOrCreate({ where: { email: 'warm@x' } }); // reads the catalog once
  log.clear();
});

/** Opens a transaction that stays open until `release` is called; resolves `held` with what `work` returned. */
function holdTransaction<T>(work: (transaction: Transaction) => Promise<T>) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let heldResolve!: (value: T) => void;
  const held = new Promise<T>((resolve) => (heldResolve = resolve));
  const done = m.sequelize.transaction(async (transaction) => {
    heldResolve(await work(transaction));
    await released;
  });
  return { held, release, done };
}

describe('updateOrCreate (Sequelize)', () => {
  it('creates with createDefaults, then updates with defaults', async () => {
    const options = { where: { email: 'u@x' }, defaults: { name: 'updated', logins: F('logins').plus(1) }, createDefaults: { name: 'created', plan: 'trial', logins: 1 } };
    const [created, wasCreated] = await m.User.updateOrCreate(options);
    expect([wasCreated, created.name, created.plan, created.logins]).toEqual([true, 'created', 'trial', 1]);
    const [updated, wasCreatedAgain] = await m.User.updateOrCreate(options);
    expect([wasCreatedAgain, updated.id, updated.name, updated.plan, updated.logins]).toEqual([false, created.id, 'updated', 'trial', 2]);
    expect(updated).toBeInstanceOf(m.User);
  });

  it('uses defaults to create when createDefaults is absent', async () => {
    const [row, created] = await m.User.updateOrCreate({ where: { email: 'd@x' }, defaults: { name: 'from defaults' } });
    expect([created, row.name]).toEqual([true, 'from defaults']);
  });

  it('locks the row in a transaction of its own and writes only the changed columns', async () => {
    await m.User.getOrCreate({ where: { email: 'c@x' }, defaults: { name: 'same', plan: 'free' } });
    log.clear();
    await m.User.updateOrCreate({ where: { email: 'c@x' }, defaults: { name: 'same', plan: 'pro' } });
    expect(log.verbs()).toEqual(['START', 'SELECT', 'UPDATE', 'COMMIT']);
    expect(log.statements[1]).toMatch(/FOR NO KEY UPDATE$/);
    expect(log.statements[2]).toMatch(/^UPDATE "users" SET "plan" = \$1 WHERE "id" = \$2 RETURNING \*$/);
  });

  it('takes the lock but sends no UPDATE when nothing changes', async () => {
    await m.User.getOrCreate({ where: { email: 'same@x' }, defaults: { name: 'same' } });
    log.clear();
    const [row, created] = await m.User.updateOrCreate({ where: { email: 'same@x' }, defaults: { name: 'same' } });
    expect([row.name, created]).toEqual(['same', false]);
    expect(log.verbs()).toEqual(['START', 'SELECT', 'COMMIT']);
  });

  it('makes a second updateOrCreate wait for the first transaction and apply on top of it', async () => {
    await m.User.getOrCreate({ where: { email: 'lock@x' } });
    const a = holdTransaction((transaction) =>
      m.User.updateOrCreate({ where: { email: 'lock@x' }, defaults: { name: 'A', logins: F('logins').plus(1) }, createDefaults: {}, transaction }),
    );
    await a.held;
    const b = m.User.updateOrCreate({ where: { email: 'lock@x' }, defaults: { logins: F('logins').plus(10) }, createDefaults: {} });
    const [blocked] = await waitUntilBlocked(db.url(), 'FOR NO KEY UPDATE');
    expect(blocked.blockedBy).toHaveLength(1);
    a.release();
    await a.done;
    const [row, created] = await b;
    expect([created, row.name, row.logins]).toEqual([false, 'A', 11]);
  });

  it('makes a plain UPDATE from another session wait for the lock', async () => {
    await m.User.getOrCreate({ where: { email: 'plain@x' } });
    const a = holdTransaction((transaction) => m.User.updateOrCreate({ where: { email: 'plain@x' }, defaults: { name: 'A' }, transaction }));
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
    expect((await m.User.findOne({ where: { email: 'plain@x' }, rejectOnEmpty: true })).name).toBe('A then B');
  });

  it('fails at once with LockNotAvailableError under nowait, and both transactions still commit', async () => {
    await m.User.getOrCreate({ where: { email: 'nowait@x' } });
    const a = holdTransaction((transaction) => m.User.updateOrCreate({ where: { email: 'nowait@x' }, defaults: { name: 'A' }, transaction }));
    await a.held;
    let error: unknown;
    await m.sequelize.transaction(async (transaction) => {
      await m.Counter.create({ name: 'b-before' }, { transaction });
      error = await m.User.updateOrCreate({ where: { email: 'nowait@x' }, defaults: { name: 'B' }, nowait: true, transaction }).catch((e: unknown) => e);
      await m.Counter.create({ name: 'b-after' }, { transaction });
    });
    a.release();
    await a.done;
    expect(error).toBeInstanceOf(LockNotAvailableError);
    expect(error).toMatchObject({ code: '55P03' });
    expect((await m.User.findOne({ where: { email: 'nowait@x' }, rejectOnEmpty: true })).name).toBe('A');
    expect(await m.Counter.count()).toBe(2);
  });

  it('gives up after lockTimeoutMs with LockNotAvailableError and restores lock_timeout', async () => {
    await m.User.getOrCreate({ where: { email: 'timeout@x' } });
    const a = holdTransaction((transaction) => m.User.updateOrCreate({ where: { email: 'timeout@x' }, defaults: { name: 'A' }, transaction }));
    await a.held;
    const settings = await m.sequelize.transaction(async (transaction) => {
      const error = await m.User.updateOrCreate({ where: { email: 'timeout@x' }, defaults: { name: 'B' }, lockTimeoutMs: 50, transaction }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LockNotAvailableError);
      await m.User.updateOrCreate({ where: { email: 'warm@x' }, defaults: { name: 'free row' }, lockTimeoutMs: 50, transaction });
      const [rows] = await m.sequelize.query(`SELECT current_setting('lock_timeout') AS value`, { transaction });
      return rows as { value: string }[];
    });
    a.release();
    await a.done;
    expect(settings[0].value).toBe('0');
    expect((await m.User.findOne({ where: { email: 'warm@x' }, rejectOnEmpty: true })).name).toBe('free row');
  });

  it('locks and updates the row a concurrent creator committed first', async () => {
    const winner = await connect(db.url());
    try {
      await winner.query('BEGIN');
      await winner.query(`INSERT INTO users (email, name, logins) VALUES ('new@x', 'winner', 5)`);
      const loser = m.User.updateOrCreate({ where: { email: 'new@x' }, defaults: { logins: F('logins').plus(1) }, createDefaults: { name: 'loser', logins: 1 } });
      await waitUntilBlocked(db.url(), 'INSERT INTO "users"');
      await winner.query('COMMIT');
      const [row, created] = await loser;
      expect([created, row.name, row.logins]).toEqual([false, 'winner', 6]);
    } finally {
      await winner.end();
    }
  });

  it('raises RetryableError inside a REPEATABLE READ transaction whose snapshot missed a concurrent update', async () => {
    await m.User.getOrCreate({ where: { email: 'rr@x' } });
    const other = await connect(db.url());
    try {
      const attempt = m.sequelize.transaction({ isolationLevel: 'REPEATABLE READ' as Transaction.ISOLATION_LEVELS }, async (transaction) => {
        await m.sequelize.query('SELECT count(*) FROM users', { transaction }); // takes the snapshot
        await other.query(`UPDATE users SET name = 'concurrent' WHERE email = 'rr@x'`);
        return m.User.updateOrCreate({ where: { email: 'rr@x' }, defaults: { name: 'mine' }, transaction });
      });
      await expect(attempt).rejects.toMatchObject({ name: 'RetryableError', code: '40001' });
      await expect(attempt).rejects.toBeInstanceOf(RetryableError);
    } finally {
      await other.end();
    }
  });

  it('retries its own transaction after a serialization failure, within the attempts it is given', async () => {
    await m.User.getOrCreate({ where: { email: 'retry@x' } });
    const retryLog = new StatementLog();
    const repeatable = testSequelize(withDefaultIsolation(db.url(), 'repeatable read'), { onQuery: retryLog.record });
    const holder = await connect(db.url());
    try {
      for (const attempts of [3, 1]) {
        retryLog.clear();
        await holder.query('BEGIN');
        await holder.query(`UPDATE users SET logins = logins + 100 WHERE email = 'retry@x'`);
        const call = repeatable.User.updateOrCreate({
          where: { email: 'retry@x' },
          defaults: { logins: F('logins').plus(1) },
          createDefaults: {},
          retry: { attempts, baseDelayMs: 1 },
        }).catch((e: unknown) => e);
        await waitUntilBlocked(db.url(), 'FOR NO KEY UPDATE');
        // The holder's commit changes the row after the waiter's snapshot: 40001 at REPEATABLE READ.
        await holder.query('COMMIT');
        const outcome = await call;
        if (attempts === 3) {
          expect((outcome as [InstanceType<typeof m.User>, boolean])[0].logins).toBe(101);
          expect(retryLog.verbs().filter((verb) => verb === 'START')).toHaveLength(2);
        } else {
          expect(outcome).toMatchObject({ name: 'RetryableError', code: '40001' });
        }
      }
    } finally {
      await holder.end();
      await repeatable.sequelize.close();
    }
  });

  it('rejects unknown fields in defaults and createDefaults before any statement', async () => {
    const error = await m.User.updateOrCreate({ where: { email: 'x@x' }, defaults: { nmae: 'typo' } as never, createDefaults: { plna: 'x' } as never }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidFieldError);
    expect((error as InvalidFieldError).fields).toEqual(['nmae', 'plna']);
    expect(log.statements).toEqual([]);
  });

  it('rejects F expressions that would have to build a new row, and a bad lockTimeoutMs, before any statement', async () => {
    await expect(m.User.updateOrCreate({ where: { email: 'f@x' }, defaults: { logins: F('logins').plus(1) } })).rejects.toBeInstanceOf(InvalidFieldError);
    await expect(m.User.updateOrCreate({ where: { email: 'f@x' }, createDefaults: { logins: F('logins') as never } })).rejects.toBeInstanceOf(InvalidFieldError);
    await expect(m.User.updateOrCreate({ where: { email: 'f@x' }, lockTimeoutMs: -5 })).rejects.toBeInstanceOf(InvalidFieldError);
    expect(log.statements).toEqual([]);
  });
});
