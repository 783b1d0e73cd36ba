import { describeSoftDelete } from '../../../test/integration/soft-delete.suite';
import { openTypeormTestOrm } from './test-orm';

describe('soft delete (TypeORM)', () => describeSoftDelete(openTypeormTestOrm));
