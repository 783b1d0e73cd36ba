import { describeOnMariadb } from '../../../test/integration/mariadb.suite';
import { openSequelizeTestOrm } from './test-orm';

describe('MariaDB (Sequelize, dialect mysql: mysql2)', () =>
  describeOnMariadb(openSequelizeTestOrm));

// The same server through Sequelize's `mariadb` dialect (the mariadb connector): a mariadb:// URL.
describe('MariaDB (Sequelize, dialect mariadb: mariadb connector)', () =>
  describeOnMariadb((url, options) =>
    openSequelizeTestOrm(url.replace(/^mysql:/, 'mariadb:'), options),
  ));
