import { describeRaceScenariosOnMariadb } from '../../../test/race/describe-races';
import { raceTarget } from '../../../test/race/scenarios';

describeRaceScenariosOnMariadb(raceTarget('sequelize'));
