import { describeOnEachDatabase } from '../../../test/integration/databases';
import { describeAtomicUpdate } from '../../../test/integration/atomic-update.suite';
import { useTestDatabase } from '../../../test/harness/database';
import { schemaSql } from '../../../test/schema/tables';
import { F } from '../src';
import { testSequelize } from './models';
import { openSequelizeTestOrm } from './test-orm';

describeOnEachDatabase(
  'atomicUpdate (Sequelize)',
  (database) => describeAtomicUpdate(openSequelizeTestOrm, database),
  { asMysql8: true },
);

describe('atomicUpdate in Sequelize idiom', () => {
  const db = useTestDatabase(schemaSql);
  it('returns model instances with returning: true, not [count, rows]', async () => {
    const { sequelize, Counter } = testSequelize(db.url());
    try {
      await sequelize.query(`INSERT INTO counters (name, value) VALUES ('e', 1)`);
      const [counter] = await Counter.atomicUpdate(
        { value: F('value').plus(1) },
        { where: { name: 'e' }, returning: true },
      );
      expect(counter).toBeInstanceOf(Counter);
      expect(counter.value).toBe(2);
    } finally {
      await sequelize.close();
    }
  });
});
