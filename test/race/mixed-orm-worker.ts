// The race worker of the mixed-ORM race (test/race/mixed-orm.ts): the first half of the OS
// processes run the TypeORM package's worker, the others the Sequelize package's, on the same
// database, tables and keys, as services of one fleet written with different ORMs would.
import path from 'node:path';
import type { RaceWorker, RaceWorkerContext, RaceWorkerModule } from '../harness/race';
import type { RaceWorkerArgs } from './ops';

const packages = path.resolve(__dirname, '../../packages');

/** Which ORM process `processIndex` of `processes` runs: TypeORM for the first half, Sequelize for the rest. */
export function ormOfProcess(processIndex: number, processes: number): 'typeorm' | 'sequelize' {
  return processIndex < Math.ceil(processes / 2) ? 'typeorm' : 'sequelize';
}

export async function createWorker(
  args: RaceWorkerArgs,
  ctx: RaceWorkerContext,
): Promise<RaceWorker> {
  const orm = ormOfProcess(ctx.processIndex, ctx.processes);
  const module = (await import(
    path.join(packages, orm, 'test', 'race-worker.ts')
  )) as RaceWorkerModule;
  const worker = await module.createWorker(args, ctx);
  return {
    // Each result says which ORM made it, so the check can tell both took part.
    call: async (i) => ({ ...((await worker.call(i)) as object), orm }),
    close: () => worker.close(),
    counters: worker.counters && (() => worker.counters!()),
  };
}
