import { ConflictError, F } from '@racesafe/core';
import { type SuiteDatabase, postgres } from './databases';
import { useTestOrm } from './lifecycle';
import type { OpenTestOrm, Row } from './orm';

/**
 * Soft-deleting models (issue 9, item 5): Sequelize `paranoid: true`, TypeORM
 * `@DeleteDateColumn`. On PostgreSQL `posts` has a unique index on live rows only
 * (`WHERE deleted_at IS NULL`); MariaDB has no partial index, so there `posts_slug_live`
 * covers deleted rows too (test/schema/mysql-tables.ts). `notes` has a full unique key on both.
 */
export function describeSoftDelete(open: OpenTestOrm, database: SuiteDatabase = postgres): void {
  const { log, orm } = useTestOrm(
    open,
    async (o) => {
      await o.query(
        `INSERT INTO posts (slug, title, deleted_at) VALUES ('gone', 'deleted', ${database.nowSql})`,
      );
      await o.query(
        `INSERT INTO notes (slug, body, deleted_at) VALUES ('gone', 'deleted', ${database.nowSql})`,
      );
    },
    database,
  );
  const rows = async (sql: string) => orm().query(sql);
  const count = async (sql: string) => Number((await orm().query(sql))[0].n);
  /** The seeded soft-deleted post, as it must stay when no live row may take its slug. */
  const deletedPost = async () =>
    (
      await rows(
        `SELECT title, views, deleted_at IS NOT NULL AS deleted FROM posts WHERE slug = 'gone'`,
      )
    ).map((r: Row) => [r.title, r.views, Number(r.deleted)]);

  if (database.partialIndexes) {
    it('ignores a soft-deleted row and creates a live one when the unique key covers live rows only', async () => {
      const [post, created] = await orm().getOrCreate(
        'posts',
        { slug: 'gone' },
        { defaults: { title: 'new' } },
      );
      expect([created, post.title, post.deletedAt ?? null]).toEqual([true, 'new', null]);
      expect(
        log.statements.some((sql) =>
          /ON CONFLICT \("slug"\) WHERE (\(deleted_at IS NULL\)|deleted_at IS NULL) DO NOTHING/.test(
            sql,
          ),
        ),
      ).toBe(true);
      const [again, createdAgain] = await orm().getOrCreate('posts', { slug: 'gone' });
      expect([again.id, createdAgain]).toEqual([post.id, false]);
      expect(
        (await rows(`SELECT title FROM posts WHERE slug = 'gone' ORDER BY id`)).map(
          (r: Row) => r.title,
        ),
      ).toEqual(['deleted', 'new']);
    });

    it('creates one live row when callers race on a key over live rows only', async () => {
      const results = await Promise.all(
        Array.from({ length: 12 }, () => orm().getOrCreate('posts', { slug: 'gone' })),
      );
      expect(new Set(results.map(([row]) => row.id)).size).toBe(1);
      expect(results.filter(([, created]) => created)).toHaveLength(1);
      expect(
        await count(`SELECT count(*) AS n FROM posts WHERE slug = 'gone' AND deleted_at IS NULL`),
      ).toBe(1);
    });

    it('locks and updates only the live row in updateOrCreate', async () => {
      await orm().getOrCreate('posts', { slug: 'gone' }, { defaults: { title: 'live' } });
      const [post, created] = await orm().updateOrCreate(
        'posts',
        { slug: 'gone' },
        { defaults: { views: F('views').plus(1) }, createDefaults: { views: 1 } },
      );
      expect([created, post.title, post.views]).toEqual([false, 'live', 1]);
      expect((await rows(`SELECT views FROM posts WHERE deleted_at IS NOT NULL`))[0].views).toBe(0);
    });
  } else {
    // No partial index: posts_slug_live is a full UNIQUE (slug) here, so posts behave as notes do below.
    it('says a soft-deleted row holds the key where no partial index can leave deleted rows out, rather than returning it', async () => {
      const error = await orm()
        .getOrCreate('posts', { slug: 'gone' }, { defaults: { title: 'new' } })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConflictError);
      expect(error).toMatchObject({ constraint: 'posts_slug_live', fields: ['slug'] });
      expect((error as Error).message).toMatch(
        /soft-deleted row holds this lookup.*WHERE deleted_at IS NULL/,
      );
      // Never INSERT IGNORE or ON DUPLICATE KEY UPDATE: the latter would hand back (or revive) the deleted row (docs/database-behaviours.md#why-not-insert-ignore-or-on-duplicate-key-update).
      expect(log.statements.some((sql) => /IGNORE|ON DUPLICATE KEY/i.test(sql))).toBe(false);
      expect(await deletedPost()).toEqual([['deleted', 0, 1]]);
    });

    it('refuses every racing caller alike when a soft-deleted row holds the key, and creates one row for a free key', async () => {
      const held = await Promise.allSettled(
        Array.from({ length: 12 }, () => orm().getOrCreate('posts', { slug: 'gone' })),
      );
      expect(
        held.every(
          (o) =>
            o.status === 'rejected' &&
            o.reason instanceof ConflictError &&
            o.reason.constraint === 'posts_slug_live',
        ),
      ).toBe(true);
      expect(await deletedPost()).toEqual([['deleted', 0, 1]]);
      const results = await Promise.all(
        Array.from({ length: 12 }, () => orm().getOrCreate('posts', { slug: 'free' })),
      );
      expect(new Set(results.map(([row]) => row.id)).size).toBe(1);
      expect(results.filter(([, created]) => created)).toHaveLength(1);
      expect(
        await count(`SELECT count(*) AS n FROM posts WHERE slug = 'free' AND deleted_at IS NULL`),
      ).toBe(1);
    });

    it('neither updates nor revives the soft-deleted row in updateOrCreate', async () => {
      const error = await orm()
        .updateOrCreate(
          'posts',
          { slug: 'gone' },
          { defaults: { views: F('views').plus(1) }, createDefaults: { views: 1 } },
        )
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConflictError);
      expect(error).toMatchObject({ constraint: 'posts_slug_live', fields: ['slug'] });
      expect(await deletedPost()).toEqual([['deleted', 0, 1]]);
    });
  }

  it('says a soft-deleted row holds the key when the unique key covers deleted rows too, rather than returning it', async () => {
    const error = await orm()
      .getOrCreate('notes', { slug: 'gone' }, { defaults: { body: 'new' } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({ constraint: 'notes_slug_key', fields: ['slug'] });
    expect((error as Error).message).toMatch(
      /soft-deleted row holds this lookup.*WHERE deleted_at IS NULL/,
    );
    expect(await count(`SELECT count(*) AS n FROM notes`)).toBe(1);
  });

  it("says a soft-deleted row holds the key in updateOrCreate too, in its own transaction and in the caller's, rather than retrying", async () => {
    const upsert = (tx?: unknown) =>
      orm()
        .updateOrCreate('notes', { slug: 'gone' }, { defaults: { body: 'new' } }, tx)
        .catch((e: unknown) => e);
    const inCaller = await orm().transaction(async (tx) => {
      const error = await upsert(tx);
      await orm().insert('counters', { name: 'after' }, tx); // the caller's transaction goes on
      return error;
    });
    for (const error of [await upsert(), inCaller]) {
      expect(error).toBeInstanceOf(ConflictError);
      expect(error).toMatchObject({ constraint: 'notes_slug_key', fields: ['slug'] });
      expect((error as Error).message).toMatch(/soft-deleted row holds this lookup/);
    }
    expect(
      (await rows(`SELECT body, deleted_at IS NOT NULL AS deleted FROM notes`)).map((r: Row) => [
        r.body,
        Number(r.deleted),
      ]),
    ).toEqual([['deleted', 1]]);
    expect(await count(`SELECT count(*) AS n FROM counters WHERE name = 'after'`)).toBe(1);
  });

  it('finds and creates as usual on a soft-deleting model with a full unique key when no deleted row is in the way', async () => {
    const [note, created] = await orm().getOrCreate('notes', { slug: 'fresh' });
    const [again] = await orm().getOrCreate('notes', { slug: 'fresh' });
    expect([created, again.id]).toEqual([true, note.id]);
  });
}
