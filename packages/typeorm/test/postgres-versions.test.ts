import { describeOnOlderPostgres } from '../../../test/integration/postgres-versions.suite';
import { openSequelizeTestOrm } from '../../sequelize/test/test-orm';
import { openTypeormTestOrm } from './test-orm';

// Both ORMs on each older major in one file: one server per major. On TypeORM 1.x only (the
// typeorm-0.3 project sends the same statements through the same gateway code).
if (process.env.RACESAFE_TYPEORM === '0.3')
  it.skip('PostgreSQL 12-17 (skipped on TypeORM 0.3: run on TypeORM 1.x)', () => {});
else
  describeOnOlderPostgres([
    ['typeorm', openTypeormTestOrm],
    ['sequelize', openSequelizeTestOrm],
  ]);
