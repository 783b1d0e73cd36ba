import { type BenchCase, type GroupId, groups } from './cases';
import { type RoundTrips, type Throughput, throughput } from './measure';
import type { Processes } from './processes';

/** Where and how hard a run calls: `callers` concurrent callers in each of `processes` processes. */
export interface Mode {
  /** Its column in the table: "1", "32", "4x8". */
  id: string;
  processes: number;
  callers: number;
}

/** A case, its round trips, and its runs in each mode (a baseline has two per round: before and after its group). */
export interface Measured {
  c: BenchCase;
  /** Its place in the case list, the same in every process. */
  index: number;
  next: () => number;
  roundTrips: RoundTrips;
  runs: Record<string, Throughput[]>;
}

/** Runs one case once in one mode. */
export interface Runner {
  mode: Mode;
  run(m: Measured, callers: number, seconds: number): Promise<Throughput>;
}

/** This process, `callers` concurrent callers. */
export const inProcess = (callers: number): Runner => ({
  mode: { id: String(callers), processes: 1, callers },
  run: (m, concurrency, seconds) => throughput(m.c, m.next, concurrency, seconds),
});

/** Every process of the multi-process mode, `callers` concurrent callers in each. */
export const acrossProcesses = (processes: Processes, callers: number): Runner => ({
  mode: { id: `${processes.processes}x${callers}`, processes: processes.processes, callers },
  run: (m, concurrency, seconds) => processes.run(m.index, concurrency, seconds),
});

/**
 * The callers a case runs with in a mode, or undefined when it does not run there: a batch
 * group runs with one caller per process (in one process only in the 1-caller mode).
 */
export function callersIn(mode: Mode, group: GroupId): number | undefined {
  if (!groups[group].oneCaller) return mode.callers;
  return mode.processes > 1 || mode.callers === 1 ? 1 : undefined;
}

/**
 * The runs, in order: rounds, then modes, then groups; in each, the group's raw baseline, its
 * other cases (rotated by one place each round, so that none always runs furthest from the
 * baseline), and the baseline again. A burst of load from elsewhere on the machine then hits
 * one round of a case and of its baseline, not all of it; report.ts divides each case's run
 * by the mean of the two baseline runs around it and takes the median over the rounds.
 */
export function schedule(
  measured: Measured[],
  runners: Runner[],
  rounds: number,
): { round: number; runner: Runner; m: Measured; callers: number }[] {
  const byGroup = new Map<GroupId, Measured[]>();
  for (const m of measured) byGroup.set(m.c.group, [...(byGroup.get(m.c.group) ?? []), m]);
  const runs: { round: number; runner: Runner; m: Measured; callers: number }[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const runner of runners) {
      for (const [group, members] of byGroup) {
        const callers = callersIn(runner.mode, group);
        if (callers === undefined) continue;
        const baseline = members.find((m) => m.c.baseline);
        const others = members.filter((m) => m !== baseline);
        const rotated = others.map((_, k) => others[(k + round) % others.length]);
        const order = baseline ? [baseline, ...rotated, baseline] : rotated;
        runs.push(...order.map((m) => ({ round, runner, m, callers })));
      }
    }
  }
  return runs;
}
