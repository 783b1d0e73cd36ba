import { describeOnEachDatabase } from '../../../test/integration/databases';
import { describeGetOrCreateMany } from '../../../test/integration/get-or-create-many.suite';
import { openSequelizeTestOrm } from './test-orm';

describeOnEachDatabase(
  'getOrCreateMany (Sequelize)',
  (database) => describeGetOrCreateMany(openSequelizeTestOrm, database),
  { asMysql8: true },
);
