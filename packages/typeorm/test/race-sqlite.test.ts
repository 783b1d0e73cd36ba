import { describeRaceScenariosOnSqlite } from '../../../test/race/describe-races';
import { raceTarget } from '../../../test/race/scenarios';

describeRaceScenariosOnSqlite(raceTarget('typeorm'));
