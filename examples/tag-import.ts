// Importing tags with TypeORM: getOrCreateMany for a whole batch, several importers at once.
//
//   npm run example:tag-import
//
// Shows: repo.getOrCreateMany(lookups, { defaults }) returning [tag, created] in input order,
// duplicates in one batch sharing a row, and four importers with overlapping batches making
// one row per tag, each created exactly once, beside the find-then-insert loop that makes duplicates.
import 'reflect-metadata';
import { Column, DataSource, Entity, PrimaryGeneratedColumn } from 'typeorm';
import pg from 'pg';
import { pgWithErrorListener, raceSafe } from '@racesafe/typeorm';
import { runExample } from './run-example';

@Entity({ name: 'tags' })
export class Tag {
  @PrimaryGeneratedColumn()
  id!: number;
  @Column({ type: 'text' })
  name!: string; // UNIQUE in the table: racesafe requires it
  @Column({ type: 'text', default: 'grey' })
  color!: string;
}

/** The tables: `tags` with the unique constraint racesafe relies on, `naive_tags` without it, as many apps have. */
export const tagsSql = `
CREATE TABLE IF NOT EXISTS tags (id serial PRIMARY KEY, name text NOT NULL CONSTRAINT tags_name_key UNIQUE, color text NOT NULL DEFAULT 'grey');
CREATE TABLE IF NOT EXISTS naive_tags (id serial PRIMARY KEY, name text NOT NULL, color text NOT NULL DEFAULT 'grey')`;

// #region readme-tag-import
/** One import: every name gets its tag, new ones coloured by a function called only for them. */
export async function importTags(
  dataSource: DataSource,
  names: string[],
): Promise<{ tags: Tag[]; created: number }> {
  const tags = raceSafe(dataSource.getRepository(Tag));
  const results = await tags.getOrCreateMany(
    names.map((name) => ({ name })),
    { defaults: ({ name }) => ({ color: name?.startsWith('urgent') ? 'red' : 'grey' }) },
  );
  return {
    tags: results.map(([tag]) => tag),
    created: results.filter(([, created]) => created).length,
  };
}
// #endregion

/** What not to do: look each name up, insert the missing ones. Concurrent importers insert the same names. */
/** Row and distinct-name counts of a tag table. */
interface Counts {
  rows: number;
  names: number;
}

async function importTagsNaively(dataSource: DataSource, names: string[]): Promise<void> {
  for (const name of names) {
    const found = await dataSource.query<{ id: number }[]>(
      `SELECT id FROM naive_tags WHERE name = $1`,
      [name],
    );
    if (found.length === 0)
      await dataSource.query(`INSERT INTO naive_tags (name) VALUES ($1)`, [name]);
  }
}

/** 200 tag names, four batches of 120 that overlap, each shuffled differently. */
function batches(): string[][] {
  const names = Array.from({ length: 200 }, (_, i) => (i % 10 === 0 ? `urgent-${i}` : `tag-${i}`));
  return [0, 1, 2, 3].map((b) => {
    const batch = names.slice(b * 27, b * 27 + 120);
    return batch
      .map((name, i) => ({ name, key: (i * (b + 3) * 7919) % 1009 }))
      .sort((x, y) => x.key - y.key)
      .map((x) => x.name);
  });
}

export async function main(url: string): Promise<void> {
  const dataSource = new DataSource({
    type: 'postgres',
    url,
    driver: pgWithErrorListener(pg),
    entities: [Tag],
    logging: false,
    extra: { max: 8 },
  });
  await dataSource.initialize();
  try {
    await dataSource.query(tagsSql);
    const first = await importTags(dataSource, ['news', 'urgent-news', 'news']);
    console.log(
      `one batch with a duplicate: ${first.tags.map((t) => `${t.name}(${t.color})#${t.id}`).join(', ')}; created ${first.created}`,
    );

    const imports = await Promise.all(batches().map((batch) => importTags(dataSource, batch)));
    const [{ rows, names }] = await dataSource.query<Counts[]>(
      `SELECT count(*)::int AS rows, count(DISTINCT name)::int AS names FROM tags`,
    );
    const createdTotal = imports.reduce((sum, i) => sum + i.created, 0);
    console.log(
      `4 importers, overlapping batches: ${rows} rows for ${names} names, ${createdTotal + first.created} created in all`,
    );

    await Promise.all(batches().map((batch) => importTagsNaively(dataSource, batch)));
    const [naive] = await dataSource.query<Counts[]>(
      `SELECT count(*)::int AS rows, count(DISTINCT name)::int AS names FROM naive_tags`,
    );
    console.log(`find-then-insert loop, same batches: ${naive.rows} rows for ${naive.names} names`);
  } finally {
    await dataSource.destroy();
  }
}

if (require.main === module) runExample('tag_import', main);
