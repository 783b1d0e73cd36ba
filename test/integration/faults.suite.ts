import { ConnectionLostError, F, IndeterminateError, RetryableError } from '@racesafe/core';
import type { Client } from 'pg';
import { connect } from '../support/locks';
import { useTestOrm } from './lifecycle';
import type { OpenTestOrm } from './orm';

/** Polls pg_stat_activity until a backend not in `seen` runs a statement containing `fragment` and waits on a lock; returns its pid. */
async function nextBlockedPid(
  control: Client,
  fragment: string,
  seen: Set<number>,
  timeoutMs = 20_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await control.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND position($1 in query) > 0`,
      [fragment],
    );
    const pid = rows.map((r) => r.pid).find((p) => !seen.has(p));
    if (pid !== undefined) return (seen.add(pid), pid);
    if (Date.now() > deadline)
      throw new Error(`no new backend running "${fragment}" was seen waiting on a lock`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Terminates a backend as an administrator or a failover would (57P01 on that session). */
async function terminate(control: Client, pid: number): Promise<void> {
  const { rows } = await control.query<{ done: boolean }>(
    'SELECT pg_terminate_backend($1) AS done',
    [pid],
  );
  if (!rows[0].done) throw new Error(`backend ${pid} was not terminated`);
}

/** Settles a promise into what it resolved or rejected with, so a test can hold it while it acts. */
const settle = <T>(promise: Promise<T>) =>
  promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );

// The COMMIT of a transaction that updated a users row named 'commit@fault' waits for advisory lock 4242:
// a deferred constraint trigger is the one hook that runs inside COMMIT, so the test can cut the connection there.
const blockAtCommitSql = `
  CREATE OR REPLACE FUNCTION racesafe_block_at_commit() RETURNS trigger LANGUAGE plpgsql AS
    $$ BEGIN PERFORM pg_advisory_xact_lock_shared(4242); RETURN NULL; END $$;
  DROP TRIGGER IF EXISTS racesafe_block_at_commit ON users;
  CREATE CONSTRAINT TRIGGER racesafe_block_at_commit AFTER INSERT OR UPDATE ON users DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.email = 'commit@fault') EXECUTE FUNCTION racesafe_block_at_commit();`;

/**
 * Issue 13, item 3: defined behaviour on a lost connection, PostgreSQL. A controller session
 * holds a lock the call waits for, sees it wait (pg_stat_activity), and terminates its backend
 * with pg_terminate_backend: ConnectionLostError where nothing was committed (racesafe retries it
 * outside your transaction), IndeterminateError where a committing statement was cut, never a retry then.
 */
export function describeConnectionLoss(open: OpenTestOrm): void {
  const { db, orm } = useTestOrm(open);
  // control watches and terminates; holder holds the locks (pg_stat_activity is one snapshot per transaction, so not the same session).
  let control: Client;
  let holder: Client;
  beforeAll(async () => {
    // DROP DATABASE ... WITH (FORCE) at the end terminates these too: a pg Client with no 'error' listener would then crash the test process.
    control = await connect(db.url());
    holder = await connect(db.url());
    for (const client of [control, holder]) client.on('error', () => undefined);
    await control.query(blockAtCommitSql);
  });
  afterAll(async () => {
    await control?.end();
    await holder?.end();
  });
  afterEach(async () => {
    // A failed test may leave the holder's locks: free them so the next test's TRUNCATE does not wait.
    await holder.query('ROLLBACK; SELECT pg_advisory_unlock_all()');
    // The ORM's pool may still hold the connection whose session the test ended (its socket closes a moment later; the ORM
    // discards it on the next error): the next test's setup must not be the one to find it.
    for (let attempt = 0; attempt < 10; attempt++)
      if (
        await orm()
          .query('SELECT 1')
          .then(
            () => true,
            () => false,
          )
      )
        break;
    // Nothing left behind by a fault: no session of this database idle in a transaction or waiting on a lock.
    const { rows } = await control.query(
      `SELECT pid, state, query FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND (state LIKE 'idle in transaction%' OR wait_event_type = 'Lock')`,
    );
    expect(rows).toEqual([]);
  });
  const value = async (table: string, column: string, where: string) =>
    (await control.query(`SELECT ${column} AS v FROM ${table} WHERE ${where}`)).rows.map(
      (r) => r.v,
    );

  it('atomicUpdate outside a transaction: cut during its UPDATE it is IndeterminateError and is never retried', async () => {
    await control.query(`INSERT INTO counters (name, value) VALUES ('c', 0)`);
    await holder.query(`BEGIN; SELECT * FROM counters WHERE name = 'c' FOR UPDATE`);
    const call = settle(
      orm().atomicUpdate('counters', { name: 'c' }, { value: F('value').plus(1) }),
    );
    await terminate(control, await nextBlockedPid(control, 'UPDATE', new Set()));
    // Rejected while the lock is still held: no second attempt is waiting behind it.
    const outcome = await call;
    expect(outcome).toMatchObject({ error: expect.any(IndeterminateError) });
    expect((outcome as { error: IndeterminateError }).error).toMatchObject({
      code: '57P01',
      cause: expect.anything(),
    });
    await holder.query('COMMIT');
    expect(await value('counters', 'value', `name = 'c'`)).toEqual([0]);
  });

  it('getOrCreate outside a transaction: cut during its INSERT, retried on a fresh connection, created told truthfully', async () => {
    await holder.query(`BEGIN; INSERT INTO users (email, name) VALUES ('g@fault', 'controller')`);
    const call = settle(
      orm().getOrCreate('users', { email: 'g@fault' }, { defaults: { name: 'racesafe' } }),
    );
    const seen = new Set<number>();
    await terminate(control, await nextBlockedPid(control, 'users', seen));
    // The retry waits on the same uncommitted key, on another backend.
    await nextBlockedPid(control, 'users', seen);
    await holder.query('ROLLBACK');
    const outcome = (await call) as { value: [Record<string, unknown>, boolean] };
    expect(outcome.value[1]).toBe(true);
    expect(outcome.value[0].name).toBe('racesafe');
    expect(await value('users', 'name', `email = 'g@fault'`)).toEqual(['racesafe']);
  });

  it('getOrCreate outside a transaction: cut during its INSERT, the retry finds a row it cannot vouch for: IndeterminateError with the row', async () => {
    await holder.query(`BEGIN; INSERT INTO users (email, name) VALUES ('h@fault', 'controller')`);
    const call = settle(
      orm().getOrCreate('users', { email: 'h@fault' }, { defaults: { name: 'racesafe' } }),
    );
    const seen = new Set<number>();
    await terminate(control, await nextBlockedPid(control, 'users', seen));
    await nextBlockedPid(control, 'users', seen);
    await holder.query('COMMIT');
    const { error } = (await call) as { error: IndeterminateError };
    expect(error).toBeInstanceOf(IndeterminateError);
    expect((error.row as Record<string, unknown>).name).toBe('controller');
    expect(await value('users', 'count(*)::int', `email = 'h@fault'`)).toEqual([1]);
  });

  it("updateOrCreate in racesafe's own transaction: cut before COMMIT it is rolled back and retried, applied once", async () => {
    await control.query(`INSERT INTO users (email, logins) VALUES ('u@fault', 0)`);
    await holder.query(`BEGIN; SELECT * FROM users WHERE email = 'u@fault' FOR UPDATE`);
    // lockTimeoutMs: the locking transaction (SELECT ... FOR NO KEY UPDATE, UPDATE, COMMIT), not the one-statement path.
    const options = {
      defaults: { logins: F('logins').plus(1) },
      createDefaults: { logins: 1 },
      lockTimeoutMs: 60_000,
    };
    const call = settle(orm().updateOrCreate('users', { email: 'u@fault' }, options));
    const seen = new Set<number>();
    await terminate(control, await nextBlockedPid(control, 'FOR NO KEY UPDATE', seen));
    await nextBlockedPid(control, 'FOR NO KEY UPDATE', seen);
    await holder.query('COMMIT');
    const outcome = (await call) as { value: [Record<string, unknown>, boolean] };
    expect([outcome.value[0].logins, outcome.value[1]]).toEqual([1, false]);
    expect(await value('users', 'logins', `email = 'u@fault'`)).toEqual([1]);
  });

  it("updateOrCreate in racesafe's own transaction: cut during COMMIT it is IndeterminateError and is never retried", async () => {
    await control.query(`INSERT INTO users (email, logins) VALUES ('commit@fault', 0)`);
    await holder.query('SELECT pg_advisory_lock(4242)');
    const options = {
      defaults: { logins: F('logins').plus(1) },
      createDefaults: { logins: 1 },
      lockTimeoutMs: 60_000,
    };
    const call = settle(orm().updateOrCreate('users', { email: 'commit@fault' }, options));
    await terminate(control, await nextBlockedPid(control, 'COMMIT', new Set()));
    const { error } = (await call) as { error: unknown };
    await holder.query('SELECT pg_advisory_unlock(4242)');
    expect(error).toBeInstanceOf(IndeterminateError);
    // Cut before its commit finished, the server rolled it back; racesafe did not try again.
    expect(await value('users', 'logins', `email = 'commit@fault'`)).toEqual([0]);
  });

  it('updateOrCreate in one autocommit statement: cut while it runs it is IndeterminateError and is never retried', async () => {
    await control.query(`INSERT INTO users (email, logins) VALUES ('one@fault', 0)`);
    await holder.query(`BEGIN; SELECT * FROM users WHERE email = 'one@fault' FOR UPDATE`);
    const call = settle(
      orm().updateOrCreate(
        'users',
        { email: 'one@fault' },
        { defaults: { logins: F('logins').plus(1) }, createDefaults: { logins: 1 } },
      ),
    );
    await terminate(control, await nextBlockedPid(control, 'users', new Set()));
    const { error } = (await call) as { error: unknown };
    await holder.query('COMMIT');
    expect(error).toBeInstanceOf(IndeterminateError);
    expect(await value('users', 'logins', `email = 'one@fault'`)).toEqual([0]);
  });

  it("inside the caller's transaction: ConnectionLostError (retry the whole transaction), racesafe never retries", async () => {
    await control.query(`INSERT INTO users (email, logins) VALUES ('tx@fault', 0)`);
    await holder.query(`BEGIN; SELECT * FROM users WHERE email = 'tx@fault' FOR UPDATE`);
    const call = settle(
      orm().transaction(async (tx) => {
        await orm().insert('counters', { name: 'earlier write' }, tx);
        return orm().updateOrCreate(
          'users',
          { email: 'tx@fault' },
          { defaults: { logins: F('logins').plus(1) }, createDefaults: { logins: 1 } },
          tx,
        );
      }),
    );
    await terminate(control, await nextBlockedPid(control, 'users', new Set()));
    const { error } = (await call) as { error: unknown };
    await holder.query('COMMIT');
    expect(error).toBeInstanceOf(ConnectionLostError);
    expect(error).toBeInstanceOf(RetryableError);
    // The whole transaction was rolled back: the caller's earlier write too.
    expect(await value('counters', 'count(*)::int', `name = 'earlier write'`)).toEqual([0]);
    expect(await value('users', 'logins', `email = 'tx@fault'`)).toEqual([0]);
  });
}
