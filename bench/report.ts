import { type BenchCase, type GroupId, type Library, groups } from './cases';
import type { RoundTrips, Throughput } from './measure';

/** One case, every concurrency, ratios filled in. */
export interface CaseResult {
  group: GroupId;
  operation: string;
  name: string;
  library: Library;
  baseline: boolean;
  floor: boolean;
  roundTrips: RoundTrips;
  runs: (Throughput & { ratioToRaw: number })[];
}

/** A performance target (issues 5 and 9), checked against one measurement. */
export interface TargetCheck {
  target: string;
  subject: string;
  concurrency?: number;
  measured: string;
  holds: boolean;
}

/** Fills in each run's ratio to the raw pg (or mysql2) baseline of its group at the same concurrency. */
export function withRatios(cases: { c: BenchCase; roundTrips: RoundTrips; runs: Throughput[] }[]): CaseResult[] {
  return cases.map(({ c, roundTrips, runs }) => {
    const baseline = cases.find((other) => other.c.group === c.group && other.c.baseline);
    return {
      group: c.group,
      operation: groups[c.group],
      name: c.name,
      library: c.library,
      baseline: c.baseline === true,
      floor: c.floor === true,
      roundTrips,
      runs: runs.map((run) => {
        const raw = baseline?.runs.find((r) => r.concurrency === run.concurrency);
        return { ...run, ratioToRaw: raw ? run.opsPerSec / raw.opsPerSec : NaN };
      }),
    };
  });
}

const fixed = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

