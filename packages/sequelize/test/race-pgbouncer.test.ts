import { describeRaceScenariosThroughPgbouncer } from '../../../test/race/describe-races';
import { raceTarget } from '../../../test/race/scenarios';

describeRaceScenariosThroughPgbouncer(raceTarget('sequelize'));
