import {
  describeRaceScenariosAsMysql8,
  describeRaceScenariosOnMariadb,
} from '../../../test/race/describe-races';
import { raceTarget } from '../../../test/race/scenarios';

describeRaceScenariosOnMariadb(raceTarget('sequelize'));
// The same server binary reporting MySQL 8's version: racesafe's MySQL 8 paths under the same races.
describeRaceScenariosAsMysql8(raceTarget('sequelize'));
