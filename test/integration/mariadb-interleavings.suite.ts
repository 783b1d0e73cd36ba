import { DatabaseError, F, LockNotAvailableError, RaceSafeError } from '@racesafe/core';
import { describeOnMysql } from '../harness/database';
import { connectMysql, innodbDeadlocks, waitUntilMysqlBlocked } from '../support/mysql-locks';
import { useTestOrm } from './lifecycle';
import type { OpenTestOrm, Row, TestOrm, Tx } from './orm';

// racesafe's INSERT, as both packages send it (the raw sessions below write `INSERT INTO users`).
const RACESAFE_INSERT = 'INSERT INTO `users`';

/** The session's lock wait timeout, read on the caller's connection. */
async function lockWaitTimeout(orm: TestOrm, tx?: Tx): Promise<number> {
  return Number((await orm.query('SELECT @@SESSION.innodb_lock_wait_timeout AS t', tx))[0].t);
}

/**
 * Scripted interleavings on MariaDB (issue 10; docs/database-behaviours.md, the MySQL and MariaDB sections): a raw mysql2 session
 * holds a row or an uncommitted INSERT, the racesafe call is seen waiting in
 * information_schema.INNODB_TRX / INNODB_LOCK_WAITS, then the raw session commits or rolls
 * back. Blocking is observed from the database, never from sleeps.
 */
