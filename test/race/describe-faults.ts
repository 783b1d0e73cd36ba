import { describeAsMysql8, describeOnMysql, useTestDatabase } from '../harness/database';
import { formatReport } from '../harness/race';
import { formatVerdict } from '../harness/history';
import { mysqlSchemaSql } from '../schema/mysql-tables';
import { schemaSql } from '../schema/tables';
import { sqliteSchemaSql } from '../schema/sqlite-tables';
import {
  type FaultOutcome,
  type FaultScenario,
  faultScenarios,
  mariadbFaultScenarios,
  sqliteFaultScenarios,
} from './fault-scenarios';
import type { RaceTarget } from './scenarios';

/** One line per approach: the harness report, faults caused, connections left over, the history's verdict. */
export function describeFaultOutcome(outcome: FaultOutcome): string {
  return `  ${outcome.approach.padEnd(10)} ${formatReport(outcome.report)} | faults=${outcome.faults} leftOver=${outcome.leftOver} | ${formatVerdict(outcome.verdict)}`;
}

/**
 * The fault suite against one package on PostgreSQL (issue 13): each race scenario while a
 * controller terminates a random backend every 20 ms. racesafe: no worker process dies (runRace
 * fails otherwise), every failed call a typed racesafe error, the history valid, no connection
 * left over. The naive approach, under the same load and faults, must show an anomaly.
 */
export function describeFaultScenarios(
  target: RaceTarget,
  selected: FaultScenario[] = Object.values(faultScenarios),
): void {
  describeFaults(target, selected, useTestDatabase(schemaSql), 'PostgreSQL');
}

/**
 * The fault suite on the run's MariaDB (issue 13, item 3; skipped, saying why, when it has none):
 * a random session of the race's database KILLed every 20 ms (`KILL CONNECTION`), and worker
 * processes SIGKILLed while they hold row locks.
 */
export function describeFaultScenariosOnMariadb(
  target: RaceTarget,
  selected: FaultScenario[] = mariadbFaultScenarios,
): void {
  describeOnMysql('MariaDB', () =>
    describeFaults(
      target,
      selected,
      useTestDatabase(mysqlSchemaSql, { dialect: 'mysql' }),
      'MariaDB',
    ),
  );
}

/**
 * The MariaDB fault suite on the run's MariaDB that reports MySQL 8's version (issue 25), where
 * racesafe takes its MySQL 8 paths: the same kills, SIGKILLs and session limit.
 */
export function describeFaultScenariosAsMysql8(
  target: RaceTarget,
  selected: FaultScenario[] = mariadbFaultScenarios,
): void {
  describeAsMysql8('as MySQL 8', () =>
    describeFaults(
      target,
      selected,
      useTestDatabase(mysqlSchemaSql, { dialect: 'mysql', asMysql8: true }),
      'MariaDB as MySQL 8',
    ),
  );
}

/**
 * The fault suite on one SQLite file in WAL mode (issue 13, item 4): worker processes SIGKILLed
 * while their transaction holds the write lock; the others must go on, nothing acknowledged lost.
 */
export function describeFaultScenariosOnSqlite(
  target: RaceTarget,
  selected: FaultScenario[] = sqliteFaultScenarios,
): void {
  describeFaults(
    target,
    selected,
    useTestDatabase(sqliteSchemaSql, { dialect: 'sqlite' }),
    'SQLite',
  );
}

/**
 * A session fault reached the worker processes' connections and nothing else: the harness's check
 * session does not run under it, and no worker connection had it before the worker's set-up was done
 * (a fault that a role, a database default or a connection string carried would be in force on both).
 */
function expectOnWorkersOnly(outcome: FaultOutcome, scenario: FaultScenario): void {
  const { counters } = outcome.report;
  expect({
    harnessUnderFault: outcome.harnessUnderFault,
    setupUnderFault: counters.setupUnderFault,
  }).toEqual({ harnessUnderFault: 0, setupUnderFault: 0 });
  // Each process puts it on every connection of its pool (half its callers, at least 1: fault-scenarios.ts workerArgs).
  expect(counters.faultedSessions).toBeGreaterThanOrEqual(
    scenario.size.processes * Math.max(1, Math.floor(scenario.size.callersPerProcess / 2)),
  );
}

function describeFaults(
  target: RaceTarget,
  selected: FaultScenario[],
  db: { url(): string },
  database: string,
): void {
  const label = `${target.name}${process.env.RACESAFE_TYPEORM ? ` ${process.env.RACESAFE_TYPEORM}` : ''}, ${database}`;
  describe(`faults (${label})`, () => {
    it.each(selected.map((scenario) => [scenario.name, scenario] as const))(
      '%s',
      async (_name, scenario) => {
        // As the race suite: a naive approach breaks by chance, so up to 3 runs, racesafe checked in each.
        for (let run = 1; ; run++) {
          const [racesafe, naive] = await scenario.run(target, db.url());
          process.stdout.write(
            `${scenario.name} [${label}]${run > 1 ? ` run ${run}` : ''}\n${describeFaultOutcome(racesafe)}\n${describeFaultOutcome(naive)}\n`,
          );
          expect(racesafe.verdict.anomalies).toEqual([]);
          // A kill every 20 ms always hits; a server timeout cuts only the calls that happen to wait long enough (printed, not asserted).
          if (scenario.fault.kind === 'kill') expect(racesafe.faults).toBeGreaterThan(0);
          expect(racesafe.leftOver).toBe(0);
          // A session fault (issue 21): on every worker connection, never on the ORMs' set-up or the harness's own sessions.
          if (scenario.fault.kind === 'session')
            for (const outcome of [racesafe, naive]) expectOnWorkersOnly(outcome, scenario);
          if (!naive.verdict.valid || run === 3) {
            expect(naive.verdict.anomalies.length).toBeGreaterThan(0);
            return;
          }
        }
      },
    );
  });
}
