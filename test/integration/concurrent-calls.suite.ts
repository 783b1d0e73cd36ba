import { ConflictError, F } from '@racesafe/core';
import { type SuiteDatabase, postgres } from './databases';
import { useTestOrm } from './lifecycle';
import { type OpenTestOrm, type Row, connectionsOf } from './orm';

/**
 * Concurrent racesafe calls that share one caller transaction (issue 8): `Promise.all` of
 * getOrCreate / updateOrCreate / atomicUpdate inside one transaction, the way a post's tags
 * are created. Savepoints are a stack per connection, so the calls must take turns; the
 * concurrent-query deprecation warning of node-postgres fails every test (test/harness/no-concurrent-queries.ts),
 * and on MariaDB a call releasing another's savepoint would fail with 1305 (SAVEPOINT does not exist).
 */
export function describeConcurrentCalls(
  open: OpenTestOrm,
  database: SuiteDatabase = postgres,
): void {
  const { db, log, orm } = useTestOrm(
    open,
    (o) => o.query(`INSERT INTO items (sku, stock) VALUES ('sku', 5)`).then(() => undefined),
    database,
  );
  const count = async (sql: string) => Number((await orm().query(sql))[0].n);
  const times = <T>(n: number, call: (i: number) => Promise<T>) =>
    Promise.all(Array.from({ length: n }, (_, i) => call(i)));

  it('returns one row, created once, to 5 concurrent getOrCreate calls for one key in one transaction', async () => {
    const results = await orm().transaction((tx) =>
      times(5, () => orm().getOrCreate('users', { email: 'tag@x' }, {}, tx)),
    );
    expect(new Set(results.map(([row]) => row.id)).size).toBe(1);
    expect(results.filter(([, created]) => created)).toHaveLength(1);
    expect(await count(`SELECT count(*) AS n FROM users WHERE email = 'tag@x'`)).toBe(1);
  });

  it('creates one row per key for concurrent getOrCreate calls on different keys in one transaction', async () => {
    const results = await orm().transaction((tx) =>
      times(8, (i) => orm().getOrCreate('users', { email: `k${i}@x` }, {}, tx)),
    );
    expect(results.every(([, created]) => created)).toBe(true);
    expect(await count(`SELECT count(*) AS n FROM users`)).toBe(8);
  });

  it('applies every F increment of concurrent updateOrCreate calls on one row in one transaction', async () => {
    const increment = { defaults: { value: F('value').plus(1) }, createDefaults: { value: 1 } };
    const results = await orm().transaction((tx) =>
      times(10, () => orm().updateOrCreate('counters', { name: 'c' }, increment, tx)),
    );
    expect(results.map(([row]) => row.value).sort((a, b) => Number(a) - Number(b))).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
    ]);
    expect(results.filter(([, created]) => created)).toHaveLength(1);
    expect(await count(`SELECT value AS n FROM counters WHERE name = 'c'`)).toBe(10);
  });

  it('applies every concurrent atomicUpdate in one transaction, guarded ones included', async () => {
    const { guard } = orm();
    const sold = await orm().transaction((tx) =>
      times(8, (i) =>
        i % 2 === 0
          ? orm().atomicUpdate('items', { sku: 'sku' }, { title: `t${i}` }, {}, tx)
          : orm().atomicUpdate(
              'items',
              { sku: 'sku', stock: guard.gte(2) },
              { stock: F('stock').minus(2) },
              {},
              tx,
            ),
      ),
    );
    // Four guarded decrements of 2 from a stock of 5: two hold (5 -> 3 -> 1), two find the guard false.
    expect(sold.filter((changed, i) => i % 2 === 1)).toEqual(expect.arrayContaining([1, 1, 0, 0]));
    expect(
      (await orm().query(`SELECT stock, title FROM items WHERE sku = 'sku'`))[0],
    ).toMatchObject({ stock: 1, title: expect.stringMatching(/^t[0246]$/) });
  });

  it('rolls back only the failing call; the other calls and the transaction go on and commit', async () => {
    await orm().getOrCreate('users', { email: 'owner@x' }, { defaults: { username: 'taken' } });
    const outcomes = await orm().transaction(async (tx) => {
      const settled = await Promise.allSettled([
        orm().getOrCreate('users', { email: 'a@x' }, { defaults: { name: 'A' } }, tx),
        orm().getOrCreate('users', { email: 'thief@x' }, { defaults: { username: 'taken' } }, tx),
        orm().updateOrCreate(
          'counters',
          { name: 'c' },
          { defaults: { value: F('value').plus(1) }, createDefaults: { value: 1 } },
          tx,
        ),
        orm().getOrCreate('users', { email: 'b@x' }, { defaults: { name: 'B' } }, tx),
      ]);
      await orm().insert('counters', { name: 'after' }, tx); // the transaction is still usable
      return settled;
    });
    expect(outcomes.map((o) => o.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
    ]);
    expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
    expect(
      (await orm().query(`SELECT email FROM users ORDER BY email`)).map((r: Row) => r.email),
    ).toEqual(['a@x', 'b@x', 'owner@x']);
    expect(
      (await orm().query(`SELECT name, value FROM counters ORDER BY name`)).map((r: Row) => [
        r.name,
        r.value,
      ]),
    ).toEqual([
      ['after', 0],
      ['c', 1],
    ]);
  });

  it('commits 20 mixed concurrent calls in one transaction with the expected rows and values', async () => {
    await orm().transaction((tx) =>
      times(20, (i): Promise<unknown> => {
        switch (i % 4) {
          case 0:
            return orm().getOrCreate(
              'users',
              { email: `tag${i % 8}@x` },
              { defaults: { name: `n${i}` } },
              tx,
            );
          case 1:
            return orm().updateOrCreate(
              'counters',
              { name: 'hits' },
              { defaults: { value: F('value').plus(1) }, createDefaults: { value: 1 } },
              tx,
            );
          case 2:
            return orm().atomicUpdate(
              'items',
              { sku: 'sku' },
              { price: F('price').plus(1) },
              {},
              tx,
            );
          default:
            return orm().updateOrCreate(
              'users',
              { email: `tag${i % 8}@x` },
              { defaults: { logins: F('logins').plus(1) }, createDefaults: { logins: 1 } },
              tx,
            );
        }
      }),
    );
    // i % 4 == 0 -> tag0, tag4 (i = 0, 4, 8, 12, 16 -> 0, 4, 0, 4, 0); i % 4 == 3 -> tag3, tag7 (3, 7, 11, 15, 19 -> 3, 7, 3, 7, 3).
    const users = (await orm().query(`SELECT email, logins FROM users ORDER BY email`)).map(
      (r: Row) => [r.email, r.logins],
    );
    expect(users).toEqual([
      ['tag0@x', 0],
      ['tag3@x', 3],
      ['tag4@x', 0],
      ['tag7@x', 2],
    ]);
    expect(await count(`SELECT value AS n FROM counters WHERE name = 'hits'`)).toBe(5);
    expect(await count(`SELECT price AS n FROM items WHERE sku = 'sku'`)).toBe(5);
  });

  // Two transactions of one TypeORM DataSource on SQLite share its one connection: the second nests in the first (TypeORM's doing).
  (connectionsOf(open, database.dialect).oneConnection ? it.skip : it)(
    'never makes a call wait for a call on another connection, even one blocked in the database',
    async () => {
      await orm().getOrCreate('counters', { name: 'locked' });
      const increment = { defaults: { value: F('value').plus(1) }, createDefaults: { value: 1 } };
      const { b, created } = await orm().transaction(async (tx) => {
        await orm().updateOrCreate('counters', { name: 'locked' }, increment, tx); // A holds the row lock
        const blocked = orm().transaction((other) =>
          orm().updateOrCreate('counters', { name: 'locked' }, increment, other),
        );
        // B waits for A in the database: at its locking read, or (one writer at a time) at its UPDATE, A's being the first in the log.
        await (database.rowLockClause
          ? database.waitUntilBlocked(db.url(), database.rowLockClause)
          : database.waitUntilBlocked(db.url(), 'UPDATE "counters"', { sent: log, count: 2 }));
        // A's next call runs now: waiting behind B, which waits for A, would never end.
        const [, wasCreated] = await orm().getOrCreate('users', { email: 'a-goes-on@x' }, {}, tx);
        return { b: blocked, created: wasCreated };
      });
      expect(created).toBe(true);
      if (database.databaseWriteLock) {
        // B read before A committed: its write cannot upgrade a stale snapshot (docs/database-behaviours.md#sqlite-a-reader-cannot-become-a-writer-after-another-commit); retrying is its caller's to do.
        await expect(b).rejects.toMatchObject({
          name: 'RetryableError',
          code: database.serializationFailureCode,
        });
      } else {
        expect((await b)[0].value).toBe(2);
      }
    },
  );
}
