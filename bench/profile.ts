import { Session } from 'node:inspector/promises';
import path from 'node:path';
import type { BenchCase } from './cases';
import { throughput } from './measure';

/** A V8 CPU profile, as the inspector returns it (the fields used here). */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

const root = path.resolve(__dirname, '..');

/** Where a sample's time went: the driver, an ORM, racesafe, node, idle (waiting on the server)... */
function bucketOf(functionName: string, url: string): string {
  if (!url) return functionName.replace(/[()]/g, '') || 'native';
  if (url.startsWith('node:')) return 'node internals';
  const file = url.replace(/^file:\/\//, '');
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1];
  if (pkg) return /^pg(-|$)/.test(pkg) ? 'pg driver' : pkg === 'typeorm03' ? 'typeorm' : pkg;
  const own = /^packages\/([^/]+)\/src\//.exec(path.relative(root, file))?.[1];
  return own ? `racesafe ${own}` : path.relative(root, file).split('/')[0];
}

/** Microseconds of CPU per call in each bucket, and the functions that spent the most (self time). */
export interface Breakdown {
  calls: number;
  opsPerSec: number;
  buckets: [string, number][];
  functions: [string, number][];
}

/**
 * Runs one case for `seconds` under the V8 sampling profiler and attributes self time to
 * buckets (idle = the event loop waiting, i.e. on the server) and functions, per call.
 */
export async function profileCase(
  c: BenchCase,
  next: () => number,
  concurrency: number,
  seconds: number,
): Promise<Breakdown> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 250 });
    await session.post('Profiler.start');
    const run = await throughput(c, next, concurrency, seconds);
    const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: CpuProfile };
    const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
    const buckets = new Map<string, number>();
    const functions = new Map<string, number>();
    profile.samples.forEach((id, i) => {
      const frame = byId.get(id)!;
      const us = profile.timeDeltas[i] ?? 0;
      const bucket = bucketOf(frame.functionName, frame.url);
      buckets.set(bucket, (buckets.get(bucket) ?? 0) + us);
      if (frame.url) {
        const where = `${frame.functionName || '(anonymous)'} ${path.relative(root, frame.url.replace(/^file:\/\//, ''))}:${frame.lineNumber + 1}`;
        functions.set(where, (functions.get(where) ?? 0) + us);
      }
    });
    const perCall = (entries: Map<string, number>) =>
      [...entries]
        .map(([k, us]) => [k, us / run.ops] as [string, number])
        .sort((a, b) => b[1] - a[1]);
    return {
      calls: run.ops,
      opsPerSec: run.opsPerSec,
      buckets: perCall(buckets),
      functions: perCall(functions).slice(0, Number(process.env.RACESAFE_PROFILE_TOP ?? 25)),
    };
  } finally {
    await session.post('Profiler.disable').catch(() => undefined);
    session.disconnect();
  }
}

/** The breakdown as text: buckets, then the top functions, in µs per call. */
export function formatBreakdown(title: string, b: Breakdown): string {
  const line = ([name, us]: [string, number]) => `  ${us.toFixed(1).padStart(8)} µs  ${name}`;
  return [
    `${title}: ${b.calls} calls, ${Math.round(b.opsPerSec)} calls/s, ${(1e6 / b.opsPerSec).toFixed(0)} µs per call (wall, per caller: x concurrency)`,
    ' where the time went (µs per call; "idle" = waiting on the server):',
    ...b.buckets.map(line),
    ' top functions by self time (µs per call):',
    ...b.functions.map(line),
  ].join('\n');
}
