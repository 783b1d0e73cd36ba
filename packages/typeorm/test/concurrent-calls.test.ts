import { describeConcurrentCalls } from '../../../test/integration/concurrent-calls.suite';
import { openTypeormTestOrm } from './test-orm';

describe('concurrent calls in one transaction (TypeORM)', () => describeConcurrentCalls(openTypeormTestOrm));
