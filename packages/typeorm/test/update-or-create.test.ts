import { describeOnEachDatabase } from '../../../test/integration/databases';
import { describeUpdateOrCreate } from '../../../test/integration/update-or-create.suite';
import { openTypeormTestOrm } from './test-orm';

describeOnEachDatabase(
  'updateOrCreate (TypeORM)',
  (database) => describeUpdateOrCreate(openTypeormTestOrm, database),
  { asMysql8: true },
);
