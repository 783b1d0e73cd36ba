import path from 'node:path';
import { runRace } from '../harness/race';
import { useTestDatabase } from '../harness/database';
import { schemaSql } from '../schema/tables';
import { describeOutcome } from './describe-races';
import type { GetOrCreateResult, RaceOp, RaceWorkerArgs } from './ops';
import { type Outcome, checkGetOrCreate, scenarios, suiteSize } from './scenarios';
import { openSqlClient } from './sql-client';

/**
 * 2 TypeORM + 2 Sequelize processes (test/race/mixed-orm-worker.ts), 8 callers each, on one hot
 * key: the hot-key scenario's size as the race suites run it (scenarios.ts suiteSize).
 */
export const mixedOrmSize = suiteSize(scenarios.getOrCreateHotKey);

const worker = path.join(__dirname, 'mixed-orm-worker.ts');

/**
 * Issue 14, item 4: one hot key, TypeORM and Sequelize worker processes at once on the same
 * table: racesafe makes exactly one row and one created=true whichever ORM a caller used; the
 * naive approaches (TypeORM findOneBy+save beside Sequelize findOrCreate, on a table without the
 * unique constraint) under the same load make duplicates.
 */
export async function runMixedOrmRace(url: string): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (const [approach, op, table] of [
    ['racesafe (both ORMs)', 'getOrCreate', 'users'],
    ['naive (both ORMs)', 'naive:getOrCreate', 'naive_users'],
  ] as const satisfies readonly (readonly [string, RaceOp, string])[]) {
    const client = await openSqlClient(url);
    await client.truncate().finally(() => client.end());
    const args: RaceWorkerArgs = {
      url,
      op,
      processes: mixedOrmSize.processes,
      poolSize: mixedOrmSize.callersPerProcess / 2,
    };
    const report = await runRace({
      worker,
      args,
      ...mixedOrmSize,
      label: `typeorm+sequelize ${op}`,
    });
    const { figures, anomalies, verdict } = await checkGetOrCreate(url, table, report, 1);
    const byOrm = (orm: string) =>
      report.calls.filter(
        (c) => c.ok && (c.value as GetOrCreateResult & { orm: string }).orm === orm,
      ).length;
    const [typeormCalls, sequelizeCalls] = [byOrm('typeorm'), byOrm('sequelize')];
    // Both ORMs must have raced, or the scenario proves nothing about mixing them.
    if (typeormCalls === 0 || sequelizeCalls === 0)
      anomalies.push(`ok calls by ORM: typeorm ${typeormCalls}, sequelize ${sequelizeCalls}`);
    outcomes.push({
      approach,
      report,
      figures: { ...figures, typeormCalls, sequelizeCalls },
      anomalies,
      verdict,
    });
  }
  return outcomes;
}

/** The mixed-ORM race as a jest test on the run's PostgreSQL; the naive side gets up to 3 runs to show its anomaly, as the other races. */
export function describeMixedOrmRace(): void {
  const db = useTestDatabase(schemaSql);
  const label = `typeorm${process.env.RACESAFE_TYPEORM ? ` ${process.env.RACESAFE_TYPEORM}` : ''} + sequelize, PostgreSQL`;
  describe(`mixed-ORM race (${label})`, () => {
    it('getOrCreate: one hot key, 2 TypeORM + 2 Sequelize processes: one row, one created=true', async () => {
      for (let run = 1; ; run++) {
        const [racesafe, naive] = await runMixedOrmRace(db.url());
        process.stdout.write(
          `mixed-ORM hot key [${label}]${run > 1 ? ` run ${run}` : ''}\n${describeOutcome(racesafe)}\n${describeOutcome(naive)}\n`,
        );
        expect(racesafe.anomalies).toEqual([]);
        expect(racesafe.verdict?.anomalies ?? []).toEqual([]);
        expect(racesafe.report.okCount).toBe(mixedOrmSize.calls);
        expect(racesafe.figures).toMatchObject({ rows: 1, duplicates: 0 });
        if (naive.anomalies.length > 0 || run === 3) {
          expect(naive.anomalies.length).toBeGreaterThan(0);
          return;
        }
      }
    });
  });
}
