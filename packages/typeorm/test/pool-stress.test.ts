import { describePoolStress } from '../../../test/integration/pool-stress.suite';
import { openTypeormTestOrm } from './test-orm';

// pg-pool's own error when no connection frees up within `connectionTimeoutMillis` (TypeORM passes it through).
const isAcquireTimeout = (error: unknown) =>
  error instanceof Error && error.message === 'timeout exceeded when trying to connect';

describe('pools under stress (TypeORM, PostgreSQL)', () =>
  describePoolStress(openTypeormTestOrm, isAcquireTimeout));
