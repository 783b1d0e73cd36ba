// Page-view counters with Sequelize: getOrCreate the page row, then add to it in SQL.
//
//   npm run example:page-views
//
// Shows: RaceSafeModel, getOrCreate of a row many requests create at once, and
// atomicUpdate with F('views').plus(1) losing no increment, beside the read-modify-write
// that loses most of them.
import { DataTypes, Sequelize } from 'sequelize';
import { runExample } from './run-example';

// #region readme-sequelize
import type { CreationOptional, InferAttributes, InferCreationAttributes } from 'sequelize';
import { F, RaceSafeModel } from '@racesafe/sequelize';

export class Page extends RaceSafeModel<InferAttributes<Page>, InferCreationAttributes<Page>> {
  declare id: CreationOptional<number>;
  declare path: string; // UNIQUE in the table: racesafe requires it
  declare views: CreationOptional<number>;
}

export async function recordView(path: string): Promise<void> {
  const [page] = await Page.getOrCreate({ where: { path } }); // one row per path, however many requests race
  await Page.atomicUpdate({ views: F('views').plus(1) }, { where: { id: page.id } }); // UPDATE ... SET views = views + $1
}
// #endregion

/** The table, with the unique constraint racesafe relies on. */
export const pagesSql = `
CREATE TABLE IF NOT EXISTS pages (
  id serial PRIMARY KEY,
  path text NOT NULL CONSTRAINT pages_path_key UNIQUE,
  views integer NOT NULL DEFAULT 0
)`;

// #region readme-sequelize-setup
import pg from 'pg';
import { pgWithErrorListener } from '@racesafe/sequelize';

// pg with an 'error' listener on every client: a session the server ends (failover, restart) cannot crash the process.
export const openSequelize = (url: string) =>
  new Sequelize(url, {
    dialect: 'postgres',
    dialectModule: pgWithErrorListener(pg),
    logging: false,
  });
// #endregion

// #region readme-returning
/** Adds one view and returns the count the database stored, in one statement. */
export async function countView(path: string): Promise<number> {
  const [page] = await Page.atomicUpdate(
    { views: F('views').plus(1) },
    { where: { path }, returning: true },
  );
  return page ? page.views : 0; // no row: the page was never created
}
// #endregion

/** What not to do: read, add in JavaScript, write back. Concurrent callers overwrite each other. */
async function recordViewNaively(path: string): Promise<void> {
  const page = await Page.findOne({ where: { path }, rejectOnEmpty: true });
  // eslint-disable-next-line racesafe/no-read-modify-write -- the lost update this example measures, on purpose
  await page.update({ views: page.views + 1 });
}

export async function main(url: string): Promise<void> {
  const sequelize = openSequelize(url);
  try {
    Page.init(
      {
        id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
        path: { type: DataTypes.TEXT, allowNull: false },
        views: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      },
      { sequelize, tableName: 'pages', timestamps: false },
    );
    await sequelize.query(pagesSql);

    // 300 requests for 3 pages, all at once: each page row is created by exactly one of them.
    const paths = ['/', '/pricing', '/docs'];
    const requests = 300;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: requests }, (_, i) => recordView(paths[i % paths.length])),
    );
    const pages = await Page.findAll({ where: { path: paths }, order: [['path', 'ASC']] });
    const total = pages.reduce((sum, page) => sum + page.views, 0);
    for (const page of pages) console.log(`${page.path.padEnd(9)} ${page.views} views`);
    console.log(
      `racesafe: ${requests} concurrent views of ${paths.length} pages in ${Date.now() - started} ms -> ${pages.length} rows, ${total} views, ${requests - total} lost`,
    );

    // One more view, with the stored count handed back by RETURNING.
    console.log(`one more view of /pricing: the database now says ${await countView('/pricing')}`);

    // The same load through read-modify-write on a fresh page.
    await Page.getOrCreate({ where: { path: '/naive' } });
    await Promise.all(Array.from({ length: requests }, () => recordViewNaively('/naive')));
    const naive = await Page.findOne({ where: { path: '/naive' }, rejectOnEmpty: true });
    console.log(
      `read-modify-write: ${requests} concurrent views -> ${naive.views} views, ${requests - naive.views} lost`,
    );
  } finally {
    await sequelize.close();
  }
}

if (require.main === module) runExample('page_views', main);
