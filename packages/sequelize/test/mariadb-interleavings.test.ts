import { describeMariadbInterleavings } from '../../../test/integration/mariadb-interleavings.suite';
import { openSequelizeTestOrm } from './test-orm';

describe('MariaDB interleavings (Sequelize, dialect mysql: mysql2)', () =>
  describeMariadbInterleavings(openSequelizeTestOrm));

// The same server through Sequelize's `mariadb` dialect (the mariadb connector): a mariadb:// URL.
describe('MariaDB interleavings (Sequelize, dialect mariadb: mariadb connector)', () =>
  describeMariadbInterleavings((url, options) =>
    openSequelizeTestOrm(url.replace(/^mysql:/, 'mariadb:'), options),
  ));
