import { describeOnSqlite } from '../../../test/integration/sqlite.suite';
import { openSequelizeTestOrm } from './test-orm';

describe('SQLite (Sequelize, dialect sqlite: node-sqlite3)', () =>
  describeOnSqlite(openSequelizeTestOrm));
