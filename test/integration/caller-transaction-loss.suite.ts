import { F } from '@racesafe/core';
import {
  type DriverConnection,
  type SessionKiller,
  cutWhileIdle,
  openSessionKiller,
  watchStatements,
} from '../support/connection-cut';
import { StatementLog } from '../support/statement-log';
import type { SuiteDatabase } from './databases';
import { useTestOrm } from './lifecycle';
import type { OpenTestOrm, TestOrm, Tx } from './orm';

/** One racesafe call in the caller's transaction, the rows it starts from, and what must hold after its connection was cut. */
interface LossCase {
  name: string;
  seed: string[];
  call(orm: TestOrm, tx: Tx): Promise<unknown>;
  /**
   * A concurrent caller's row of this key. PostgreSQL: inserted uncommitted before the call, and
   * committed once racesafe's INSERT waits for it (the server's lock table says so). MariaDB:
   * committed after the caller's snapshot, before the call: the SELECT misses it, the INSERT
   * meets it (1062) and the winner is read with a locking read.
   */
  concurrentInsert?: string;
  /** A query whose answer after a cut run must equal its answer before the call (nothing of the caller's transaction committed). */
  unchanged: string;
}

/** Statement verbs, e.g. ['SAVEPOINT', 'INSERT', 'RELEASE'] (savepoint names differ from call to call). */
const verbsOf = (statements: string[]) => {
  const log = new StatementLog();
  statements.forEach(log.record);
  return log.verbs();
};

const users = (email: string) =>
  `SELECT count(*) AS n, max(name) AS name, max(logins) AS logins FROM users WHERE email LIKE '${email}'`;

const cases: LossCase[] = [
  {
    name: 'getOrCreate, a missing row (created)',
    seed: [],
    call: (orm, tx) =>
      orm.getOrCreate('users', { email: 'new@cut' }, { defaults: { name: 'racesafe' } }, tx),
    unchanged: users('new@cut'),
  },
  {
    name: 'getOrCreate, an existing row (found)',
    seed: [`INSERT INTO users (email, name) VALUES ('old@cut', 'seed')`],
    call: (orm, tx) =>
      orm.getOrCreate('users', { email: 'old@cut' }, { defaults: { name: 'racesafe' } }, tx),
    unchanged: users('old@cut'),
  },
  {
    // A concurrent caller's row commits while racesafe's INSERT waits for it (MariaDB: after the caller's snapshot): the winner is read (MariaDB: a locking read).
    name: 'getOrCreate, a row a concurrent caller commits first (the winner read)',
    seed: [],
    concurrentInsert: 'race@cut',
    call: (orm, tx) =>
      orm.getOrCreate('users', { email: 'race@cut' }, { defaults: { name: 'racesafe' } }, tx),
    unchanged: users('race@cut'),
  },
  {
    name: 'updateOrCreate, an existing row (locked, updated)',
    seed: [`INSERT INTO users (email, name, logins) VALUES ('up@cut', 'seed', 0)`],
    call: (orm, tx) =>
      orm.updateOrCreate(
        'users',
        { email: 'up@cut' },
        {
          defaults: { name: 'racesafe', logins: F('logins').plus(1) },
          createDefaults: { logins: 1 },
        },
        tx,
      ),
    unchanged: users('up@cut'),
  },
  {
    name: 'updateOrCreate, a missing row (created)',
    seed: [],
    call: (orm, tx) =>
      orm.updateOrCreate(
        'users',
        { email: 'up-new@cut' },
        {
          defaults: { name: 'racesafe', logins: F('logins').plus(1) },
          createDefaults: { logins: 1 },
        },
        tx,
      ),
    unchanged: users('up-new@cut'),
  },
  {
    name: 'updateOrCreate, a row a concurrent caller commits first (the winner locked and updated)',
    seed: [],
    concurrentInsert: 'up-race@cut',
    call: (orm, tx) =>
      orm.updateOrCreate(
        'users',
        { email: 'up-race@cut' },
        {
          defaults: { name: 'racesafe', logins: F('logins').plus(1) },
          createDefaults: { logins: 1 },
        },
        tx,
      ),
    unchanged: users('up-race@cut'),
  },
  {
    name: 'getOrCreateMany, 2 rows found and 2 created',
    seed: [`INSERT INTO users (email, name) VALUES ('m1@cut', 'seed'), ('m3@cut', 'seed')`],
    call: (orm, tx) =>
      orm.getOrCreateMany(
        'users',
        ['m1@cut', 'm2@cut', 'm3@cut', 'm4@cut'].map((email) => ({ email })),
        { defaults: { name: 'racesafe' } },
        tx,
      ),
    unchanged: users('m_@cut'),
  },
];

