import { ConflictError, DatabaseError, F, InvalidFieldError, RetryableError, UniqueLookupRequiredError } from '@racesafe/core';
import { openSqliteConnection } from '../harness/sqlite-database';
import { hashed } from './hooks';
import { useTestOrm } from './lifecycle';
import type { OpenTestOrm, Row } from './orm';

/**
 * The three operations on SQLite (issue 11), the same calls as on PostgreSQL, on a file
 * database in WAL mode: no row locks (racesafe's own transactions begin IMMEDIATE), keys named
 * by columns in errors and mapped to their index from the catalog, division by zero as NULL
 * (TRAPS T17, T18, T27). The ORM's connection is one; a second one (node-sqlite3) plays
 * another process's writer.
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

    it('names the other unique index in ConflictError (SQLite reports columns), and leaves the caller transaction usable', async () => {
      await orm().getOrCreate('users', { email: 'owner@x' }, { defaults: { username: 'taken' } });
      let error: unknown;
      await orm().transaction(async (tx) => {
        await orm().insert('counters', { name: 'kept' }, tx);
        error = await orm().getOrCreate('users', { email: 'thief@x' }, { defaults: { username: 'taken' } }, tx).catch((e: unknown) => e);
        await orm().insert('counters', { name: 'after' }, tx);
      });
      expect(error).toBeInstanceOf(ConflictError);
      expect(error).toMatchObject({ constraint: 'users_username_key', fields: ['username'] });
      // better-sqlite3 gives the extended code, node-sqlite3 only the primary one.
      expect((error as ConflictError).code).toMatch(/^SQLITE_CONSTRAINT(_UNIQUE)?$/);
      expect(await count(`SELECT count(*) AS n FROM counters`)).toBe(2);
      expect(await count(`SELECT count(*) AS n FROM users WHERE email = 'thief@x'`)).toBe(0);
    });

    it('requires a unique index on exactly the lookup columns, from pragma_index_list', async () => {
      await expect(orm().getOrCreate('users', { name: 'no key' })).rejects.toBeInstanceOf(UniqueLookupRequiredError);
      await expect(orm().getOrCreate('memberships', { org: 'o' })).rejects.toBeInstanceOf(UniqueLookupRequiredError);
      await expect(orm().getOrCreate('users', { email: undefined })).rejects.toBeInstanceOf(InvalidFieldError);
      expect(await count(`SELECT count(*) AS n FROM users`)).toBe(0);
    });

    it('returns one row to 20 concurrent callers, exactly one of them created it', async () => {
      const results = await Promise.all(Array.from({ length: 20 }, () => orm().getOrCreate('users', { email: 'race@x' })));
      expect(new Set(results.map(([row]) => row.id)).size).toBe(1);
      expect(results.filter(([, created]) => created)).toHaveLength(1);
      expect(await count(`SELECT count(*) AS n FROM users`)).toBe(1);
    });

    it('runs concurrent calls in one transaction one after another (issue 8)', async () => {
      const results = await orm().transaction((tx) => Promise.all(Array.from({ length: 5 }, () => orm().getOrCreate('users', { email: 'tag@x' }, {}, tx))));
      expect(results.filter(([, created]) => created)).toHaveLength(1);
      expect(await count(`SELECT count(*) AS n FROM users`)).toBe(1);
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

    it('refuses nowait by name before writing anything: SQLite has no row lock to wait for', async () => {
      const error = await orm().updateOrCreate('counters', { name: 'n' }, { defaults: { label: 'x' }, nowait: true }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidFieldError);
      expect(error).toMatchObject({ fields: ['nowait'] });
      expect(await count(`SELECT count(*) AS n FROM counters`)).toBe(0);
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

    it('applies F and guards in one UPDATE, and returns the rows as stored through RETURNING', async () => {
      const { guard } = orm();
      expect(await orm().atomicUpdate('items', { sku: 'sku', stock: guard.gte(9) }, { stock: F('stock').minus(1) })).toBe(0);
      expect(await orm().atomicUpdate('items', { sku: 'sku' }, { stock: F('stock').minus(2) })).toBe(1);
      log.clear();
      const rows = (await orm().atomicUpdate('items', { sku: 'sku' }, { stock: F('stock').times(2) }, { returning: true })) as Row[];
      expect(rows.map((r) => r.stock)).toEqual([6]);
      expect(log.verbs()).toEqual(['UPDATE']);
      expect(await count(`SELECT stock AS n FROM items WHERE sku = 'sku'`)).toBe(6);
    });

    it('divides whole numbers as PostgreSQL does, though better-sqlite3 binds every number as REAL', async () => {
      expect(await orm().atomicUpdate('items', { sku: 'sku' }, { stock: F('stock').div(2) })).toBe(1);
      expect(await count(`SELECT stock AS n FROM items WHERE sku = 'sku'`)).toBe(2);
    });

    it('fails, writing nothing, when F division by zero would store NULL in a NOT NULL column (TRAPS T17)', async () => {
      const error = await orm().atomicUpdate('items', { sku: 'sku' }, { stock: F('stock').div(0) }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DatabaseError);
      expect((error as DatabaseError).code).toMatch(/^SQLITE_CONSTRAINT(_NOTNULL)?$/);
      expect(await count(`SELECT stock AS n FROM items WHERE sku = 'sku'`)).toBe(5);
    });

    it("runs the models' hooks on the miss path, as on PostgreSQL", async () => {
      const [row] = await orm().getOrCreate('accounts', { email: 'hook@x.io' }, { defaults: { password: 'secret', name: 'Hook' } });
      expect(row.password).toBe(hashed('secret'));
      expect((await orm().query(`SELECT event FROM audit ORDER BY id`)).map((r: Row) => r.event)).toEqual(['beforeCreate', 'afterCreate']);
    });
  });
}
