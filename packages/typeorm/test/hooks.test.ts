import { describeHooks } from '../../../test/integration/hooks.suite';
import { openTypeormTestOrm } from './test-orm';

describe('hooks (TypeORM)', () => describeHooks(openTypeormTestOrm));