export function describeMariadbInterleavings(open: OpenTestOrm): void {
  describeOnMysql('interleavings on MariaDB', () => {
    const { db, log, orm } = useTestOrm(
      open,
      (o) => o.query(`INSERT INTO items (sku, stock) VALUES ('sku', 5)`).then(() => undefined),
      { dialect: 'mysql' },
    );
    const count = async (sql: string) => Number((await orm().query(sql))[0].n);

    it("returns the winner's row (created = false) to a lost insert race inside the caller's REPEATABLE READ snapshot, and the transaction commits", async () => {
      const winner = await connectMysql(db.url());
      try {
        const caller = orm().transaction(async (tx) => {
          await orm().query('SELECT count(*) AS n FROM users', tx); // the snapshot: taken before the winner's row exists
          await winner.query('BEGIN');
          await winner.query(`INSERT INTO users (email, name) VALUES ('rr@x', 'winner')`);
          const call = orm().getOrCreate(
            'users',
            { email: 'rr@x' },
            { defaults: { name: 'loser' } },
            tx,
          );
          await waitUntilMysqlBlocked(db.url(), RACESAFE_INSERT);
          await winner.query('COMMIT');
          const result = await call;
          // The snapshot itself stays blind to the winner: only the locking re-read saw it.
          const seenBySnapshot = Number(
            (await orm().query(`SELECT count(*) AS n FROM users WHERE email = 'rr@x'`, tx))[0].n,
          );
          await orm().insert('counters', { name: 'after' }, tx);
          return [result, seenBySnapshot] as const;
        });
        const [[row, created], seenBySnapshot] = await caller;
        expect([created, row.email, row.name]).toEqual([false, 'rr@x', 'winner']);
        expect(seenBySnapshot).toBe(0);
        expect(await count(`SELECT count(*) AS n FROM counters WHERE name = 'after'`)).toBe(1);
        expect(await count(`SELECT count(*) AS n FROM users`)).toBe(1);
      } finally {
        await winner.end();
      }
    });

    it('retries the 1213 deadlock of three inserters whose first rolls back, outside a transaction: both calls succeed', async () => {
      const first = await connectMysql(db.url());
      try {
        const deadlocksBefore = await innodbDeadlocks(db.url());
        await first.query('BEGIN');
        await first.query(`INSERT INTO users (email, name) VALUES ('t11@x', 'first')`);
        const calls = [1, 2].map((n) =>
          orm().getOrCreate('users', { email: 't11@x' }, { defaults: { name: `caller ${n}` } }),
        );
        await waitUntilMysqlBlocked(db.url(), RACESAFE_INSERT, { count: 2 });
        await first.query('ROLLBACK');
        const results = await Promise.all(calls);
        expect(results.map(([, created]) => created).sort()).toEqual([false, true]);
        expect(new Set(results.map(([row]) => row.id)).size).toBe(1);
        expect(await count(`SELECT count(*) AS n FROM users`)).toBe(1);
        // The two waiters deadlocked (docs/database-behaviours.md#three-inserters-of-one-key-deadlock-on-mysql); the victim's call was retried by racesafe.
        expect((await innodbDeadlocks(db.url())) - deadlocksBefore).toBe(1);
      } finally {
        await first.end();
      }
    });

    it("raises RetryableError (1213, never 1305 or a driver error) for that deadlock inside the caller's transaction, which MariaDB rolled back", async () => {
      const first = await connectMysql(db.url());
      try {
        await first.query('BEGIN');
        await first.query(`INSERT INTO users (email, name) VALUES ('t10@x', 'first')`);
        const calls = [1, 2].map(async (n) => {
          let outcome: unknown;
          // Sequelize marks its transaction rolled back after a 1213, so its commit then rejects: the outcome is what the call returned.
          await orm()
            .transaction(async (tx) => {
              await orm().insert('counters', { name: `before ${n}` }, tx);
              outcome = await orm()
                .getOrCreate('users', { email: 't10@x' }, { defaults: { name: `caller ${n}` } }, tx)
                .catch((e: unknown) => e);
            })
            .catch(() => undefined);
          return outcome;
        });
        await waitUntilMysqlBlocked(db.url(), RACESAFE_INSERT, { count: 2 });
        await first.query('ROLLBACK');
        const outcomes = await Promise.all(calls);
        // Whether InnoDB picks a victim here varies; either way a caller sees a row or RetryableError 1213, never 1305 or a driver error.
        const errors = outcomes.filter((o) => !Array.isArray(o));
        for (const error of errors)
          expect(error).toMatchObject({ name: 'RetryableError', code: '1213' });
        const rows = outcomes.filter((o): o is [Row, boolean] => Array.isArray(o));
        expect(rows.filter(([, created]) => created)).toHaveLength(1);
        // A deadlock rolled back the victim's whole transaction, its earlier write included.
        const counters = (await orm().query(`SELECT name FROM counters ORDER BY name`)).map(
          (r: Row) => r.name,
        );
        expect(counters).toEqual(
          outcomes.flatMap((o, i) => (Array.isArray(o) ? [`before ${i + 1}`] : [])),
        );
        expect(await count(`SELECT count(*) AS n FROM users`)).toBe(1);
      } finally {
        await first.end();
      }
    });

    it('gives 16 concurrent updateOrCreate calls on one missing key (pool of 4) no gap-lock deadlock: one row, every F increment applied', async () => {
      const deadlocksBefore = await innodbDeadlocks(db.url());
      const options = { defaults: { value: F('value').plus(1) }, createDefaults: { value: 1 } };
      const results = await Promise.all(
        Array.from({ length: 16 }, () =>
          orm().updateOrCreate('counters', { name: 'hot' }, options),
        ),
      );
      expect(results.filter(([, created]) => created)).toHaveLength(1);
      expect(new Set(results.map(([row]) => row.id)).size).toBe(1);
      // Every caller saw its own version: the creator 1 (read back in its INSERT's transaction), the updaters 2..16.
      expect(results.map(([row]) => Number(row.value)).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 16 }, (_, i) => i + 1),
      );
      expect(await count(`SELECT value AS n FROM counters WHERE name = 'hot'`)).toBe(16);
      // racesafe's own transaction does not insert while it holds the gap lock: no deadlock at all.
      expect((await innodbDeadlocks(db.url())) - deadlocksBefore).toBe(0);
    });

    it("fails at once under nowait with LockNotAvailableError (MariaDB's 1205), the caller's transaction going on with its lock wait timeout unchanged", async () => {
      await orm().getOrCreate('counters', { name: 'held' });
      const holder = await connectMysql(db.url());
      try {
        await holder.query('BEGIN');
        await holder.query(`SELECT * FROM counters WHERE name = 'held' FOR UPDATE`);
        const [error, before, after] = await orm().transaction(async (tx) => {
          const before = await lockWaitTimeout(orm(), tx);
          const failure = await orm()
            .updateOrCreate(
              'counters',
              { name: 'held' },
              { defaults: { label: 'B' }, nowait: true },
              tx,
            )
            .catch((e: unknown) => e);
          await orm().insert('counters', { name: 'zz-after' }, tx);
          return [failure, before, await lockWaitTimeout(orm(), tx)] as const;
        });
        await holder.query('COMMIT');
        expect(error).toBeInstanceOf(LockNotAvailableError);
        expect(error).toMatchObject({ code: '1205' });
        expect(after).toBe(before);
        expect(await count(`SELECT count(*) AS n FROM counters WHERE name = 'zz-after'`)).toBe(1);
        expect((await orm().query(`SELECT label FROM counters WHERE name = 'held'`))[0].label).toBe(
          '',
        );
      } finally {
        await holder.end();
      }
    });

    it("gives up after lockTimeoutMs with LockNotAvailableError (1205 rolls back only the statement) and restores the session's innodb_lock_wait_timeout, in the caller's transaction and on a pooled connection", async () => {
      await orm().getOrCreate('counters', { name: 'held' });
      const holder = await connectMysql(db.url());
      // One connection: what racesafe's own transaction leaves on it is what the next caller gets.
      const single = await open(db.url(), { poolSize: 1 });
      try {
        await holder.query('BEGIN');
        await holder.query(`SELECT * FROM counters WHERE name = 'held' FOR UPDATE`);
        const [error, after] = await orm().transaction(async (tx) => {
          await orm().query('SET SESSION innodb_lock_wait_timeout = 7', tx);
          // 1205 after innodb_lock_wait_timeout = 1 s: the wait itself, reported by the server.
          const failure = await orm()
            .updateOrCreate(
              'counters',
              { name: 'held' },
              { defaults: { label: 'B' }, lockTimeoutMs: 500 },
              tx,
            )
            .catch((e: unknown) => e);
          await orm().insert('counters', { name: 'zz-after' }, tx);
          const timeout = await lockWaitTimeout(orm(), tx);
          await orm().query('SET SESSION innodb_lock_wait_timeout = DEFAULT', tx);
          return [failure, timeout] as const;
        });
        expect(error).toBeInstanceOf(LockNotAvailableError);
        expect(error).toMatchObject({ code: '1205' });
        expect(after).toBe(7);
        expect(await count(`SELECT count(*) AS n FROM counters WHERE name = 'zz-after'`)).toBe(1);

        const defaultTimeout = await lockWaitTimeout(single);
        const own = await single
          .updateOrCreate(
            'counters',
            { name: 'held' },
            { defaults: { label: 'C' }, lockTimeoutMs: 500 },
          )
          .catch((e: unknown) => e);
        expect(own).toBeInstanceOf(LockNotAvailableError);
        expect(await lockWaitTimeout(single)).toBe(defaultTimeout);
        await holder.query('COMMIT');
      } finally {
        await holder.end();
        await single.close();
      }
    });

    it("finds the row stored as 'bob ' for a lookup of 'Bob' (created = false): MariaDB's default _ci / PAD SPACE collation makes them one key", async () => {
      await orm().query(`INSERT INTO users (email, name) VALUES ('bob ', 'stored')`);
      const [row, created] = await orm().getOrCreate(
        'users',
        { email: 'Bob' },
        { defaults: { name: 'new' } },
      );
      expect([created, row.email, row.name]).toEqual([false, 'bob ', 'stored']);
      expect(await count(`SELECT count(*) AS n FROM users`)).toBe(1);
    });

    it("returns the row 'bob ' that won the insert race to a lookup of 'BOB': the unique index rejected 'BOB' as a duplicate of it", async () => {
      const winner = await connectMysql(db.url());
      try {
        await winner.query('BEGIN');
        await winner.query(`INSERT INTO users (email, name) VALUES ('bob ', 'winner')`);
        const call = orm().getOrCreate('users', { email: 'BOB' }, { defaults: { name: 'loser' } });
        await waitUntilMysqlBlocked(db.url(), RACESAFE_INSERT);
        await winner.query('COMMIT');
        const [row, created] = await call;
        expect([created, row.email, row.name]).toEqual([false, 'bob ', 'winner']);
      } finally {
        await winner.end();
      }
    });

    it('refuses an F division by zero (1365) and an out-of-range result (1264) under strict sql_mode with DatabaseError, the row unchanged', async () => {
      const divide = await orm()
        .atomicUpdate('items', { sku: 'sku' }, { stock: F('stock').div(0) })
        .catch((e: unknown) => e);
      const overflow = await orm()
        .atomicUpdate('items', { sku: 'sku' }, { stock: F('stock').plus(2147483647) })
        .catch((e: unknown) => e);
      const viaUpdateOrCreate = await orm()
        .updateOrCreate(
          'items',
          { sku: 'sku' },
          { defaults: { stock: F('stock').div(0) }, createDefaults: { stock: 1 } },
        )
        .catch((e: unknown) => e);
      expect(divide).toBeInstanceOf(DatabaseError);
      expect(divide).toMatchObject({ code: '1365' });
      expect(overflow).toBeInstanceOf(DatabaseError);
      expect(overflow).toMatchObject({ code: '1264' });
      expect(viaUpdateOrCreate).toMatchObject({ name: 'DatabaseError', code: '1365' });
      expect(await count(`SELECT stock AS n FROM items WHERE sku = 'sku'`)).toBe(5);
    });

    it('refuses F writes with RaceSafeError, before any UPDATE, on a session without strict sql_mode, where MariaDB would store 0 with a warning', async () => {
      const lax = await open(db.url(), { poolSize: 1 });
      try {
        await lax.query(`SET SESSION sql_mode = ''`);
        const divide = await lax
          .atomicUpdate('items', { sku: 'sku' }, { stock: F('stock').div(0) })
          .catch((e: unknown) => e);
        const upsert = await lax
          .updateOrCreate(
            'items',
            { sku: 'sku' },
            { defaults: { stock: F('stock').plus(1) }, createDefaults: { stock: 1 } },
          )
          .catch((e: unknown) => e);
        expect(divide).toBeInstanceOf(RaceSafeError);
        expect(String((divide as Error).message)).toMatch(/STRICT_TRANS_TABLES/);
        expect(upsert).toBeInstanceOf(RaceSafeError);
        expect(await count(`SELECT stock AS n FROM items WHERE sku = 'sku'`)).toBe(5);
        // Plain values and the other operations go on: only SQL arithmetic can be truncated silently.
        expect(await lax.atomicUpdate('items', { sku: 'sku' }, { stock: 7 })).toBe(1);
        expect((await lax.getOrCreate('items', { sku: 'sku' }))[1]).toBe(false);
      } finally {
        await lax.close();
      }
    });

    it('getOrCreateMany outside a transaction: a key another session commits while the compound INSERT waits is found by a second SELECT, the rest created by a second compound statement (never one row at a time)', async () => {
      // Known server facts and unique keys first, so the statements below are the call's own.
      await orm().getOrCreateMany('users', [{ email: 'warm@x' }], { defaults: { name: 'warm' } });
      const winner = await connectMysql(db.url());
      try {
        await winner.query('BEGIN');
        await winner.query(`INSERT INTO users (email, name) VALUES ('m2@x', 'winner')`);
        log.clear();
        const lookups = ['m1@x', 'm2@x', 'm3@x'].map((email) => ({ email }));
        const call = orm().getOrCreateMany('users', lookups, { defaults: { name: 'caller' } });
        await waitUntilMysqlBlocked(db.url(), RACESAFE_INSERT);
        await winner.query('COMMIT');
        const results = await call;
        expect(results.map(([row, created]) => [row.email, row.name, created])).toEqual([
          ['m1@x', 'caller', true],
          ['m2@x', 'winner', false],
          ['m3@x', 'caller', true],
        ]);
        // SELECT, the compound statement that lost m2@x (1062, undone), SELECT, the compound statement of m1@x and m3@x.
        expect(log.verbs()).toEqual(['SELECT', 'BEGIN', 'SELECT', 'BEGIN']);
        expect(await count(`SELECT count(*) AS n FROM users WHERE email LIKE 'm_@x'`)).toBe(3);
      } finally {
        await winner.end();
      }
    });
  });
}
