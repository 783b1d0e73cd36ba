import { describeOnEachDatabase } from '../../../test/integration/databases';
import { describeConcurrentCalls } from '../../../test/integration/concurrent-calls.suite';
import { openSequelizeTestOrm } from './test-orm';

describeOnEachDatabase('concurrent calls in one transaction (Sequelize)', (database) =>
  describeConcurrentCalls(openSequelizeTestOrm, database),
);