/** How one cut run ended: the racesafe call's error class (or "returned"), and whether the database is as before. */
interface CutOutcome {
  at: string;
  error: string;
  unchanged: boolean;
}

/**
 * Issue 21, item 1: inside the caller's transaction a lost connection is always
 * ConnectionLostError (nothing of that transaction committed), whatever statement of the call was
 * in flight. Each case runs uncut to list the statements the call sends on the caller's
 * connection, then once per statement with the connection cut there (test/support/connection-cut.ts:
 * the statement sent into a dead socket, the session ended by pg_terminate_backend or KILL
 * CONNECTION), and once with the session ended while idle in the transaction just before the call.
 *
 * SQLite has no such case: its connection is a library handle on a file in the caller's own
 * process, with no server session another party can end or network to lose. Only the process
 * dying ends it, and then no caller is left to receive an error (the fault suite's SIGKILL runs
 * cover what other processes see).
 */
export function describeLossInCallerTransaction(open: OpenTestOrm, database: SuiteDatabase): void {
  const { db, orm } = useTestOrm(open, undefined, database);
  let killer: SessionKiller;
  // Sessions of the test's own, each listening for 'error' (the database is dropped WITH (FORCE) at the end).
  let holder: SessionKiller;
  let control: SessionKiller;
  beforeAll(async () => {
    killer = await openSessionKiller(db.url());
    holder = await openSessionKiller(db.url());
    control = await openSessionKiller(db.url());
  });
  afterAll(async () => {
    await killer?.end();
    await holder?.end();
    await control?.end();
  });

  const rolledBack = new Error('rolled back by the test');
  const rolledBackOnly = (e: unknown) => {
    if (e !== rolledBack) throw e as Error;
  };

  /** The case's rows (and its concurrent caller's, committed, when `withWinner`), and a pool without a connection a cut ended. */
  const setRows = async (lossCase: LossCase, withWinner = false) => {
    for (const sql of ['DELETE FROM users', 'DELETE FROM counters', ...lossCase.seed])
      await control.query(sql);
    if (withWinner)
      await control.query(`INSERT INTO users (email, name) VALUES (?, 'concurrent')`, [
        lossCase.concurrentInsert,
      ]);
    // The pool may still hold the connection whose session a cut ended (its socket closed, not yet discarded): not the next test's to find.
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
  };

  /**
   * Before every run, uncut or cut: the case's rows, and the same plan for its call. racesafe picks
   * a call's first statement by the table's last two outcomes at its site (last-outcome.ts), which
   * the suite's own runs change (a cut run remembers none): two calls of the case, each in a
   * transaction rolled back, make them the case's own outcome twice whatever ran before (with a
   * concurrent caller, its row is committed first: the call finds a row, as its run does).
   */
  const reset = async (lossCase: LossCase) => {
    await setRows(lossCase, lossCase.concurrentInsert !== undefined);
    for (let call = 0; call < 2; call++)
      await orm()
        .transaction(async (tx) => {
          await lossCase.call(orm(), tx);
          throw rolledBack;
        })
        .catch(rolledBackOnly);
    if (lossCase.concurrentInsert !== undefined) await setRows(lossCase);
  };
  const snapshot = async (lossCase: LossCase) =>
    JSON.stringify(await control.query(lossCase.unchanged));

  /**
   * The call inside a transaction of the caller's that wrote first, its connection watched
   * (`cut`: 0 ends the session before the call, n at its n-th statement). Resolves with the
   * statements sent and the call's error, if any; the transaction is rolled back when uncut.
   */
  async function callInTransaction(
    lossCase: LossCase,
    cut: number | undefined,
  ): Promise<{ statements: string[]; error?: unknown }> {
    let statements: string[] = [];
    let error: unknown;
    // MariaDB (REPEATABLE READ): the concurrent row commits after the caller's snapshot, before the call, and no wait is needed.
    const afterSnapshot = lossCase.concurrentInsert !== undefined && database.dialect === 'mysql';
    let committed = !lossCase.concurrentInsert || afterSnapshot;
    const concurrentInsert = () =>
      holder.query(`INSERT INTO users (email, name) VALUES (?, 'concurrent')`, [
        lossCase.concurrentInsert,
      ]);
    if (lossCase.concurrentInsert && !afterSnapshot) {
      await holder.query('BEGIN');
      await concurrentInsert();
    }
    const transaction = orm().transaction(async (tx) => {
      // A write of the caller's own before the call: it must not commit either.
      await orm().insert('counters', { name: 'earlier write' }, tx);
      if (afterSnapshot) {
        // The snapshot is taken by the transaction's first read; the row committed after it is invisible to a plain SELECT.
        await orm().query('SELECT count(*) AS n FROM users', tx);
        await concurrentInsert();
      }
      const connection = orm().driverConnection(tx) as DriverConnection;
      if (cut === 0) await cutWhileIdle(connection, killer);
      const watch = watchStatements(connection, killer, cut || undefined);
      let settled = false;
      const call = lossCase.call(orm(), tx).then(
        () => void (settled = true),
        (e: unknown) => void ((error = e), (settled = true)),
      );
      // The concurrent caller commits once the call waits for its row's lock (observed in the server's lock table), else after the call.
      while (!committed && !settled) {
        if (!(await waitsForLock(connection)))
          await new Promise((resolve) => setTimeout(resolve, 5));
        else await holder.query('COMMIT').then(() => (committed = true));
      }
      await call;
      await watch.cut();
      watch.stop();
      statements = watch.statements;
      // The call's error rolls the transaction back, as in an application; an uncut run is rolled back too.
      if (error) throw error as Error;
      if (cut === undefined) throw rolledBack;
    });
    await transaction.catch(() => undefined);
    if (!committed) await holder.query('COMMIT');
    return { statements, error };
  }

  /** Whether the session of `connection` waits for a lock now: pg_stat_activity, or InnoDB's LOCK WAIT. */
  async function waitsForLock(connection: DriverConnection): Promise<boolean> {
    const sql =
      database.dialect === 'mysql'
        ? `SELECT count(*) AS n FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id = ? AND trx_state = 'LOCK WAIT'`
        : `SELECT count(*) AS n FROM pg_stat_activity WHERE pid = ? AND wait_event_type = 'Lock'`;
    const [{ n }] = await control.query<{ n: unknown }>(sql, [
      connection.processID ?? connection.threadId,
    ]);
    return Number(n) > 0;
  }

  /**
   * The verbs of the statements the call sends when nothing is cut, from the plan every run starts
   * with (reset): two uncut runs must agree, or the cut runs would be compared with another plan.
   */
  async function uncutVerbs(lossCase: LossCase): Promise<string[]> {
    const runs: string[][] = [];
    for (let run = 0; run < 2; run++) {
      await reset(lossCase);
      const { statements, error } = await callInTransaction(lossCase, undefined);
      if (error) throw error as Error;
      runs.push(verbsOf(statements));
    }
    expect(runs[1]).toEqual(runs[0]);
    return runs[0];
  }

  it.each(cases.map((c) => [c.name, c] as const))(
    "%s: ConnectionLostError wherever the connection is cut, nothing of the caller's transaction committed",
    async (_name, lossCase) => {
      const verbs = await uncutVerbs(lossCase);
      expect(verbs.length).toBeGreaterThan(0);
      const outcomes: CutOutcome[] = [];
      const expected: CutOutcome[] = [];
      for (let cut = 0; cut <= verbs.length; cut++) {
        await reset(lossCase);
        const before = await snapshot(lossCase);
        const { statements: sent, error } = await callInTransaction(lossCase, cut);
        const at = cut === 0 ? 'idle before the call' : `statement ${cut} (${verbs[cut - 1]})`;
        // The cut run sent the same statements as the uncut one up to the cut (racesafe's ROLLBACK TO SAVEPOINT may follow).
        if (cut > 0) expect(verbsOf(sent).slice(0, cut)).toEqual(verbs.slice(0, cut));
        const earlier = Number(
          (
            await control.query<{ n: unknown }>(
              `SELECT count(*) AS n FROM counters WHERE name = 'earlier write'`,
            )
          )[0].n,
        );
        // With a concurrent caller, its own committed row is no change of the caller's.
        const after = await snapshot(lossCase);
        const unchanged =
          earlier === 0 &&
          (lossCase.concurrentInsert ? !after.includes('racesafe') : after === before);
        outcomes.push({
          at,
          error:
            error instanceof Error
              ? `${error.constructor.name}: ${error.message}`
              : error === undefined
                ? 'returned'
                : typeof error,
          unchanged,
        });
        expected.push({
          at,
          error: expect.stringMatching(/^ConnectionLostError: /),
          unchanged: true,
        });
      }
      process.stdout.write(
        `${database.name} ${orm().name} ${lossCase.name}: cut idle and at ${verbs.join(', ')}: ${outcomes.map((o) => o.error.split(':')[0]).join(', ')}\n`,
      );
      expect(outcomes).toEqual(expected);
    },
  );
}
