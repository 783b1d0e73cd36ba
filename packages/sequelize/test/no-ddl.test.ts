import { describeOnEachDatabase } from '../../../test/integration/databases';
import { describeNoDdl } from '../../../test/integration/no-ddl.suite';
import { useTestDatabase } from '../../../test/harness/database';
import { schemaSql } from '../../../test/schema/tables';
import { ddlIn } from '../../../test/support/ddl';
import { StatementLog } from '../../../test/support/statement-log';
import { testSequelize } from './models';
import { openSequelizeTestOrm } from './test-orm';

describeOnEachDatabase('no DDL (Sequelize)', (database) =>
  describeNoDdl(openSequelizeTestOrm, database),
);

// The check can fail: Sequelize's own findOrCreate creates (and drops) a PL/pgSQL function per call on PostgreSQL.
describe("Sequelize's own findOrCreate on PostgreSQL", () => {
  const db = useTestDatabase(schemaSql);
  const log = new StatementLog();
  let models: ReturnType<typeof testSequelize> | undefined;
  beforeAll(() => void (models = testSequelize(db.url(), { onQuery: log.record })));
  afterAll(() => models?.sequelize.close());

  it('sends CREATE OR REPLACE FUNCTION pg_temp.testfunc on the create path, which racesafe never does', async () => {
    const [, created] = await models!.NaiveUser.findOrCreate({
      where: { email: 'ddl@x' },
      defaults: { email: 'ddl@x', name: 'n' },
    });
    expect(created).toBe(true);
    expect(ddlIn(log.statements)).toEqual([
      expect.stringMatching(/CREATE OR REPLACE FUNCTION pg_temp\.testfunc\(/),
    ]);
  });
});
