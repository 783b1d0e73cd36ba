import {
  ConflictError,
  F,
  InvalidFieldError,
  LockNotAvailableError,
  UniqueLookupRequiredError,
} from '@racesafe/core';
import { describeOnMysql } from '../harness/database';
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
    const { log, orm } = useTestOrm(
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
      expect(log.verbs()).toEqual(['SELECT']);
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
