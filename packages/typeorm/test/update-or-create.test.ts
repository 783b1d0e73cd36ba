import { describeUpdateOrCreate } from '../../../test/integration/update-or-create.suite';
import { openTypeormTestOrm } from './test-orm';

describe('updateOrCreate (TypeORM)', () => describeUpdateOrCreate(openTypeormTestOrm));
