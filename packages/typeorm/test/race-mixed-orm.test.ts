import { describeMixedOrmRace } from '../../../test/race/mixed-orm';

// The same race from either package's project: 2 TypeORM + 2 Sequelize worker processes (issue 14).
describeMixedOrmRace();
