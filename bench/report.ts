import { type GroupId, type Library, groups } from './cases';
import type { RoundTrips, Throughput } from './measure';
import { type Measured, type Mode, callersIn } from './schedule';

/** A median over the rounds, with the lowest and highest round. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** One case in one mode: medians over its runs, its ratio to the group's raw baseline round by round. */
export interface ModeResult {
  mode: string;
  processes: number;
  callersPerProcess: number;
  opsPerSec: number;
  /** Each round's ops/s over the mean of the two baseline runs around it (the baseline itself: each round over its median). */
  ratioToRaw: Spread;
  clientCpuUsPerCall: number;
  p50Ms: number;
  p99Ms: number;
  /** Ops/s of each round (a baseline: the mean of its two runs of that round). */
  roundOpsPerSec: number[];
  runs: Throughput[];
}

/** One case, every mode. */
export interface CaseResult {
  group: GroupId;
  operation: string;
  name: string;
  library: Library;
  baseline: boolean;
  floor: boolean;
  roundTrips: RoundTrips;
  modes: ModeResult[];
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  if (sorted.length === 0) return NaN;
  return sorted.length % 2 === 1
    ? sorted[Math.floor(middle)]
    : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Round by round `a / b` (both lists of per-round ops/s), as a median and its range. */
export function pairedRatio(a: number[], b: number[]): Spread {
  const ratios = a.map((x, r) => x / b[r]).filter(Number.isFinite);
  return ratios.length === 0
    ? { median: NaN, min: NaN, max: NaN }
    : { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
}

/** Every case's result in every mode it ran in. */
export function summarize(measured: Measured[], modes: Mode[]): CaseResult[] {
  const rounds = (m: Measured, mode: Mode) => {
    const runs = (m.runs[mode.id] ?? []).map((run) => run.opsPerSec);
    // A baseline ran before and after its group in each round.
    return m.c.baseline
      ? runs.filter((_, k) => k % 2 === 0).map((before, r) => (before + runs[2 * r + 1]) / 2)
      : runs;
  };
  return measured.map((m) => {
    const baseline = measured.find((other) => other.c.group === m.c.group && other.c.baseline);
    const results = modes.flatMap((mode): ModeResult[] => {
      const runs = m.runs[mode.id] ?? [];
      if (runs.length === 0) return [];
      const own = rounds(m, mode);
      const raw = m.c.baseline
        ? own.map(() => median(own))
        : baseline
          ? rounds(baseline, mode)
          : [];
      const middle = (pick: (run: Throughput) => number) => median(runs.map(pick));
      return [
        {
          mode: mode.id,
          processes: mode.processes,
          callersPerProcess: callersIn(mode, m.c.group) ?? mode.callers,
          opsPerSec: middle((run) => run.opsPerSec),
          ratioToRaw: pairedRatio(own, raw),
          clientCpuUsPerCall: middle((run) => run.clientCpuUsPerCall),
          p50Ms: middle((run) => run.p50Ms),
          p99Ms: middle((run) => run.p99Ms),
          roundOpsPerSec: own,
          runs,
        },
      ];
    });
    return {
      group: m.c.group,
      operation: groups[m.c.group].title,
      name: m.c.name,
      library: m.c.library,
      baseline: m.c.baseline === true,
      floor: m.c.floorOf !== undefined,
      roundTrips: m.roundTrips,
      modes: results,
    };
  });
}

export const fixed = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : '-');
/** "0.87x (0.84-0.90)". */
export const formatSpread = (s: Spread) => `${fixed(s.median)}x (${fixed(s.min)}-${fixed(s.max)})`;

/** Left-aligned text, right-aligned numbers, two spaces between columns; a row of one cell is a heading across the table. */
export function formatTable(
  header: string[],
  rows: string[][],
  rightAligned: (column: number) => boolean,
): string {
  const widths = header.map((_, c) =>
    Math.max(...[header, ...rows].filter((row) => row.length > 1).map((row) => row[c].length)),
  );
  const line = (row: string[]) =>
    row.length === 1
      ? row[0]
      : row
          .map((cell, c) => (rightAligned(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
          .join('  ')
          .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The mode's column heading: "@1", "@32" (one process), "4x8" (processes x callers each). */
export const modeHeading = (mode: Mode) =>
  mode.processes === 1 ? `@${mode.callers}` : `${mode.processes}x${mode.callers}`;

/** The results table: a heading per operation, then per case its round trips and, per mode, median ops/s, ratio to raw (min-max) and client CPU per call. */
export function formatResults(results: CaseResult[], modes: Mode[]): string {
  const header = [
    'implementation',
    'round trips',
    ...modes.flatMap((mode) => [
      `ops/s ${modeHeading(mode)}`,
      `x raw ${modeHeading(mode)} (min-max)`,
      `cpu µs ${modeHeading(mode)}`,
    ]),
  ];
  const rows: string[][] = [];
  let previous: GroupId | undefined;
  for (const r of results) {
    if (r.group !== previous) {
      const oneCaller = groups[r.group].oneCaller ? ' [1 caller per process]' : '';
      rows.push([`${r.operation}${oneCaller}`]);
    }
    previous = r.group;
    const cells = modes.flatMap((mode) => {
      const run = r.modes.find((x) => x.mode === mode.id);
      return run
        ? [
            String(Math.round(run.opsPerSec)),
            formatSpread(run.ratioToRaw),
            fixed(run.clientCpuUsPerCall, 0),
          ]
        : ['-', '-', '-'];
    });
    const rt =
      r.roundTrips.min === r.roundTrips.max
        ? String(r.roundTrips.max)
        : `${fixed(r.roundTrips.perCall, 1)} (${r.roundTrips.min}-${r.roundTrips.max})`;
    rows.push([`  ${r.name}`, rt, ...cells]);
  }
  return formatTable(header, rows, (c) => c >= 1);
}
