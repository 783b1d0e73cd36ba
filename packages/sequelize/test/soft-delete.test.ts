import { describeSoftDelete } from '../../../test/integration/soft-delete.suite';
import { openSequelizeTestOrm } from './test-orm';

describe('soft delete (Sequelize)', () => describeSoftDelete(openSequelizeTestOrm));
