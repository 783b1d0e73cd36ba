import { performance } from 'node:perf_hooks';
import type { BenchCase, Region } from './cases';
import { countRoundTrips } from './round-trips';

/** Throughput of one case at one concurrency. */
export interface Throughput {
  concurrency: number;
  ops: number;
  seconds: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU time of this (client) process per call, user + system, in µs: what the ORM and racesafe cost on the client. */
  clientCpuUsPerCall: number;
}

/** Round trips of one call, counted from the driver on a sequential pass. */
export interface RoundTrips {
  /** Mean over the counted calls (every call of a case takes the same path here). */
  perCall: number;
  min: number;
  max: number;
  /** The statements of the last counted call, shortened. */
  statements: string[];
}

const wholeCall: Region = (work) => work();

/** A fresh call index for every call of a case, so miss-path keys are never reused. */
export function callIndexes(): () => number {
  let next = 0;
  return () => next++;
}

/**
 * `concurrency` callers loop on `run` until `seconds` have passed (each finishes its
 * current call); returns completed calls per second and latency percentiles.
 */
export async function throughput(c: BenchCase, next: () => number, concurrency: number, seconds: number): Promise<Throughput> {
  const latencies: number[] = [];
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const caller = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      await c.run(next(), wholeCall);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, caller));
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  latencies.sort((a, b) => a - b);
  const percentile = (q: number) => latencies[Math.max(0, Math.ceil(q * latencies.length) - 1)] ?? 0;
  return { concurrency, ops: latencies.length, seconds: elapsed, opsPerSec: latencies.length / elapsed, p50Ms: percentile(0.5), p99Ms: percentile(0.99), clientCpuUsPerCall: (cpu.user + cpu.system) / latencies.length };
}

/** Uncounted calls first: one-time work (the catalog read of the unique keys, cached per data source) is not per call. */
const WARMUP_CALLS = 3;

/** Runs `calls` calls one after another, counting each call's round trips (within its region, if it marks one). */
export async function roundTrips(c: BenchCase, next: () => number, calls: number): Promise<RoundTrips> {
  for (let k = 0; k < WARMUP_CALLS; k++) await c.run(next(), wholeCall);
  const counts: number[] = [];
  let statements: string[] = [];
  const counting: Region = async (work) => {
    const counted = await countRoundTrips(work);
    counts.push(counted.roundTrips);
    statements = counted.statements;
    return counted.result;
  };
  for (let k = 0; k < calls; k++) {
    if (c.marksRegion) await c.run(next(), counting);
    else await counting(() => c.run(next(), wholeCall));
  }
  if (counts.length !== calls) throw new Error(`${c.name}: counted ${counts.length} regions in ${calls} calls`);
  return {
    perCall: counts.reduce((a, b) => a + b, 0) / counts.length,
    min: Math.min(...counts),
    max: Math.max(...counts),
    statements,
  };
}
