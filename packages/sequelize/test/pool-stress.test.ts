import { ConnectionAcquireTimeoutError } from 'sequelize';
import { describePoolStress } from '../../../test/integration/pool-stress.suite';
import { openSequelizeTestOrm } from './test-orm';

// Sequelize's own error when no pooled connection frees up within `pool.acquire`.
const isAcquireTimeout = (error: unknown) => error instanceof ConnectionAcquireTimeoutError;

describe('pools under stress (Sequelize, PostgreSQL)', () =>
  describePoolStress(openSequelizeTestOrm, isAcquireTimeout));
