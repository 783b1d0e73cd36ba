import { describeLossInCallerTransaction } from '../../../test/integration/caller-transaction-loss.suite';
import { mariadb, postgres } from '../../../test/integration/databases';
import { describeConnectionLoss } from '../../../test/integration/faults.suite';
import { openSequelizeTestOrm } from './test-orm';

describe('connection loss (Sequelize, PostgreSQL)', () =>
  describeConnectionLoss(openSequelizeTestOrm));

// Issue 21, item 1: the caller's transaction cut at each statement of a call (SQLite has no session to cut: see the suite).
describe("connection loss inside the caller's transaction (Sequelize, PostgreSQL)", () =>
  describeLossInCallerTransaction(openSequelizeTestOrm, postgres));
mariadb.describe("connection loss inside the caller's transaction (Sequelize, MariaDB)", () =>
  describeLossInCallerTransaction(openSequelizeTestOrm, mariadb),
);
