import { describeOnEachDatabase } from '../../../test/integration/databases';
import { describeSoftDelete } from '../../../test/integration/soft-delete.suite';
import { openTypeormTestOrm } from './test-orm';

describeOnEachDatabase(
  'soft delete (TypeORM)',
  (database) => describeSoftDelete(openTypeormTestOrm, database),
  { asMysql8: true },
);
