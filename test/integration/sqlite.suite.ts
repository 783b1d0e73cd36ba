import { F, InvalidFieldError, RetryableError } from '@racesafe/core';
import { openSqliteConnection } from '../harness/sqlite-database';
import { openSqliteSqlClient, sqliteWriteLockHeld } from '../support/sqlite-locks';
import { useTestOrm } from './lifecycle';
import type { OpenTestOrm } from './orm';

/**
 * What only SQLite has (issue 11), on a file database in WAL mode; the shared suites run on
 * SQLite too (test/integration/databases.ts, profile `sqlite`). No row locks: racesafe's own
 * transactions begin IMMEDIATE, and what waits is a writer for the database's write lock
 * (SQLITE_BUSY when not granted within the busy timeout, at once for a stale snapshot: TRAPS
 * T18). A second connection (node-sqlite3) plays another process's writer.
 */
export function describeOnSqlite(open: OpenTestOrm): void {
  describe('on SQLite', () => {
    const { db, log, orm } = useTestOrm(open, (o) => o.query(`INSERT INTO items (sku, stock) VALUES ('sku', 5)`).then(() => undefined), { dialect: 'sqlite' });
    const count = async (sql: string) => Number((await orm().query(sql))[0].n);

    it('creates the row with one INSERT ... ON CONFLICT DO NOTHING RETURNING, then finds it in one statement', async () => {
      const [created, wasCreated] = await orm().getOrCreate('users', { email: 'a@x' }, { defaults: { name: 'Ann' } });
      const insert = log.statements.find((sql) => /INSERT INTO/.test(sql));
      log.clear();
      const [found, wasCreatedAgain] = await orm().getOrCreate('users', { email: 'a@x' }, { defaults: { name: 'Other' } });
      expect([wasCreated, wasCreatedAgain, found.id, found.name]).toEqual([true, false, created.id, 'Ann']);
      expect(insert).toMatch(/ON CONFLICT \(["`]?email["`]?\) DO NOTHING RETURNING \*$/);
      expect(log.verbs()).toEqual(['SELECT']);
    });

    it('creates with createDefaults, then updates with F in SQL, in transactions that begin IMMEDIATE and lock no rows', async () => {
      const options = { defaults: { value: F('value').plus(1), label: 'again' }, createDefaults: { value: 1, label: 'first' } };
      const [created, wasCreated] = await orm().updateOrCreate('counters', { name: 'c' }, options);
      const [updated, wasCreatedAgain] = await orm().updateOrCreate('counters', { name: 'c' }, options);
      expect([wasCreated, created.value, created.label]).toEqual([true, 1, 'first']);
      expect([wasCreatedAgain, updated.id, updated.value, updated.label]).toEqual([false, created.id, 2, 'again']);
      expect(log.statements.filter((sql) => /^BEGIN IMMEDIATE/i.test(sql.trim()))).toHaveLength(2);
      expect(log.statements.filter((sql) => /FOR (NO KEY )?UPDATE|FOR SHARE/i.test(sql))).toEqual([]);
    });

    it.each([
      ['nowait', { nowait: true }],
      ['lockTimeoutMs', { lockTimeoutMs: 50 }],
    ])('refuses %s by name before writing anything: SQLite has no row lock to wait for', async (option, lockOption) => {
      const error = await orm().updateOrCreate('counters', { name: 'n' }, { defaults: { label: 'x' }, ...lockOption }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidFieldError);
      expect(error).toMatchObject({ fields: [option] });
      expect(await count(`SELECT count(*) AS n FROM counters`)).toBe(0);
    });

    describe('while another connection holds the write lock (BEGIN IMMEDIATE)', () => {
      const increment = { defaults: { value: F('value').plus(1) }, createDefaults: { value: 1 } };
      // A short busy timeout on the ORM's connection (TypeORM's one; Sequelize's own per transaction keep node-sqlite3's 1000 ms).
      let busyTimeoutBefore: unknown;
      beforeEach(async () => {
        busyTimeoutBefore = (await orm().query('SELECT timeout AS value FROM pragma_busy_timeout'))[0].value;
        await orm().query('PRAGMA busy_timeout = 100');
      });
      afterEach(() => orm().query(`PRAGMA busy_timeout = ${Number(busyTimeoutBefore)}`));

      it('surfaces SQLITE_BUSY as RetryableError once its attempts are spent, never a raw "database is locked"', async () => {
        const holder = await openSqliteSqlClient(db.url());
        try {
          await holder.query('BEGIN IMMEDIATE');
          const error = await orm().updateOrCreate('counters', { name: 'busy' }, { ...increment, retry: { attempts: 2, baseDelayMs: 1 } }).catch((e: unknown) => e);
          expect(error).toBeInstanceOf(RetryableError);
          expect(error).toMatchObject({ code: expect.stringMatching(/^SQLITE_BUSY/) });
          expect((error as Error).cause).toBeDefined();
          // Each attempt was a transaction of racesafe's own that could not begin.
          expect(log.statements.filter((sql) => /^BEGIN IMMEDIATE/i.test(sql.trim())).length).toBeGreaterThanOrEqual(2);
        } finally {
          await holder.query('ROLLBACK');
          await holder.end();
        }
        expect(await count(`SELECT count(*) AS n FROM counters`)).toBe(0);
      });

      it('retries its own transaction after a real SQLITE_BUSY and succeeds once the other writer commits', async () => {
        const holder = await openSqliteSqlClient(db.url());
        try {
          await holder.query('BEGIN IMMEDIATE');
          await holder.query(`INSERT INTO counters (name, value) VALUES ('busy', 10)`);
          const call = orm().updateOrCreate('counters', { name: 'busy' }, { ...increment, retry: { attempts: 50, baseDelayMs: 20 } });
          // A BEGIN IMMEDIATE sent again: the first one met SQLITE_BUSY (the holder has not let go).
          const deadline = Date.now() + 30_000;
          while (log.statements.filter((sql) => /^BEGIN IMMEDIATE/i.test(sql.trim())).length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
          expect(await sqliteWriteLockHeld(db.url())).toBe(true);
          await holder.query('COMMIT');
          const [row, created] = await call;
          // It applied on top of the holder's committed row: nothing lost, nothing created twice.
          expect([created, row.value]).toEqual([false, 11]);
        } finally {
          await holder.end();
        }
        expect(await count(`SELECT count(*) AS n FROM counters WHERE name = 'busy'`)).toBe(1);
      });
    });

    it('turns the failed upgrade of your deferred transaction, after another connection committed, into RetryableError (TRAPS T18)', async () => {
      const other = await openSqliteConnection(db.url());
      try {
        const error = await orm().transaction(async (tx) => {
          // The read starts this transaction's snapshot; the other connection's commit makes it stale.
          await orm().query(`SELECT count(*) AS n FROM counters`, tx);
          await other.query(`INSERT INTO audit (event) VALUES (?)`, ['outside']);
          return orm().getOrCreate('counters', { name: 'late' }, {}, tx).catch((e: unknown) => e);
        });
        expect(error).toBeInstanceOf(RetryableError);
        // SQLITE_BUSY_SNAPSHOT from better-sqlite3; node-sqlite3 reports the primary code only.
        expect((error as RetryableError).code).toMatch(/^SQLITE_BUSY(_SNAPSHOT)?$/);
      } finally {
        await other.close();
      }
      expect(await count(`SELECT count(*) AS n FROM counters WHERE name = 'late'`)).toBe(0);
      expect(await count(`SELECT count(*) AS n FROM audit`)).toBe(1);
    });
  });
}
