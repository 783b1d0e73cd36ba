import { describeOnEachDatabase } from '../../../test/integration/databases';
import { describeGetOrCreateMany } from '../../../test/integration/get-or-create-many.suite';
import { openTypeormTestOrm } from './test-orm';

describeOnEachDatabase(
  'getOrCreateMany (TypeORM)',
  (database) => describeGetOrCreateMany(openTypeormTestOrm, database),
  { asMysql8: true },
);
