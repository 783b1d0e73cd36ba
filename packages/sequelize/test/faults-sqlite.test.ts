import { describeFaultScenariosOnSqlite } from '../../../test/race/describe-faults';
import { raceTarget } from '../../../test/race/scenarios';

describeFaultScenariosOnSqlite(raceTarget('sequelize'));
