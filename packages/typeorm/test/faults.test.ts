import { describeLossInCallerTransaction } from '../../../test/integration/caller-transaction-loss.suite';
import { mariadb, postgres } from '../../../test/integration/databases';
import { describeConnectionLoss } from '../../../test/integration/faults.suite';
import { openTypeormTestOrm } from './test-orm';

describe('connection loss (TypeORM, PostgreSQL)', () => describeConnectionLoss(openTypeormTestOrm));

// Issue 21, item 1: the caller's transaction cut at each statement of a call (SQLite has no session to cut: see the suite).
describe("connection loss inside the caller's transaction (TypeORM, PostgreSQL)", () =>
  describeLossInCallerTransaction(openTypeormTestOrm, postgres));
mariadb.describe("connection loss inside the caller's transaction (TypeORM, MariaDB)", () =>
  describeLossInCallerTransaction(openTypeormTestOrm, mariadb),
);
