import { describeFaultScenariosOnMariadb } from '../../../test/race/describe-faults';
import { raceTarget } from '../../../test/race/scenarios';

describeFaultScenariosOnMariadb(raceTarget('typeorm'));
