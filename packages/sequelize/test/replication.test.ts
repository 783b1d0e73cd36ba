import { describeReplication } from '../../../test/integration/replication.suite';
import { openSequelizeTestOrm } from './test-orm';

// Sequelize `replication: { read, write }` with a real hot standby whose replay is paused.
describe('beside a lagging streaming replica (Sequelize replication)', () =>
  describeReplication(openSequelizeTestOrm));
