import { describeOnEachDatabase } from '../../../test/integration/databases';
import { describeUpdateOrCreate } from '../../../test/integration/update-or-create.suite';
import { openSequelizeTestOrm } from './test-orm';

describeOnEachDatabase(
  'updateOrCreate (Sequelize)',
  (database) => describeUpdateOrCreate(openSequelizeTestOrm, database),
  { asMysql8: true },
);
