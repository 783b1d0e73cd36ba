import { describeUpdateOrCreate } from '../../../test/integration/update-or-create.suite';
import { openSequelizeTestOrm } from './test-orm';

describe('updateOrCreate (Sequelize)', () => describeUpdateOrCreate(openSequelizeTestOrm));
