import { formatVerdict } from '../harness/history';
import { formatReport } from '../harness/race';
import {
  describeAsMysql8,
  describeOnMysql,
  describeThroughPgbouncer,
  useTestDatabase,
} from '../harness/database';
import { mysqlSchemaSql } from '../schema/mysql-tables';
import { sqliteSchemaSql } from '../schema/sqlite-tables';
import { schemaSql } from '../schema/tables';
import {
  type Outcome,
  type RaceScenario,
  type RaceSize,
  type RaceTarget,
  scenarios,
  sqliteSize,
  suiteSize,
} from './scenarios';

/** One line per approach: the harness report, database figures, anomalies. */
export function describeOutcome(outcome: Outcome): string {
  const figures = Object.entries(outcome.figures)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const anomalies = outcome.anomalies.length
    ? ` ANOMALIES: ${outcome.anomalies.join('; ')}`
    : ' no anomaly';
  const verdict = outcome.verdict ? ` | ${formatVerdict(outcome.verdict)}` : '';
  return `  ${outcome.approach.padEnd(24)} ${formatReport(outcome.report)} | ${figures} |${anomalies}${verdict}`;
}

/**
 * The shared race suite: every scenario against one package. racesafe must show no
 * anomaly; the naive approach, under the same load in the same run, must show some.
 */
export function describeRaceScenarios(
  target: RaceTarget,
  selected: RaceScenario[] = Object.values(scenarios),
): void {
  describeRaces(target, selected, useTestDatabase(schemaSql), 'PostgreSQL');
}

/**
 * The same scenarios on the run's PostgreSQL through its PgBouncer in transaction pooling mode,
 * 4 server connections for 16 to 32 clients (skipped, saying why, when it has none): issue 14.
 */
export function describeRaceScenariosThroughPgbouncer(
  target: RaceTarget,
  selected: RaceScenario[] = Object.values(scenarios),
): void {
  describeThroughPgbouncer('PgBouncer', () =>
    describeRaces(
      target,
      selected,
      useTestDatabase(schemaSql, { through: 'pgbouncer' }),
      'PostgreSQL through PgBouncer',
    ),
  );
}

/** The same scenarios on the run's MariaDB (skipped, saying why, when it has none): issue 10. */
export function describeRaceScenariosOnMariadb(
  target: RaceTarget,
  selected: RaceScenario[] = Object.values(scenarios),
): void {
  describeOnMysql('MariaDB', () =>
    describeRaces(
      target,
      selected,
      useTestDatabase(mysqlSchemaSql, { dialect: 'mysql' }),
      'MariaDB',
    ),
  );
}

/**
 * The same scenarios on the run's MariaDB that reports MySQL 8's version (issue 25): racesafe takes
 * the paths it takes on MySQL 8 there (no compound statement, no RETURNING), and the naive approach
 * runs beside it under the same load (skipped, saying why, where the run has no such server).
 */
export function describeRaceScenariosAsMysql8(
  target: RaceTarget,
  selected: RaceScenario[] = Object.values(scenarios),
): void {
  describeAsMysql8('as MySQL 8', () =>
    describeRaces(
      target,
      selected,
      useTestDatabase(mysqlSchemaSql, { dialect: 'mysql', asMysql8: true }),
      'MariaDB as MySQL 8',
    ),
  );
}

/**
 * The same scenarios on one SQLite file in WAL mode (a temp directory, no server), 4 OS
 * processes x 4 callers each (issue 11): nothing to skip, SQLite needs no system package.
 */
export function describeRaceScenariosOnSqlite(
  target: RaceTarget,
  selected: RaceScenario[] = Object.values(scenarios),
): void {
  describeRaces(
    target,
    selected,
    useTestDatabase(sqliteSchemaSql, { dialect: 'sqlite' }),
    'SQLite',
    (scenario) => suiteSize(scenario, sqliteSize(scenario.size)),
  );
}

function describeRaces(
  target: RaceTarget,
  selected: RaceScenario[],
  db: { url(): string },
  database: string,
  sized = (scenario: RaceScenario): RaceSize => suiteSize(scenario),
): void {
  const label = `${target.name}${process.env.RACESAFE_TYPEORM ? ` ${process.env.RACESAFE_TYPEORM}` : ''}, ${database}`;
  describe(`races (${label})`, () => {
    it.each(selected.map((scenario) => [scenario.name, scenario] as const))(
      '%s',
      async (_name, scenario) => {
        // A naive approach breaks by chance: with little overlap (Sequelize findOrCreate over 200 keys on MariaDB) a run
        // may show nothing. Up to 3 runs, each checking racesafe again, until the naive approach shows its anomaly.
        for (let run = 1; ; run++) {
          const size = sized(scenario);
          const [racesafe, naive] = await scenario.run(target, db.url(), size);
          process.stdout.write(
            `${scenario.name} [${label}]${run > 1 ? ` run ${run}` : ''}\n${describeOutcome(racesafe)}\n${describeOutcome(naive)}\n`,
          );
          expect(racesafe.anomalies).toEqual([]);
          expect(racesafe.verdict?.anomalies ?? []).toEqual([]);
          expect(racesafe.report.okCount).toBe(size.calls);
          if (naive.anomalies.length > 0 || run === 3) {
            expect(naive.anomalies.length).toBeGreaterThan(0);
            return;
          }
        }
      },
    );
  });
}
