import { describeOnEachDatabase } from '../../../test/integration/databases';
import { describeSoftDelete } from '../../../test/integration/soft-delete.suite';
import { openSequelizeTestOrm } from './test-orm';

describeOnEachDatabase(
  'soft delete (Sequelize)',
  (database) => describeSoftDelete(openSequelizeTestOrm, database),
  { asMysql8: true },
);
