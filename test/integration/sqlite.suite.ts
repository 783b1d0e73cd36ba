import { F, InvalidFieldError, RetryableError } from '@racesafe/core';
import { sqliteSchemaSql } from '../schema/sqlite-tables';
import { StatementLog } from '../support/statement-log';
import { openSqliteSqlClient, sqliteWriteLockHeld } from '../support/sqlite-locks';
import { useTestOrm } from './lifecycle';
import { type OpenTestOrm, type TestOrm, connectionsOf } from './orm';

/**
 * What only SQLite has (issue 11), on a file database in WAL mode; the shared suites run on
 * SQLite too (test/integration/databases.ts, profile `sqlite`). No row locks: racesafe's own
 * transactions begin IMMEDIATE, and what waits is a writer for the database's write lock
 * (SQLITE_BUSY when not granted within the busy timeout, at once for a stale snapshot:
 * docs/database-behaviours.md#sqlite-a-reader-cannot-become-a-writer-after-another-commit).
 * A second connection (node-sqlite3) plays another process's writer.
 */
export function describeOnSqlite(open: OpenTestOrm): void {
  describe('on SQLite', () => {
    const { db, log, orm } = useTestOrm(
      open,
      (o) => o.query(`INSERT INTO items (sku, stock) VALUES ('sku', 5)`).then(() => undefined),
      { dialect: 'sqlite' },
    );
    const count = async (sql: string) => Number((await orm().query(sql))[0].n);
    const connections = connectionsOf(open, 'sqlite');

    it('creates the row with one INSERT ... ON CONFLICT DO NOTHING RETURNING, then finds it in one statement', async () => {
      const [created, wasCreated] = await orm().getOrCreate(
        'users',
        { email: 'a@x' },
        { defaults: { name: 'Ann' } },
      );
      const insert = log.statements.find((sql) => /INSERT INTO/.test(sql));
      log.clear();
      const [found, wasCreatedAgain] = await orm().getOrCreate(
        'users',
        { email: 'a@x' },
        { defaults: { name: 'Other' } },
      );
      expect([wasCreated, wasCreatedAgain, found.id, found.name]).toEqual([
        true,
        false,
        created.id,
        'Ann',
      ]);
      expect(insert).toMatch(/ON CONFLICT \(["`]?email["`]?\) DO NOTHING RETURNING \*$/);
      expect(log.verbs()).toEqual(['SELECT']);
    });

    it('creates with createDefaults, then updates with F in SQL, in transactions that begin IMMEDIATE and lock no rows', async () => {
      const options = {
        defaults: { value: F('value').plus(1), label: 'again' },
        createDefaults: { value: 1, label: 'first' },
      };
      const [created, wasCreated] = await orm().updateOrCreate('counters', { name: 'c' }, options);
      const [updated, wasCreatedAgain] = await orm().updateOrCreate(
        'counters',
        { name: 'c' },
        options,
      );
      expect([wasCreated, created.value, created.label]).toEqual([true, 1, 'first']);
      expect([wasCreatedAgain, updated.id, updated.value, updated.label]).toEqual([
        false,
        created.id,
        2,
        'again',
      ]);
      expect(log.statements.filter((sql) => /^BEGIN IMMEDIATE/i.test(sql.trim()))).toHaveLength(2);
      expect(log.statements.filter((sql) => /FOR (NO KEY )?UPDATE|FOR SHARE/i.test(sql))).toEqual(
        [],
      );
    });

    it('refuses, before any statement, an F expression that is not whole for an integer column (SQLite would store the fraction)', async () => {
      await orm().getOrCreate('counters', { name: 'f' }, { defaults: { value: 9, ratio: 1.5 } });
      log.clear();
      const refusals = await Promise.all([
        orm()
          .atomicUpdate('counters', { name: 'f' }, { value: F('value').div(2.5) })
          .catch((e: unknown) => e),
        orm()
          .atomicUpdate(
            'counters',
            { name: 'f' },
            { value: F('value').plus(F('ratio')), viewCount: F('viewCount').times(0.5) },
          )
          .catch((e: unknown) => e),
      ]);
      expect(refusals[0]).toBeInstanceOf(InvalidFieldError);
      expect(refusals[0]).toMatchObject({ fields: ['value'] });
      expect(refusals[1]).toMatchObject({
        name: 'InvalidFieldError',
        fields: ['value', 'viewCount'],
      });
      expect(log.statements).toEqual([]);
      // Whole operands divide as PostgreSQL's integers (truncating); a REAL column takes any operand.
      const [row] = (await orm().atomicUpdate(
        'counters',
        { name: 'f' },
        { value: F('value').div(2), ratio: F('ratio').times(F('value')).div(2.5) },
        { returning: true },
      )) as Record<string, unknown>[];
      expect([row.value, row.ratio]).toEqual([4, 5.4]);
    });

    describe('while another connection holds the write lock (BEGIN IMMEDIATE)', () => {
      const increment = { defaults: { value: F('value').plus(1) }, createDefaults: { value: 1 } };
      // A short busy timeout on the ORM's connection (TypeORM's one; Sequelize's own per transaction keep node-sqlite3's 1000 ms).
      let busyTimeoutBefore: unknown;
      beforeEach(async () => {
        busyTimeoutBefore = (
          await orm().query('SELECT timeout AS value FROM pragma_busy_timeout')
        )[0].value;
        await orm().query('PRAGMA busy_timeout = 100');
      });
      afterEach(() => orm().query(`PRAGMA busy_timeout = ${Number(busyTimeoutBefore)}`));

      it('surfaces SQLITE_BUSY as RetryableError once its attempts are spent, never a raw "database is locked"', async () => {
        const holder = await openSqliteSqlClient(db.url());
        try {
          await holder.query('BEGIN IMMEDIATE');
          const error = await orm()
            .updateOrCreate(
              'counters',
              { name: 'busy' },
              { ...increment, retry: { attempts: 2, baseDelayMs: 1 } },
            )
            .catch((e: unknown) => e);
          expect(error).toBeInstanceOf(RetryableError);
          expect(error).toMatchObject({ code: expect.stringMatching(/^SQLITE_BUSY/) });
          expect((error as Error).cause).toBeDefined();
          // Each attempt was a transaction of racesafe's own that could not begin.
          expect(
            log.statements.filter((sql) => /^BEGIN IMMEDIATE/i.test(sql.trim())).length,
          ).toBeGreaterThanOrEqual(2);
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
          const call = orm().updateOrCreate(
            'counters',
            { name: 'busy' },
            { ...increment, retry: { attempts: 50, baseDelayMs: 20 } },
          );
          // A BEGIN IMMEDIATE sent again: the first one met SQLITE_BUSY (the holder has not let go).
          const deadline = Date.now() + 30_000;
          while (
            log.statements.filter((sql) => /^BEGIN IMMEDIATE/i.test(sql.trim())).length < 2 &&
            Date.now() < deadline
          )
            await new Promise((resolve) => setTimeout(resolve, 5));
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

    it('turns the failed upgrade of your deferred transaction, after another connection committed, into RetryableError', async () => {
      const other = await openSqliteSqlClient(db.url());
      try {
        const error = await orm().transaction(async (tx) => {
          // The read starts this transaction's snapshot; the other connection's commit makes it stale.
          await orm().query(`SELECT count(*) AS n FROM counters`, tx);
          await other.query(`INSERT INTO audit (event) VALUES (?)`, ['outside']);
          return orm()
            .getOrCreate('counters', { name: 'late' }, {}, tx)
            .catch((e: unknown) => e);
        });
        expect(error).toBeInstanceOf(RetryableError);
        // SQLITE_BUSY_SNAPSHOT from better-sqlite3; node-sqlite3 reports the primary code only.
        expect((error as RetryableError).code).toMatch(/^SQLITE_BUSY(_SNAPSHOT)?$/);
      } finally {
        await other.end();
      }
      expect(await count(`SELECT count(*) AS n FROM counters WHERE name = 'late'`)).toBe(0);
      expect(await count(`SELECT count(*) AS n FROM audit`)).toBe(1);
    });

    // TypeORM's SQLite drivers run every statement of a data source on one connection: a call through a repository that is
    // not bound to your open transaction (no withRepository) still lands in it. Elsewhere it has a connection of its own.
    it(`runs a call made without your transaction, while it is open, ${connections.oneConnection ? 'inside it, as yours (no retry)' : 'in a transaction of its own'}`, async () => {
      const other = await openSqliteSqlClient(db.url());
      let outcome: unknown;
      try {
        log.clear();
        await orm().transaction(async (tx) => {
          await orm().query(`SELECT count(*) AS n FROM counters`, tx);
          // Your snapshot is stale now: a write in your transaction can only fail (SQLITE_BUSY_SNAPSHOT).
          await other.query(`INSERT INTO audit (event) VALUES ('outside')`);
          outcome = await orm()
            .updateOrCreate(
              'counters',
              { name: 'unbound' },
              {
                defaults: { value: F('value').plus(1) },
                createDefaults: { value: 1 },
                retry: { attempts: 3, baseDelayMs: 1 },
              },
            )
            .catch((e: unknown) => e);
        });
      } finally {
        await other.end();
      }
      const writes = log.verbs().filter((verb) => verb === 'INSERT' || verb === 'UPDATE');
      if (connections.oneConnection) {
        // Your transaction's failure to retry, not racesafe's: one attempt, no BEGIN of its own, no TypeORM savepoint standing for one.
        expect(outcome).toBeInstanceOf(RetryableError);
        expect(writes).toHaveLength(1);
        expect(
          log.statements.filter((sql) => /^BEGIN IMMEDIATE|^SAVEPOINT typeorm_/i.test(sql.trim())),
        ).toEqual([]);
        expect(await count(`SELECT count(*) AS n FROM counters WHERE name = 'unbound'`)).toBe(0);
      } else {
        // Its own connection, BEGIN IMMEDIATE, committed whatever your transaction does.
        expect((outcome as [Record<string, unknown>, boolean])[1]).toBe(true);
        expect(await count(`SELECT count(*) AS n FROM counters WHERE name = 'unbound'`)).toBe(1);
      }
    });
  });

  describe('on :memory:, where an ORM has one connection for everything', () => {
    let memory: TestOrm;
    const memoryLog = new StatementLog();
    beforeAll(async () => {
      memory = await open('sqlite::memory:', { onQuery: memoryLog.record });
      for (const sql of sqliteSchemaStatements) await memory.query(sql);
    });
    afterAll(() => memory.close());

    it("runs concurrent calls that open transactions of racesafe's own one after another on that connection", async () => {
      const increment = { defaults: { value: F('value').plus(1) }, createDefaults: { value: 1 } };
      const calls = [
        ...Array.from({ length: 6 }, () =>
          memory.updateOrCreate('counters', { name: 'hot' }, increment),
        ),
        ...Array.from({ length: 4 }, (_, n) =>
          memory.updateOrCreate('counters', { name: `key-${n}` }, increment),
        ),
      ];
      const results = await Promise.all(calls);
      expect(results.slice(0, 6).filter(([, created]) => created)).toHaveLength(1);
      expect(
        results
          .slice(0, 6)
          .map(([row]) => row.value)
          .sort(),
      ).toEqual([1, 2, 3, 4, 5, 6]);
      expect(results.slice(6).every(([row, created]) => created && row.value === 1)).toBe(true);
      expect(
        (await memory.query(`SELECT name, value FROM counters ORDER BY name`)).map(
          (r) => `${r.name as string}=${r.value as number}`,
        ),
      ).toEqual(['hot=6', 'key-0=1', 'key-1=1', 'key-2=1', 'key-3=1']);
      // Ten transactions, none inside another: every BEGIN IMMEDIATE is followed by its COMMIT before the next BEGIN.
      const bounds = memoryLog.verbs().filter((verb) => verb === 'BEGIN' || verb === 'COMMIT');
      expect(bounds).toEqual(Array.from({ length: 10 }, () => ['BEGIN', 'COMMIT']).flat());
    });
  });
}

/** The shared schema one statement at a time (an ORM's query() runs one), for a `:memory:` database. */
const sqliteSchemaStatements = sqliteSchemaSql
  .split(';')
  .map((sql) => sql.replace(/^\s*--.*$/gm, '').trim())
  .filter((sql) => sql.length > 0 && !/^PRAGMA/i.test(sql));
