import { describeReplication } from '../../../test/integration/replication.suite';
import { openTypeormTestOrm } from './test-orm';

// TypeORM `replication: { master, slaves }` with a real hot standby whose replay is paused.
describe('beside a lagging streaming replica (TypeORM replication)', () =>
  describeReplication(openTypeormTestOrm));
