import { describeOnEachDatabase } from '../../../test/integration/databases';
import { describeNoDdl } from '../../../test/integration/no-ddl.suite';
import { openTypeormTestOrm } from './test-orm';

describeOnEachDatabase('no DDL (TypeORM)', (database) =>
  describeNoDdl(openTypeormTestOrm, database),
);
