import { describeOnEachDatabase } from '../../../test/integration/databases';
import { describeGetOrCreate } from '../../../test/integration/get-or-create.suite';
import { useTestDatabase } from '../../../test/harness/database';
import { schemaSql } from '../../../test/schema/tables';
import { RaceSafeMethods, raceSafe } from '../src';
import { User, testDataSource } from './entities';
import { openTypeormTestOrm } from './test-orm';

describeOnEachDatabase(
  'getOrCreate (TypeORM)',
  (database) => describeGetOrCreate(openTypeormTestOrm, database),
  { asMysql8: true },
);

describe('getOrCreate in TypeORM idiom', () => {
  const db = useTestDatabase(schemaSql);
  let dataSource: ReturnType<typeof testDataSource>;
  beforeAll(async () => {
    dataSource = await testDataSource(db.url()).initialize();
  });
  afterAll(() => dataSource?.destroy());

  it('returns entities of the repository target', async () => {
    const [user] = await raceSafe(dataSource.getRepository(User)).getOrCreate({
      email: 'entity@x',
    });
    expect(user).toBeInstanceOf(User);
  });

  it('works on a custom repository built with extend', async () => {
    const custom = dataSource.getRepository(User).extend({
      ...RaceSafeMethods,
      signUp(this: typeof custom, email: string) {
        return this.getOrCreate({ email }, { defaults: { plan: 'trial' } });
      },
    });
    const [user, created] = await custom.signUp('c@x');
    expect([user.plan, created]).toEqual(['trial', true]);
  });
});
