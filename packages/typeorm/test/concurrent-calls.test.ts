import { describeOnEachDatabase } from '../../../test/integration/databases';
import { describeConcurrentCalls } from '../../../test/integration/concurrent-calls.suite';
import { openTypeormTestOrm } from './test-orm';

describeOnEachDatabase('concurrent calls in one transaction (TypeORM)', (database) =>
  describeConcurrentCalls(openTypeormTestOrm, database),
);
