import { useTestDatabase } from '../harness/database';
import { formatReport } from '../harness/race';
import { formatVerdict } from '../harness/history';
import { schemaSql } from '../schema/tables';
import { type FaultOutcome, type FaultScenario, faultScenarios } from './fault-scenarios';
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
export function describeFaultScenarios(target: RaceTarget, selected: FaultScenario[] = Object.values(faultScenarios)): void {
  const db = useTestDatabase(schemaSql);
  const label = `${target.name}${process.env.RACESAFE_TYPEORM ? ` ${process.env.RACESAFE_TYPEORM}` : ''}, PostgreSQL`;
  describe(`faults (${label})`, () => {
    it.each(selected.map((scenario) => [scenario.name, scenario] as const))('%s', async (_name, scenario) => {
      // As the race suite: a naive approach breaks by chance, so up to 3 runs, racesafe checked in each.
      for (let run = 1; ; run++) {
        const [racesafe, naive] = await scenario.run(target, db.url());
        process.stdout.write(`${scenario.name} [${label}]${run > 1 ? ` run ${run}` : ''}\n${describeFaultOutcome(racesafe)}\n${describeFaultOutcome(naive)}\n`);
        expect(racesafe.verdict.anomalies).toEqual([]);
        // A kill every 20 ms always hits; a server timeout cuts only the calls that happen to wait long enough (printed, not asserted).
        if (scenario.fault.kind === 'kill') expect(racesafe.faults).toBeGreaterThan(0);
        expect(racesafe.leftOver).toBe(0);
        if (!naive.verdict.valid || run === 3) {
          expect(naive.verdict.anomalies.length).toBeGreaterThan(0);
          return;
        }
      }
    });
  });
}
