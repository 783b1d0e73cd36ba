// The operations a user's program runs, written once for the CommonJS and ES module entry
// scripts (consumer.cjs, consumer.mjs): each loads @racesafe/<orm> and the ORM its own way
// and passes the modules in. Runs against the `pages` table of packaging-consumer.test.ts.
'use strict';

/** Connects, runs getOrCreate / updateOrCreate / atomicUpdate and a ConflictError; returns what happened. */
async function run(orm, url, tag, modules) {
  const ops = orm === 'typeorm' ? await typeormOps(url, modules) : await sequelizeOps(url, modules);
  const { F, ConflictError, RaceSafeError } = modules.racesafe;
  try {
    const slug = `${tag}-home`;
    const owner = `${tag}-owner`;
    const [page, created] = await ops.getOrCreate({ slug }, { owner, views: 0 });
    const [again, createdAgain] = await ops.getOrCreate({ slug }, { owner: 'ignored', views: 0 });
    const [updated, createdByUpdate] = await ops.updateOrCreate({ slug }, { views: 10 });
    const count = await ops.atomicUpdate({ id: page.id }, { views: F('views').plus(5) });
    const [final] = await ops.getOrCreate({ slug }, {});
    let conflict;
    try {
      await ops.getOrCreate({ slug: `${tag}-other` }, { owner, views: 0 }); // owner is UNIQUE too
    } catch (error) {
      conflict = {
        conflictError: error instanceof ConflictError,
        raceSafeError: error instanceof RaceSafeError,
        constraint: error.constraint,
      };
    }
    return {
      created,
      createdAgain,
      sameRow: again.id === page.id,
      createdByUpdate,
      updatedViews: updated.views,
      count,
      finalViews: final.views,
      conflict,
    };
  } finally {
    await ops.close();
  }
}

async function typeormOps(url, { racesafe, orm }) {
  const Page = new orm.EntitySchema({
    name: 'Page',
    tableName: 'pages',
    columns: {
      id: { type: 'int', primary: true, generated: true },
      slug: { type: 'text' },
      owner: { type: 'text', nullable: true },
      views: { type: 'int' },
    },
  });
  const dataSource = new orm.DataSource({ type: 'postgres', url, entities: [Page] });
  await dataSource.initialize();
  const pages = racesafe.raceSafe(dataSource.getRepository(Page));
  return {
    getOrCreate: (lookup, defaults) => pages.getOrCreate(lookup, { defaults }),
    updateOrCreate: (lookup, defaults) => pages.updateOrCreate(lookup, { defaults }),
    atomicUpdate: (where, values) => pages.atomicUpdate(where, values),
    close: () => dataSource.destroy(),
  };
}

async function sequelizeOps(url, { racesafe, orm }) {
  const sequelize = new orm.Sequelize(url, { logging: false });
  class Page extends racesafe.RaceSafeModel {}
  Page.init(
    {
      id: { type: orm.DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      slug: orm.DataTypes.TEXT,
      owner: orm.DataTypes.TEXT,
      views: orm.DataTypes.INTEGER,
    },
    { sequelize, tableName: 'pages', timestamps: false },
  );
  return {
    getOrCreate: (where, defaults) => Page.getOrCreate({ where, defaults }),
    updateOrCreate: (where, defaults) => Page.updateOrCreate({ where, defaults }),
    atomicUpdate: (where, values) => Page.atomicUpdate(values, { where }),
    close: () => sequelize.close(),
  };
}

module.exports = { run };
