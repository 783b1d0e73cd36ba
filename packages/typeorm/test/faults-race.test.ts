import { describeFaultScenarios } from '../../../test/race/describe-faults';
import { raceTarget } from '../../../test/race/scenarios';

describeFaultScenarios(raceTarget('typeorm'));
