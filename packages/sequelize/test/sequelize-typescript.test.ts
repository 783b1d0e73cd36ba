import { describeAtomicUpdate } from '../../../test/integration/atomic-update.suite';
import { postgres } from '../../../test/integration/databases';
import { describeGetOrCreate } from '../../../test/integration/get-or-create.suite';
import type { OpenTestOrm } from '../../../test/integration/orm';
import { describeUpdateOrCreate } from '../../../test/integration/update-or-create.suite';
import { useTestDatabase } from '../../../test/harness/database';
import { schemaSql } from '../../../test/schema/tables';
import { F, raceSafe } from '../src';
import { sequelizeTestOrm } from './test-orm';
import {
  TsCounter,
  TsItem,
  TsMembership,
  TsNaiveUser,
  TsUser,
  freshModel,
  typescriptSequelize,
} from './typescript-models';

// sequelize-typescript models (@Table / @Column, new Sequelize({ models })) through the shared suites, on PostgreSQL.
const openTypescriptTestOrm: OpenTestOrm = async (url, options = {}) => {
  const byTable = {
    users: TsUser,
    naive_users: TsNaiveUser,
    memberships: TsMembership,
    counters: TsCounter,
    items: TsItem,
  };
  const models = Object.fromEntries(
    Object.entries(byTable).map(([table, model]) => [table, freshModel(model as typeof TsUser)]),
  );
  const sequelize = typescriptSequelize(url, { ...options, models: Object.values(models) });
  return sequelizeTestOrm(sequelize, models);
};

describe('getOrCreate (sequelize-typescript) on PostgreSQL', () =>
  describeGetOrCreate(openTypescriptTestOrm, postgres));
describe('updateOrCreate (sequelize-typescript) on PostgreSQL', () =>
  describeUpdateOrCreate(openTypescriptTestOrm, postgres));
describe('atomicUpdate (sequelize-typescript) on PostgreSQL', () =>
  describeAtomicUpdate(openTypescriptTestOrm, postgres));

describe('sequelize-typescript with repositoryMode: true', () => {
  const db = useTestDatabase(schemaSql);

  it('runs the statics on the repository, typed through raceSafe(repository), concurrently with exact results', async () => {
    const sequelize = typescriptSequelize(db.url(), { repositoryMode: true });
    try {
      const users = raceSafe(sequelize.getRepository(TsUser));
      const results = await Promise.all(
        Array.from({ length: 10 }, () =>
          users.getOrCreate({ where: { email: 'repo@x' }, defaults: { name: 'Repo' } }),
        ),
      );
      expect(results.filter(([, created]) => created)).toHaveLength(1);
      expect(new Set(results.map(([user]) => user.id)).size).toBe(1);
      expect(results[0][0]).toBeInstanceOf(users);
      const counters = raceSafe(sequelize.getRepository(TsCounter));
      await counters.getOrCreate({ where: { name: 'hits' } });
      await Promise.all(
        Array.from({ length: 20 }, () =>
          counters.atomicUpdate({ value: F('value').plus(1) }, { where: { name: 'hits' } }),
        ),
      );
      const [account, created] = await users.updateOrCreate({
        where: { email: 'repo@x' },
        defaults: { logins: F('logins').plus(2) },
        createDefaults: { logins: 1 },
      });
      expect([account.logins, created]).toEqual([2, false]);
      expect((await counters.findOne({ where: { name: 'hits' } }))!.value).toBe(20);
      expect(await users.count()).toBe(1);
    } finally {
      await sequelize.close();
    }
  });
});
