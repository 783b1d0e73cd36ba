import { describeHooks } from '../../../test/integration/hooks.suite';
import { openSequelizeTestOrm } from './test-orm';

describe('hooks (Sequelize)', () => describeHooks(openSequelizeTestOrm));
