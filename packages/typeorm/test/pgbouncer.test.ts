import { describePgbouncerSessionState } from '../../../test/integration/pgbouncer.suite';
import { openTypeormTestOrm } from './test-orm';

describePgbouncerSessionState(openTypeormTestOrm);
