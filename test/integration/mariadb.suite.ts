import {
  ConflictError,
  F,
  InvalidFieldError,
  LockNotAvailableError,
  UniqueLookupRequiredError,
} from '@racesafe/core';
import { describeOnMysql } from '../harness/database';
import { connectMysql, waitUntilMysqlBlocked } from '../support/mysql-locks';
import { hashed } from './hooks';
import { useTestOrm } from './lifecycle';
import type { OpenTestOrm, Row } from './orm';

/**
 * The three operations on MariaDB (issue 10), the same calls as on PostgreSQL, through
 * mysql2: REPEATABLE READ by default, no RETURNING, no ON CONFLICT, key names only in
 * 1062 messages (docs/database-behaviours.md, the MySQL and MariaDB sections). Skipped, saying why, when the run has no MariaDB.
 */
export function describeOnMariadb(open: OpenTestOrm): void {
  describeOnMysql('on MariaDB', () => {
    const { db, log, orm } = useTestOrm(
      open,
      (o) => o.query(`INSERT INTO items (sku, stock) VALUES ('sku', 5)`).then(() => undefined),
      { dialect: 'mysql' },
    );
    const count = async (sql: string) => Number((await orm().query(sql))[0].n);

    it('creates the row once, then finds it in one statement', async () => {
      const [created, wasCreated] = await orm().getOrCreate(
        'users',
        { email: 'a@x' },
        { defaults: { name: 'Ann' } },
      );
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
      // A SELECT after two hits, else the compound statement: one round trip either way.
      expect([['SELECT'], ['BEGIN']]).toContainEqual(log.verbs());
    });

    it('names the other unique key of a 1062 in ConflictError, and leaves the caller transaction usable', async () => {
      await orm().getOrCreate('users', { email: 'owner@x' }, { defaults: { username: 'taken' } });
      let error: unknown;
      await orm().transaction(async (tx) => {
        await orm().insert('counters', { name: 'kept' }, tx);
        error = await orm()
          .getOrCreate('users', { email: 'thief@x' }, { defaults: { username: 'taken' } }, tx)
          .catch((e: unknown) => e);
        await orm().insert('counters', { name: 'after' }, tx);
      });
      expect(error).toBeInstanceOf(ConflictError);
      expect(error).toMatchObject({ constraint: 'users_username_key', code: '1062' });
      expect(await count(`SELECT count(*) AS n FROM counters`)).toBe(2);
      expect(await count(`SELECT count(*) AS n FROM users WHERE email = 'thief@x'`)).toBe(0);
    });

    it('finds or creates in one compound statement after a miss, in 1 round trip, and raises ConflictError for another key with nothing written', async () => {
      await orm().getOrCreate('users', { email: 'owner@x' }, { defaults: { username: 'taken' } });
      await orm().getOrCreate('users', { email: 'warm@x' }); // two misses: the compound statement next
      const sent = async (call: () => Promise<unknown>) => {
        log.clear();
        const result = await call().catch((error: unknown) => error);
        return [result, log.verbs(), log.statements[0]] as const;
      };
      const [[created, wasCreated], onCreate, sql] = (await sent(() =>
        orm().getOrCreate('users', { email: 'new@x' }, { defaults: { name: 'New' } }),
      )) as unknown as [[Row, boolean], string[], string];
      const [[found, wasCreatedAgain], onFind] = (await sent(() =>
        orm().getOrCreate('users', { email: 'new@x' }, { defaults: { name: 'Other' } }),
      )) as unknown as [[Row, boolean], string[]];
      const [error, onConflict] = await sent(() =>
        orm().getOrCreate('users', { email: 'thief@x' }, { defaults: { username: 'taken' } }),
      );
      expect([onCreate, onFind, onConflict]).toEqual([['BEGIN'], ['BEGIN'], ['BEGIN']]);
      expect(sql).toMatch(/^BEGIN NOT ATOMIC\n/);
      expect(sql).toMatch(/DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END;/);
      expect(sql).toMatch(/DECLARE EXIT HANDLER FOR 1062 BEGIN/);
      expect(sql).not.toMatch(/FOR UPDATE/);
      expect([wasCreated, created.name, wasCreatedAgain, found.id, found.name]).toEqual([
        true,
        'New',
        false,
        created.id,
        'New',
      ]);
      expect(error).toBeInstanceOf(ConflictError);
      expect(error).toMatchObject({ constraint: 'users_username_key', code: '1062' });
      expect(await count(`SELECT count(*) AS n FROM users WHERE email = 'thief@x'`)).toBe(0);
    });

    it('returns the row a concurrent creator committed while the compound INSERT waited, as found, in the same 1 round trip', async () => {
      await orm().getOrCreate('users', { email: 'warm1@x' });
      await orm().getOrCreate('users', { email: 'warm2@x' }); // two misses: the compound statement next
      const other = await connectMysql(db.url());
      try {
        await other.query('START TRANSACTION');
        await other.query(`INSERT INTO users (email, name) VALUES ('late@x', 'Winner')`);
        log.clear();
        const loser = orm().getOrCreate(
          'users',
          { email: 'late@x' },
          { defaults: { name: 'Loser' } },
        );
        // Its plain read saw no row; its INSERT (the server lists the compound statement's current one) waits on the uncommitted one.
        await waitUntilMysqlBlocked(db.url(), 'INSERT INTO `users`');
        await other.query('COMMIT');
        const [row, created] = await loser;
        expect([row.name, created, log.verbs()]).toEqual(['Winner', false, ['BEGIN']]);
      } finally {
        await other.end();
      }
    });

    it('requires a unique key on exactly the lookup columns, from information_schema', async () => {
      await expect(orm().getOrCreate('users', { name: 'no key' })).rejects.toBeInstanceOf(
        UniqueLookupRequiredError,
      );
      await expect(orm().getOrCreate('users', { email: undefined })).rejects.toBeInstanceOf(
        InvalidFieldError,
      );
    });

    it('returns one row to 20 concurrent callers, exactly one of them created it', async () => {
      const results = await Promise.all(
        Array.from({ length: 20 }, () => orm().getOrCreate('users', { email: 'race@x' })),
      );
      expect(new Set(results.map(([row]) => row.id)).size).toBe(1);
      expect(results.filter(([, created]) => created)).toHaveLength(1);
      expect(await count(`SELECT count(*) AS n FROM users`)).toBe(1);
    });

    it('runs concurrent calls in one transaction one after another (issue 8)', async () => {
      const results = await orm().transaction((tx) =>
        Promise.all(
          Array.from({ length: 5 }, () => orm().getOrCreate('users', { email: 'tag@x' }, {}, tx)),
        ),
      );
      expect(results.filter(([, created]) => created)).toHaveLength(1);
      expect(await count(`SELECT count(*) AS n FROM users`)).toBe(1);
    });

    it('creates with createDefaults, then locks and updates with F in SQL', async () => {
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
    });

    it('updates or creates in one compound statement, 1 round trip each, and updates no row that the defaults leave as it is', async () => {
      const options = { defaults: { value: F('value').plus(1) }, createDefaults: { value: 1 } };
      await orm().updateOrCreate('counters', { name: 'warm' }, options); // first call: catalog, server and sql_mode reads
      const rowsUpdated = () =>
        count(
          `SELECT VARIABLE_VALUE AS n FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'HANDLER_UPDATE'`,
        );
      const sent = async <T>(call: () => Promise<T>) => {
        log.clear();
        const result = await call();
        return [result, log.verbs(), log.statements[0]] as const;
      };
      const [[created, wasCreated], onCreate, sql] = await sent(() =>
        orm().updateOrCreate('counters', { name: 'one' }, options),
      );
      const [[updated, wasCreatedAgain], onUpdate] = await sent(() =>
        orm().updateOrCreate('counters', { name: 'one' }, options),
      );
      const before = await rowsUpdated();
      const [[same], onSame] = await sent(() =>
        orm().updateOrCreate('counters', { name: 'one' }, { defaults: { label: '' } }),
      );
      const unchanged = (await rowsUpdated()) - before;
      const [[relabelled]] = await sent(() =>
        orm().updateOrCreate('counters', { name: 'one' }, { defaults: { label: 'new' } }),
      );
      const changed = (await rowsUpdated()) - before - unchanged;
      expect([onCreate, onUpdate, onSame]).toEqual([['BEGIN'], ['BEGIN'], ['BEGIN']]);
      expect(sql).toMatch(/^BEGIN NOT ATOMIC\n/);
      expect(sql).toMatch(/DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END;/);
      expect(sql).toMatch(
        /START TRANSACTION;[\s\S]*FOR UPDATE;[\s\S]*INSERT INTO[\s\S]*COMMIT;\nEND$/,
      );
      expect([wasCreated, created.value, wasCreatedAgain, updated.id, updated.value]).toEqual([
        true,
        1,
        false,
        created.id,
        2,
      ]);
      expect([same.value, same.label, relabelled.label]).toEqual([2, '', 'new']);
      expect([unchanged, changed]).toEqual([0, 1]);
    });

    it('raises ConflictError naming the other unique key of a 1062 from the compound INSERT and UPDATE, nothing written, in 1 round trip', async () => {
      await orm().getOrCreate('users', { email: 'owner@x' }, { defaults: { username: 'taken' } });
      await orm().updateOrCreate('users', { email: 'other@x' }, { defaults: { name: 'Other' } });
      log.clear();
      const onCreate = await orm()
        .updateOrCreate('users', { email: 'thief@x' }, { defaults: { username: 'taken' } })
        .catch((e: unknown) => e);
      const createVerbs = log.verbs();
      log.clear();
      const onUpdate = await orm()
        .updateOrCreate('users', { email: 'other@x' }, { defaults: { username: 'taken' } })
        .catch((e: unknown) => e);
      const updateVerbs = log.verbs();
      for (const error of [onCreate, onUpdate]) {
        expect(error).toBeInstanceOf(ConflictError);
        expect(error).toMatchObject({ constraint: 'users_username_key', code: '1062' });
      }
      expect([createVerbs, updateVerbs]).toEqual([['BEGIN'], ['BEGIN']]);
      expect(await count(`SELECT count(*) AS n FROM users WHERE email = 'thief@x'`)).toBe(0);
      expect(await count(`SELECT count(*) AS n FROM users WHERE username = 'taken'`)).toBe(1);
      // The handler rolled racesafe's transaction back: the pooled connections hold none open.
      const [row, created] = await orm().updateOrCreate(
        'users',
        { email: 'other@x' },
        { defaults: { username: 'free' } },
      );
      expect([created, row.username, row.name]).toEqual([false, 'free', 'Other']);
    });

    it('creates and updates in your transaction with one compound statement of no handler or transaction control, and a 1062 there leaves your transaction usable', async () => {
      await orm().getOrCreate('users', { email: 'owner@x' }, { defaults: { username: 'taken' } });
      const options = { defaults: { logins: F('logins').plus(1) }, createDefaults: { logins: 1 } };
      await orm().updateOrCreate('users', { email: 'warm@x' }, options); // first call: catalog, server and sql_mode reads
      log.clear();
      const [[created, wasCreated], [updated, wasCreatedAgain], error] = await orm().transaction(
        async (tx) =>
          [
            await orm().updateOrCreate('users', { email: 'tx@x' }, options, tx),
            await orm().updateOrCreate('users', { email: 'tx@x' }, options, tx),
            await orm()
              .updateOrCreate('users', { email: 'tx2@x' }, { defaults: { username: 'taken' } }, tx)
              .catch((e: unknown) => e),
          ] as const,
      );
      expect(log.verbs()).toEqual(['START', 'BEGIN', 'BEGIN', 'BEGIN', 'COMMIT']);
      expect(log.statements.slice(1, 4).some((sql) => /START TRANSACTION;|HANDLER/.test(sql))).toBe(
        false,
      );
      expect([wasCreated, created.logins, wasCreatedAgain, updated.logins]).toEqual([
        true,
        1,
        false,
        2,
      ]);
      expect(error).toMatchObject({ name: 'ConflictError', constraint: 'users_username_key' });
      expect(await count(`SELECT logins AS n FROM users WHERE email = 'tx@x'`)).toBe(2);
      expect(await count(`SELECT count(*) AS n FROM users WHERE email = 'tx2@x'`)).toBe(0);
    });

    it('fails at once with LockNotAvailableError under nowait, and the caller transaction goes on', async () => {
      await orm().getOrCreate('counters', { name: 'held' });
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => (locked = resolve));
      const holder = orm().transaction(async (tx) => {
        await orm().updateOrCreate('counters', { name: 'held' }, { defaults: { label: 'A' } }, tx);
        locked();
        await released;
      });
      await isLocked;
      const attempt = orm().transaction(async (tx) => {
        const failure = await orm()
          .updateOrCreate(
            'counters',
            { name: 'held' },
            { defaults: { label: 'B' }, nowait: true },
            tx,
          )
          .catch((e: unknown) => e);
        // A name after 'held': InnoDB's next-key lock on 'held' also covers the gap below it (docs/database-behaviours.md#mysql-gap-locks-deadlock-two-inserts).
        await orm().insert('counters', { name: 'zz-after' }, tx);
        return failure;
      });
      const error = await attempt.finally(release);
      await holder;
      expect(error).toBeInstanceOf(LockNotAvailableError);
      expect(await count(`SELECT count(*) AS n FROM counters WHERE name = 'zz-after'`)).toBe(1);
    });

    it('applies F and guards in one UPDATE, and returns the rows as stored without UPDATE ... RETURNING', async () => {
      const { guard } = orm();
      expect(
        await orm().atomicUpdate(
          'items',
          { sku: 'sku', stock: guard.gte(9) },
          { stock: F('stock').minus(1) },
        ),
      ).toBe(0);
      expect(
        await orm().atomicUpdate('items', { sku: 'sku' }, { stock: F('stock').minus(2) }),
      ).toBe(1);
      const rows = (await orm().atomicUpdate(
        'items',
        { sku: 'sku' },
        { stock: F('stock').times(2) },
        { returning: true },
      )) as Row[];
      expect(rows.map((r) => r.stock)).toEqual([6]);
      expect(await count(`SELECT stock AS n FROM items WHERE sku = 'sku'`)).toBe(6);
    });

    it("runs the models' hooks on the miss path, as on PostgreSQL", async () => {
      const [row] = await orm().getOrCreate(
        'accounts',
        { email: 'hook@x.io' },
        { defaults: { password: 'secret', name: 'Hook' } },
      );
      expect(row.password).toBe(hashed('secret'));
      expect(
        (await orm().query(`SELECT event FROM audit ORDER BY id`)).map((r: Row) => r.event),
      ).toEqual(['beforeCreate', 'afterCreate']);
    });
  });
}
