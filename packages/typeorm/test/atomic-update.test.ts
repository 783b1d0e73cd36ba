import { describeOnEachDatabase } from '../../../test/integration/databases';
import { describeAtomicUpdate } from '../../../test/integration/atomic-update.suite';
import { useTestDatabase } from '../../../test/harness/database';
import { schemaSql } from '../../../test/schema/tables';
import { F, raceSafe } from '../src';
import { Counter, testDataSource } from './entities';
import { openTypeormTestOrm } from './test-orm';

describeOnEachDatabase(
  'atomicUpdate (TypeORM)',
  (database) => describeAtomicUpdate(openTypeormTestOrm, database),
  { asMysql8: true },
);

describe('atomicUpdate in TypeORM idiom', () => {
  const db = useTestDatabase(schemaSql);
  it('returns entities with returning: true', async () => {
    const dataSource = await testDataSource(db.url()).initialize();
    try {
      await dataSource.query(`INSERT INTO counters (name, value) VALUES ('e', 1)`);
      const [counter] = await raceSafe(dataSource.getRepository(Counter)).atomicUpdate(
        { name: 'e' },
        { value: F('value').plus(1) },
        { returning: true },
      );
      expect(counter).toBeInstanceOf(Counter);
      expect(counter.value).toBe(2);
    } finally {
      await dataSource.destroy();
    }
  });
});
