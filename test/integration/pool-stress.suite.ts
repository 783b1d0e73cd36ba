import { F } from '@racesafe/core';
import { useTestDatabase } from '../harness/database';
import { leftoverConnections } from '../harness/faults';
import { schemaSql } from '../schema/tables';
import type { OpenTestOrm, TestOrm, Tx } from './orm';

/** How one package's ORM says its pool had no connection to give in time. */
export type IsAcquireTimeout = (error: unknown) => boolean;

/** Settles a promise into what it resolved or rejected with, and says whether it has settled yet. */
function track<T>(promise: Promise<T>) {
  const tracked = {
    settled: false,
    outcome: promise.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    ),
  };
  void tracked.outcome.then(() => (tracked.settled = true));
  return tracked;
}

// A deadlock (racesafe asking for a second connection while its transaction holds the only one) fails the test as this acquire timeout instead of hanging.
const deadlockGuardMs = 10_000;
// Short: the exhaustion test waits this long for each call it expects to time out.
const exhaustionTimeoutMs = 300;

/** racesafe's three operations outside any transaction, on keys of their own. */
const outsideCalls = (orm: TestOrm, tag: string): Promise<unknown>[] => [
  orm.getOrCreate('users', { email: `${tag}-get@pool` }, { defaults: { name: 'outside' } }),
  orm.updateOrCreate(
    'users',
    { email: `${tag}-upsert@pool` },
    { defaults: { logins: F('logins').plus(1) }, createDefaults: { logins: 1 } },
  ),
  // In racesafe's own transaction (lockTimeoutMs): BEGIN needs the connection too.
  orm.updateOrCreate(
    'users',
    { email: `${tag}-locked@pool` },
    {
      defaults: { logins: F('logins').plus(1) },
      createDefaults: { logins: 1 },
      lockTimeoutMs: 5_000,
    },
  ),
  orm.atomicUpdate('counters', { name: 'pool' }, { value: F('value').plus(1) }),
];

/**
 * Issue 13, item 5: racesafe under a pool of one connection, PostgreSQL. Inside the caller's
 * transaction racesafe uses that transaction's connection only, so calls outside it wait for the
 * pool and complete after it, never a deadlock; an exhausted pool surfaces the ORM's own acquire
 * timeout, never a hang; afterwards the pool holds no busy connection and the database no session
 * beyond the pool's own.
 */
export function describePoolStress(open: OpenTestOrm, isAcquireTimeout: IsAcquireTimeout): void {
  const db = useTestDatabase(schemaSql);
  let orm: TestOrm | undefined;
  const openPoolOfOne = async (acquireTimeoutMs: number) => {
    orm = await open(db.url(), { poolSize: 1, acquireTimeoutMs });
    await orm.query(`INSERT INTO counters (name, value) VALUES ('pool', 0)`);
    return orm;
  };
  // No connection leaked: the pool's one connection idle, no other session, none after close.
  const expectNothingLeft = async (pooled: TestOrm) => {
    expect(pooled.poolCounts!()).toEqual({ total: 1, idle: 1 });
    expect(await leftoverConnections(db.url(), 0)).toBe(1);
    await pooled.close();
    orm = undefined;
    expect(await leftoverConnections(db.url())).toBe(0);
  };
  afterEach(async () => {
    await orm?.close();
    orm = undefined;
    const sql = `TRUNCATE users, counters RESTART IDENTITY`;
    const cleaner = await open(db.url(), { poolSize: 1 });
    await cleaner.query(sql).finally(() => cleaner.close());
  });

  it("pool of 1: racesafe inside the caller's transaction and outside it at once, no deadlock; outside calls complete after the transaction", async () => {
    const pooled = await openPoolOfOne(deadlockGuardMs);
    let outside: ReturnType<typeof track>[] = [];
    const inside = async (tx: Tx) => {
      // Started while the transaction holds the pool's only connection: they must wait for it.
      outside = outsideCalls(pooled, 'out').map(track);
      const created = [
        (
          await pooled.getOrCreate(
            'users',
            { email: 'in-get@pool' },
            { defaults: { name: 'inside' } },
            tx,
          )
        )[1],
        (
          await pooled.updateOrCreate(
            'users',
            { email: 'in-upsert@pool' },
            { defaults: { logins: F('logins').plus(1) }, createDefaults: { logins: 1 } },
            tx,
          )
        )[1],
      ];
      await pooled.atomicUpdate(
        'counters',
        { name: 'pool' },
        { value: F('value').plus(10) },
        {},
        tx,
      );
      return { created, settledInside: outside.filter((o) => o.settled).length };
    };
    const { created, settledInside } = await pooled.transaction(inside);
    expect(created).toEqual([true, true]);
    expect(settledInside).toBe(0);
    const outcomes = await Promise.all(outside.map((o) => o.outcome));
    expect(outcomes.map((o) => ('error' in o ? o.error : undefined))).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    const [counter] = await pooled.query(`SELECT value FROM counters WHERE name = 'pool'`);
    expect(counter.value).toBe(11);
    expect((await pooled.query(`SELECT count(*)::int AS n FROM users`))[0].n).toBe(5);
    await expectNothingLeft(pooled);
  });

  it("pool of 1 held by a caller's transaction: every racesafe call outside it fails with the ORM's own acquire timeout, then the pool recovers", async () => {
    const pooled = await openPoolOfOne(exhaustionTimeoutMs);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let holding!: () => void;
    const held = new Promise<void>((resolve) => (holding = resolve));
    const holder = pooled.transaction(async (tx) => {
      await pooled.query('SELECT 1', tx);
      holding();
      await released;
    });
    await held;
    const outcomes = await Promise.all(
      outsideCalls(pooled, 'starved').map((call) => track(call).outcome),
    );
    const errors = outcomes.map((o) => ('error' in o ? o.error : o));
    for (const error of errors)
      expect(isAcquireTimeout(error) ? 'acquire timeout' : error).toBe('acquire timeout');
    release();
    await holder;
    // Nothing of the timed-out calls was applied, and the pool serves again.
    expect((await pooled.query(`SELECT count(*)::int AS n FROM users`))[0].n).toBe(0);
    const [row, created] = await pooled.getOrCreate(
      'users',
      { email: 'after@pool' },
      { defaults: { name: 'after' } },
    );
    expect([row.email, created]).toEqual(['after@pool', true]);
    await expectNothingLeft(pooled);
  });
}
