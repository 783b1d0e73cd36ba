import { performance } from 'node:perf_hooks';
import type { BenchCase, Region } from './cases';
import { countRoundTrips } from './round-trips';

/** Throughput of one case in one run: one process, or every process of the multi-process mode together. */
export interface Throughput {
  /** Concurrent callers in each process. */
  concurrency: number;
  processes: number;
  ops: number;
  seconds: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU time of the client process(es) per call, user + system, in µs: what the ORM and racesafe cost on the client. */
  clientCpuUsPerCall: number;
}

/** What one process saw in one run, before it is merged with the other processes' (see {@link merge}). */
export interface Sample {
  concurrency: number;
  ops: number;
  /** From the shared start to this process's last call's end. */
  seconds: number;
  latenciesMs: number[];
  cpuUs: number;
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

/** A batch's statement binds thousands of values: the report keeps its beginning. */
const STATEMENT_CHARS = 400;

const wholeCall: Region = (work) => work();

/** A fresh call index for every call of a case, so miss-path keys are never reused: `offset + n * stride`. */
export function callIndexes(offset = 0, stride = 1): () => number {
  let n = 0;
  return () => offset + stride * n++;
}

/**
 * `concurrency` callers loop on `c.run` from `startAt` (a `performance.now()` time, waited for)
 * until `seconds` later; each finishes the call it is in, so a run lasts at least one call.
 */
export async function sample(
  c: BenchCase,
  next: () => number,
  concurrency: number,
  seconds: number,
  startAt = performance.now(),
): Promise<Sample> {
  const wait = startAt - performance.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  const latenciesMs: number[] = [];
  const cpuBefore = process.cpuUsage();
  const deadline = startAt + seconds * 1000;
  const caller = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      await c.run(next(), wholeCall);
      latenciesMs.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, caller));
  const cpu = process.cpuUsage(cpuBefore);
  return {
    concurrency,
    ops: latenciesMs.length,
    seconds: (performance.now() - startAt) / 1000,
    latenciesMs,
    cpuUs: cpu.user + cpu.system,
  };
}

/** One run's throughput from every process's sample: all calls over the longest process's time, percentiles over all calls. */
export function merge(samples: Sample[]): Throughput {
  const latencies = samples.flatMap((s) => s.latenciesMs).sort((a, b) => a - b);
  const ops = latencies.length;
  const seconds = Math.max(...samples.map((s) => s.seconds));
  const percentile = (q: number) => latencies[Math.max(0, Math.ceil(q * ops) - 1)] ?? 0;
  const cpuUs = samples.reduce((sum, s) => sum + s.cpuUs, 0);
  return {
    concurrency: samples[0].concurrency,
    processes: samples.length,
    ops,
    seconds,
    opsPerSec: ops / seconds,
    p50Ms: percentile(0.5),
    p99Ms: percentile(0.99),
    clientCpuUsPerCall: cpuUs / ops,
  };
}

/** Throughput of one case at one concurrency in this process. */
export async function throughput(
  c: BenchCase,
  next: () => number,
  concurrency: number,
  seconds: number,
): Promise<Throughput> {
  return merge([await sample(c, next, concurrency, seconds)]);
}

/** Runs `calls` calls one after another (after `warmup` uncounted ones), counting each call's round trips (within its region, if it marks one). */
export async function roundTrips(
  c: BenchCase,
  next: () => number,
  calls: number,
  warmup: number,
): Promise<RoundTrips> {
  // Uncounted calls first: one-time work (the catalog read of the unique keys, cached per data source) is not per call.
  for (let k = 0; k < warmup; k++) await c.run(next(), wholeCall);
  const counts: number[] = [];
  let statements: string[] = [];
  const counting: Region = async (work) => {
    const counted = await countRoundTrips(work);
    counts.push(counted.roundTrips);
    statements = counted.statements.map((sql) =>
      sql.length > STATEMENT_CHARS ? `${sql.slice(0, STATEMENT_CHARS)}...` : sql,
    );
    return counted.result;
  };
  for (let k = 0; k < calls; k++) {
    if (c.marksRegion) await c.run(next(), counting);
    else await counting(() => c.run(next(), wholeCall));
  }
  if (counts.length !== calls)
    throw new Error(`${c.name}: counted ${counts.length} regions in ${calls} calls`);
  return {
    perCall: counts.reduce((a, b) => a + b, 0) / counts.length,
    min: Math.min(...counts),
    max: Math.max(...counts),
    statements,
  };
}
