import { formatReport } from '../harness/race';
import { useTestDatabase } from '../harness/database';
import { schemaSql } from '../schema/tables';
import { type Outcome, type RaceScenario, type RaceTarget, scenarios } from './scenarios';

/** One line per approach: the harness report, database figures, anomalies. */
export function describeOutcome(outcome: Outcome): string {
  const figures = Object.entries(outcome.figures).map(([k, v]) => `${k}=${v}`).join(' ');
  const anomalies = outcome.anomalies.length ? ` ANOMALIES: ${outcome.anomalies.join('; ')}` : ' no anomaly';
  return `  ${outcome.approach.padEnd(24)} ${formatReport(outcome.report)} | ${figures} |${anomalies}`;
}

/**
 * The shared race suite: every scenario against one package. racesafe must show no
 * anomaly; the naive approach, under the same load in the same run, must show some.
 */
export function describeRaceScenarios(target: RaceTarget, selected: RaceScenario[] = Object.values(scenarios)): void {
  const db = useTestDatabase(schemaSql);
  describe(`races (${target.name}${process.env.RACESAFE_TYPEORM ? ` ${process.env.RACESAFE_TYPEORM}` : ''})`, () => {
    it.each(selected.map((scenario) => [scenario.name, scenario] as const))('%s', async (_name, scenario) => {
      const [racesafe, naive] = await scenario.run(target, db.url(), scenario.size);
      process.stdout.write(`${scenario.name} [${target.name}${process.env.RACESAFE_TYPEORM ? ` ${process.env.RACESAFE_TYPEORM}` : ""}]\n${describeOutcome(racesafe)}\n${describeOutcome(naive)}\n`);
      expect(racesafe.anomalies).toEqual([]);
      expect(racesafe.report.okCount).toBe(scenario.size.calls);
      expect(naive.anomalies.length).toBeGreaterThan(0);
    });
  });
}
