import { describeRaceScenarios } from '../../../test/race/describe-races';
import { raceTarget } from '../../../test/race/scenarios';

describeRaceScenarios(raceTarget('sequelize'));
