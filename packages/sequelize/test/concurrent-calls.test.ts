import { describeConcurrentCalls } from '../../../test/integration/concurrent-calls.suite';
import { openSequelizeTestOrm } from './test-orm';

describe('concurrent calls in one transaction (Sequelize)', () => describeConcurrentCalls(openSequelizeTestOrm));
