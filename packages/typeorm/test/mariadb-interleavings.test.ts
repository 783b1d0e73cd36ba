import { describeMariadbInterleavings } from '../../../test/integration/mariadb-interleavings.suite';
import { openTypeormTestOrm } from './test-orm';

describe('MariaDB interleavings (TypeORM, type mysql)', () =>
  describeMariadbInterleavings(openTypeormTestOrm));

// The same server through TypeORM's `mariadb` type: a mariadb:// URL.
describe('MariaDB interleavings (TypeORM, type mariadb)', () =>
  describeMariadbInterleavings((url, options) =>
    openTypeormTestOrm(url.replace(/^mysql:/, 'mariadb:'), options),
  ));
