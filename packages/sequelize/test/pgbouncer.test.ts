import { describePgbouncerSessionState } from '../../../test/integration/pgbouncer.suite';
import { openSequelizeTestOrm } from './test-orm';

describePgbouncerSessionState(openSequelizeTestOrm);
