import { ConflictError, F } from '@racesafe/core';
import { useTestOrm } from './lifecycle';
import type { OpenTestOrm, Row } from './orm';

/**
 * Soft-deleting models (issue 9, item 5): Sequelize `paranoid: true`, TypeORM
 * `@DeleteDateColumn`. `posts` has a unique index on live rows only
 * (`WHERE deleted_at IS NULL`), `notes` a full unique key.
 */
export function describeSoftDelete(open: OpenTestOrm): void {
  const { log, orm } = useTestOrm(open, async (o) => {
    await o.query(`INSERT INTO posts (slug, title, deleted_at) VALUES ('gone', 'deleted', now())`);
    await o.query(`INSERT INTO notes (slug, body, deleted_at) VALUES ('gone', 'deleted', now())`);
  });
  const rows = async (sql: string) => orm().query(sql);

  it('ignores a soft-deleted row and creates a live one when the unique key covers live rows only', async () => {
    const [post, created] = await orm().getOrCreate('posts', { slug: 'gone' }, { defaults: { title: 'new' } });
    expect([created, post.title, post.deletedAt ?? null]).toEqual([true, 'new', null]);
    expect(log.statements.some((sql) => /ON CONFLICT \("slug"\) WHERE \(deleted_at IS NULL\) DO NOTHING/.test(sql))).toBe(true);
    const [again, createdAgain] = await orm().getOrCreate('posts', { slug: 'gone' });
    expect([again.id, createdAgain]).toEqual([post.id, false]);
    expect((await rows(`SELECT title FROM posts WHERE slug = 'gone' ORDER BY id`)).map((r: Row) => r.title)).toEqual(['deleted', 'new']);
  });

  it('creates one live row when callers race on a key over live rows only', async () => {
    const results = await Promise.all(Array.from({ length: 12 }, () => orm().getOrCreate('posts', { slug: 'gone' })));
    expect(new Set(results.map(([row]) => row.id)).size).toBe(1);
    expect(results.filter(([, created]) => created)).toHaveLength(1);
    expect((await rows(`SELECT count(*)::int AS n FROM posts WHERE slug = 'gone' AND deleted_at IS NULL`))[0].n).toBe(1);
  });

  it('locks and updates only the live row in updateOrCreate', async () => {
    await orm().getOrCreate('posts', { slug: 'gone' }, { defaults: { title: 'live' } });
    const [post, created] = await orm().updateOrCreate('posts', { slug: 'gone' }, { defaults: { views: F('views').plus(1) }, createDefaults: { views: 1 } });
    expect([created, post.title, post.views]).toEqual([false, 'live', 1]);
    expect((await rows(`SELECT views FROM posts WHERE deleted_at IS NOT NULL`))[0].views).toBe(0);
  });

  it('says a soft-deleted row holds the key when the unique key covers deleted rows too, rather than returning it', async () => {
    const error = await orm().getOrCreate('notes', { slug: 'gone' }, { defaults: { body: 'new' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({ constraint: 'notes_slug_key', fields: ['slug'] });
    expect((error as Error).message).toMatch(/soft-deleted row holds this lookup.*WHERE deleted_at IS NULL/);
    expect((await rows(`SELECT count(*)::int AS n FROM notes`))[0].n).toBe(1);
  });

  it('finds and creates as usual on a soft-deleting model with a full unique key when no deleted row is in the way', async () => {
    const [note, created] = await orm().getOrCreate('notes', { slug: 'fresh' });
    const [again] = await orm().getOrCreate('notes', { slug: 'fresh' });
    expect([created, again.id]).toEqual([true, note.id]);
  });
}