/** The targets of issue 5 ("Performance targets") and issue 9 (hooks), each per package and concurrency. */
export function checkTargets(results: CaseResult[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const find = (group: GroupId, name: string) => results.find((r) => r.group === group && r.name === name);
  const roundTripTarget = (target: string, r: CaseResult | undefined, holds: (rt: RoundTrips) => boolean) => {
    if (r) checks.push({ target, subject: r.name, measured: `${fixed(r.roundTrips.perCall, 1)} (max ${r.roundTrips.max})`, holds: holds(r.roundTrips) });
  };
  const ratioTarget = (target: string, r: CaseResult | undefined, minimum: number, versus?: CaseResult) => {
    for (const run of r?.runs ?? []) {
      const other = versus?.runs.find((o) => o.concurrency === run.concurrency);
      const ratio = versus ? (other ? run.opsPerSec / other.opsPerSec : NaN) : run.ratioToRaw;
      checks.push({ target, subject: r!.name, concurrency: run.concurrency, measured: `${fixed(ratio)}x`, holds: ratio >= minimum });
    }
  };
  for (const library of ['typeorm', 'sequelize'] as const) {
    const hit = find('hit', `${library} getOrCreate`);
    roundTripTarget('hit path: exactly 1 round trip', hit, (rt) => rt.max === 1 && rt.min === 1);
    ratioTarget('hit path: >= 0.9x raw SELECT', hit, 0.9);
    const miss = find('miss', `${library} getOrCreate`);
    roundTripTarget('miss path, no transaction: <= 2 round trips', miss, (rt) => rt.max <= 2);
    ratioTarget('miss path, no transaction: >= 0.45x raw ON CONFLICT', miss, 0.45);
    ratioTarget('miss path, no transaction: >= 2x Sequelize findOrCreate', miss, 2, find('miss', 'sequelize findOrCreate'));
    roundTripTarget("miss path in the caller's transaction: <= 4 round trips", find('missInTransaction', `${library} getOrCreate`), (rt) => rt.max <= 4);
    // Issue 9: hooks cost what the ORM's own create path costs, and nothing when switched off.
    const hooked = find('missWithHooks', `${library} getOrCreate`);
    roundTripTarget('with hooks, miss path: SELECT, BEGIN, 2 audit writes, INSERT, COMMIT (6)', hooked, (rt) => rt.max <= 6);
    ratioTarget("with hooks, miss path: >= 1x the ORM's own create path", hooked, 1, find('missWithHooks', library === 'typeorm' ? 'typeorm findOneBy + save()' : 'sequelize findOrCreate'));
    const unhooked = results.find((r) => r.group === 'missWithHooks' && r.library === library && r.name.includes(': false'));
    roundTripTarget('hooks switched off, miss path: <= 2 round trips', unhooked, (rt) => rt.max <= 2);
    const atomic = find('atomicUpdate', `${library} atomicUpdate`);
    roundTripTarget('atomicUpdate: exactly 1 round trip', atomic, (rt) => rt.max === 1 && rt.min === 1);
    ratioTarget('atomicUpdate: >= 0.9x raw UPDATE', atomic, 0.9);
    const increment = results.find((r) => r.group === 'atomicUpdate' && r.library === library && r.name.includes('increment'));
    ratioTarget(`atomicUpdate: ahead of ${increment?.name ?? 'the ORM increment'}`, atomic, 1, increment);
  }
  return checks;
}

/**
 * The MariaDB targets of issue 10 ("Done when": hit 1 round trip, atomicUpdate 1, 2 with
 * `returning`), per package, and that every case has its ratio to raw mysql2 at every
 * concurrency. Reported as measured: the `returning` line shows what racesafe sends today.
 */
export function checkMariadbTargets(results: CaseResult[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const roundTripTarget = (target: string, r: CaseResult | undefined, holds: (rt: RoundTrips) => boolean) => {
    if (r) checks.push({ target, subject: r.name, measured: `${fixed(r.roundTrips.perCall, 1)} (max ${r.roundTrips.max})`, holds: holds(r.roundTrips) });
  };
  const find = (group: GroupId, name: string) => results.find((r) => r.group === group && r.name === name);
  for (const library of ['typeorm', 'sequelize'] as const) {
    roundTripTarget('hit path: exactly 1 round trip', find('hit', `${library} getOrCreate`), (rt) => rt.max === 1 && rt.min === 1);
    roundTripTarget('atomicUpdate: exactly 1 round trip', find('atomicUpdate', `${library} atomicUpdate`), (rt) => rt.max === 1 && rt.min === 1);
    roundTripTarget('atomicUpdate returning: 2 round trips (issue 10)', find('atomicUpdateReturning', `${library} atomicUpdate returning`), (rt) => rt.max <= 2);
  }
  const runs = results.flatMap((r) => r.runs);
  const printed = runs.filter((run) => Number.isFinite(run.ratioToRaw)).length;
  checks.push({ target: 'ratio to raw mysql2 printed for every case', subject: `${results.length} cases`, measured: `${printed} of ${runs.length} runs`, holds: printed === runs.length });
  return checks;
}

/** Left-aligned text, right-aligned numbers, two spaces between columns. */
function formatTable(header: string[], rows: string[][], rightAligned: (column: number) => boolean): string {
  const widths = header.map((_, c) => Math.max(...[header, ...rows].map((row) => row[c].length)));
  const line = (row: string[]) => row.map((cell, c) => (rightAligned(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The results table: one line per case, ops/s and ratio to raw pg at each concurrency, round trips per call. */
export function formatResults(results: CaseResult[], concurrencies: number[]): string {
  const header = ['operation', 'implementation', 'round trips', ...concurrencies.flatMap((c) => [`ops/s @${c}`, `x raw @${c}`, `cpu µs @${c}`])];
  const rows: string[][] = [];
  let previous: GroupId | undefined;
  for (const r of results) {
    const cells = concurrencies.flatMap((c) => {
      const run = r.runs.find((x) => x.concurrency === c);
      return run ? [String(Math.round(run.opsPerSec)), `${fixed(run.ratioToRaw)}x`, fixed(run.clientCpuUsPerCall, 0)] : ['-', '-', '-'];
    });
    const rt = r.roundTrips.min === r.roundTrips.max ? String(r.roundTrips.max) : `${fixed(r.roundTrips.perCall, 1)} (${r.roundTrips.min}-${r.roundTrips.max})`;
    rows.push([r.group === previous ? '' : r.operation, r.name, rt, ...cells]);
    previous = r.group;
  }
  return formatTable(header, rows, (c) => c >= 2);
}

/** The targets, one line each: holds or MISSED. */
export function formatTargets(checks: TargetCheck[]): string {
  const rows = checks.map((t) => [t.holds ? 'holds' : 'MISSED', t.target, t.subject, t.concurrency === undefined ? '' : `@${t.concurrency}`, t.measured]);
  return formatTable(['', 'target', 'implementation', 'callers', 'measured'], rows, (c) => c === 4);
}
