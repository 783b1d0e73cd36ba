import path from 'node:path';
import type { CallRecord } from './race-protocol';
import type { RaceOptions } from './race';

/** Every call, plus the numbers a benchmark table wants. Times in ms. */
export interface RaceReport {
  label: string;
  processes: number;
  callersPerProcess: number;
  /** Sorted by call index. */
  calls: CallRecord[];
  okCount: number;
  errorCount: number;
  /** Keyed `name` or `name:code`, e.g. `error:23505` for a pg unique violation. */
  errorsByKind: Record<string, number>;
  /** From the first fork until every child reported ready (not part of wallMs). */
  setupMs: number;
  /** From 'go' until the last child reported done. */
  wallMs: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** The workers' own counts (RaceWorker.counters), summed over processes; empty when they keep none. */
  counters: Record<
    string,
    number
  >; /** Calls of a process killed on purpose (RaceOptions.onGo) that never answered; absent when none was killed. */
  unanswered?: number[];
}

/** Builds the report from every child's records (internal to runRace). */
export function summarize(
  options: RaceOptions,
  records: CallRecord[],
  setupMs: number,
  wallMs: number,
  counters: Record<string, number> = {},
): RaceReport {
  const calls = records.sort((a, b) => a.call - b.call);
  const errorsByKind: Record<string, number> = {};
  for (const { error } of calls) {
    if (!error) continue;
    const kind = error.code ? `${error.name}:${error.code}` : error.name;
    errorsByKind[kind] = (errorsByKind[kind] ?? 0) + 1;
  }
  const latencies = calls.map((c) => c.endMs - c.startMs).sort((a, b) => a - b);
  // Nearest-rank percentile: the smallest latency that q of the calls do not exceed.
  const percentile = (q: number) =>
    latencies[Math.max(0, Math.ceil(q * latencies.length) - 1)] ?? 0;
  const okCount = calls.filter((c) => c.ok).length;
  return {
    label: options.label ?? path.basename(options.worker, '.ts'),
    processes: options.processes,
    callersPerProcess: options.callersPerProcess,
    calls,
    okCount,
    errorCount: calls.length - okCount,
    errorsByKind,
    setupMs,
    wallMs,
    opsPerSec: wallMs > 0 ? calls.length / (wallMs / 1000) : 0,
    p50Ms: percentile(0.5),
    p99Ms: percentile(0.99),
    counters,
  };
}

/** One line for logs and benchmark output, e.g. `naive: 400 calls (4x8) ok 400 errors 0 | 2100 ops/s p50 12.1 ms p99 30.4 ms`. */
export function formatReport(r: RaceReport): string {
  const kinds = Object.entries(r.errorsByKind).map(([kind, n]) => `${kind}=${n}`);
  const errors = `errors ${r.errorCount}${kinds.length ? ` (${kinds.join(', ')})` : ''}`;
  return (
    `${r.label}: ${r.calls.length} calls (${r.processes}x${r.callersPerProcess}) ok ${r.okCount} ${errors}` +
    ` | ${Math.round(r.opsPerSec)} ops/s p50 ${r.p50Ms.toFixed(1)} ms p99 ${r.p99Ms.toFixed(1)} ms`
  );
}
