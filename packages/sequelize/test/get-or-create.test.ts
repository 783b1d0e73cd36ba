import { createNamespace } from 'cls-hooked';
import { Sequelize } from 'sequelize';
import { describeOnEachDatabase } from '../../../test/integration/databases';
import { describeGetOrCreate } from '../../../test/integration/get-or-create.suite';
import { useTestDatabase } from '../../../test/harness/database';
import { schemaSql } from '../../../test/schema/tables';
import { type TestModels, testSequelize } from './models';
import { openSequelizeTestOrm } from './test-orm';

describeOnEachDatabase(
  'getOrCreate (Sequelize)',
  (database) => describeGetOrCreate(openSequelizeTestOrm, database),
  { asMysql8: true },
);

describe('getOrCreate in Sequelize idiom', () => {
  const db = useTestDatabase(schemaSql);
  let m: TestModels;
  beforeAll(() => {
    m = testSequelize(db.url());
  });
  afterAll(() => m?.sequelize.close());

  it('returns saved instances of the model', async () => {
    const [user] = await m.User.getOrCreate({ where: { email: 'instance@x' } });
    expect(user).toBeInstanceOf(m.User);
    expect(user.isNewRecord).toBe(false);
  });

  it('joins the CLS transaction when Sequelize.useCLS is on', async () => {
    Sequelize.useCLS(createNamespace('racesafe-test'));
    const withCls = testSequelize(db.url());
    try {
      await withCls.sequelize
        .transaction(async () => {
          await withCls.User.getOrCreate({ where: { email: 'cls@x' } }); // no transaction option
          throw new Error('roll back');
        })
        .catch(() => undefined);
      // Rolled back with the CLS transaction: it really ran inside it.
      expect(await withCls.User.count({ where: { email: 'cls@x' } })).toBe(0);
    } finally {
      (Sequelize as unknown as { _cls: unknown })._cls = undefined;
      await withCls.sequelize.close();
    }
  });
});
