import { describeServerCrash } from '../../../test/race/server-crash';
import { raceTarget } from '../../../test/race/scenarios';

describeServerCrash(raceTarget('sequelize'));
