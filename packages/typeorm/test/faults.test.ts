import { describeConnectionLoss } from '../../../test/integration/faults.suite';
import { openTypeormTestOrm } from './test-orm';

describe('connection loss (TypeORM, PostgreSQL)', () => describeConnectionLoss(openTypeormTestOrm));
