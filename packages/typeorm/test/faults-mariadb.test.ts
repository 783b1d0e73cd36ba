import {
  describeFaultScenariosAsMysql8,
  describeFaultScenariosOnMariadb,
} from '../../../test/race/describe-faults';
import { raceTarget } from '../../../test/race/scenarios';

describeFaultScenariosOnMariadb(raceTarget('typeorm'));
// The same server binary reporting MySQL 8's version: racesafe's MySQL 8 paths under the same faults.
describeFaultScenariosAsMysql8(raceTarget('typeorm'));
