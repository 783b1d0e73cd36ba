import { describeConnectionLoss } from '../../../test/integration/faults.suite';
import { openSequelizeTestOrm } from './test-orm';

describe('connection loss (Sequelize, PostgreSQL)', () => describeConnectionLoss(openSequelizeTestOrm));
