import { describeOnMariadb } from '../../../test/integration/mariadb.suite';
import { openTypeormTestOrm } from './test-orm';

describe('MariaDB (TypeORM, type mysql)', () => describeOnMariadb(openTypeormTestOrm));

// The same server through TypeORM's `mariadb` type: a mariadb:// URL.
describe('MariaDB (TypeORM, type mariadb)', () =>
  describeOnMariadb((url, options) =>
    openTypeormTestOrm(url.replace(/^mysql:/, 'mariadb:'), options),
  ));
