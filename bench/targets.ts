import { type BenchCase, type GroupId, groups } from './cases';
import { MANY_KEYS } from './cases-many';
import type { RoundTrips } from './measure';
import {
  type CaseResult,
  type Spread,
  fixed,
  formatSpread,
  formatTable,
  pairedRatio,
} from './report';

/** A performance target of an issue, checked against one measurement. */
export interface TargetCheck {
  issue: number;
  target: string;
  subject: string;
  /** The mode the ratio was measured in ("1", "32", "4x8"); none for round trips. */
  mode?: string;
  measured: string;
  /** Null when the measurement is missing (the case, what it is compared with, or the mode did not run): "not measured". */
  holds: boolean | null;
}

/** Checks per target: round trips of a case, or its median ratio to the raw baseline or to another case of its group. */
function checker(results: CaseResult[]) {
  const checks: TargetCheck[] = [];
  const find = (group: GroupId, name: string) =>
    results.find((r) => r.group === group && r.name === name);
  const baselineOf = (group: GroupId) => results.find((b) => b.group === group && b.baseline);
  /** One row: `r`'s run in `mode` over `versus`'s, round by round; "not measured" where either is missing. */
  const ratioRow = (
    issue: number,
    target: string,
    subject: string,
    mode: string,
    minimum: number,
    r: CaseResult | undefined,
    versus: CaseResult | undefined,
  ) => {
    const run = r?.modes.find((m) => m.mode === mode);
    const other = versus?.modes.find((o) => o.mode === mode);
    const spread: Spread =
      run && other
        ? pairedRatio(run.roundOpsPerSec, other.roundOpsPerSec)
        : { median: NaN, min: NaN, max: NaN };
    const measured = Number.isFinite(spread.median);
    checks.push({
      issue,
      target,
      subject,
      mode,
      measured: measured ? formatSpread(spread) : 'not measured',
      holds: measured ? spread.median >= minimum : null,
    });
  };
  return {
    checks,
    find,
    roundTrips: (
      issue: number,
      target: string,
      r: CaseResult | undefined,
      holds: (rt: RoundTrips) => boolean,
      measured?: (rt: RoundTrips) => string,
    ) => {
      if (!r) return;
      const rt = r.roundTrips;
      checks.push({
        issue,
        target,
        subject: r.name,
        measured: measured?.(rt) ?? `${fixed(rt.perCall, 1)} (max ${rt.max})`,
        holds: holds(rt),
      });
    },
    /** `r` at least `minimum` times the baseline (or `versus`), in `modes` (default: every mode `r` ran in). */
    ratio: (
      issue: number,
      target: string,
      r: CaseResult | undefined,
      minimum: number,
      options: { versus?: CaseResult; modes?: string[] } = {},
    ) => {
      if (!r) return;
      const versus = options.versus ?? baselineOf(r.group);
      if (!versus) return;
      for (const run of r.modes) {
        if (options.modes && !options.modes.includes(run.mode)) continue;
        ratioRow(issue, target, r.name, run.mode, minimum, r, versus);
      }
    },
    /**
     * The case `name` of `group` at least `minimum` times `versus` (default: the group's
     * baseline), one row in each of `modes` whether or not it ran there: a target that cannot
     * be checked is printed "not measured" rather than left out.
     */
    ratioIn: (
      issue: number,
      target: string,
      group: GroupId,
      name: string,
      minimum: number,
      modes: string[],
      versus?: string,
    ) => {
      const r = find(group, name);
      const other = versus === undefined ? baselineOf(group) : find(group, versus);
      for (const mode of modes) ratioRow(issue, target, name, mode, minimum, r, other);
    },
  };
}

/** A batch's chunks: each starts with its SELECT of the chunk's keys. */
const chunks = (rt: RoundTrips) =>
  Math.max(1, rt.statements.filter((sql) => /^SELECT\b/i.test(sql)).length);
const perChunk = (rt: RoundTrips) =>
  `${fixed(rt.max / chunks(rt), 1)} per chunk (${rt.max} in ${chunks(rt)})`;

/** Issue 25's words for an operation whose cases are in `group` (else the group's title). */
const operationOf: Partial<Record<GroupId, string>> = {
  hit: 'getOrCreate hit',
  miss: 'getOrCreate miss',
  updateOrCreate: 'updateOrCreate, existing row',
  updateOrCreateNew: 'updateOrCreate, new key',
  atomicUpdate: 'atomicUpdate',
  manyNew: `getOrCreateMany, ${MANY_KEYS} new keys`,
  manyExisting: `getOrCreateMany, ${MANY_KEYS} existing keys`,
};
/** Issue 25's load: 4 processes x 8 callers, the mode main.ts's defaults (--processes 4, --process-callers 8) run. */
const FOUR_BY_EIGHT = '4x8';

/**
 * PostgreSQL: issue 25's targets (every operation against its own floor, one row per case that
 * has a floor in `cases`, so a new floor gets its target), issue 12's "Done when" (the ratios
 * that name 1 caller in the 1-caller mode, the others in every mode), then the targets of
 * issues 5 (atomicUpdate) and 9 (hooks) that it did not replace. Reported, never enforced.
 */
export function checkTargets(
  results: CaseResult[],
  cases: Pick<BenchCase, 'group' | 'name' | 'floorOf'>[],
): TargetCheck[] {
  const { checks, find, roundTrips, ratio, ratioIn } = checker(results);
  const oneCaller = { modes: ['1'] };
  const exactly = (n: number) => (rt: RoundTrips) => rt.min === n && rt.max === n;
  ratioIn(
    25,
    'getOrCreate miss (TypeORM), 1 caller: >= 0.85x raw',
    'miss',
    'typeorm getOrCreate',
    0.85,
    ['1'],
  );
  ratioIn(
    25,
    `Sequelize getOrCreateMany, ${MANY_KEYS} new keys, 1 caller: >= 0.6x raw`,
    'manyNew',
    'sequelize getOrCreateMany',
    0.6,
    ['1'],
  );
  for (const floor of cases) {
    if (floor.floorOf === undefined) continue;
    const operation = operationOf[floor.group] ?? groups[floor.group].title;
    ratioIn(
      25,
      `${operation}: >= 0.9x its own floor`,
      floor.group,
      floor.floorOf,
      0.9,
      ['1', FOUR_BY_EIGHT],
      floor.name,
    );
  }
  for (const library of ['typeorm', 'sequelize'] as const) {
    const hit = find('hit', `${library} getOrCreate`);
    const miss = find('miss', `${library} getOrCreate`);
    roundTrips(12, 'getOrCreate hit: 1 round trip', hit, exactly(1));
    roundTrips(12, 'getOrCreate miss, no transaction: 1 round trip', miss, exactly(1));
    if (library === 'typeorm') {
      ratio(12, 'getOrCreate hit, 1 caller: >= 0.85x raw SELECT', hit, 0.85, oneCaller);
      ratio(
        12,
        'getOrCreate miss, 1 caller: >= 0.85x raw INSERT ON CONFLICT DO NOTHING RETURNING',
        miss,
        0.85,
        oneCaller,
      );
    } else {
      ratio(12, 'getOrCreate hit: >= 0.9x its floor', hit, 0.9, {
        versus: find('hit', 'floor: sequelize.query, same statement'),
      });
      ratio(12, 'getOrCreate miss: >= 0.9x its floor', miss, 0.9, {
        versus: find('miss', 'floor: sequelize.query, same statement'),
      });
      ratio(12, 'getOrCreate miss: >= 3x Sequelize findOrCreate', miss, 3, {
        versus: find('miss', 'sequelize findOrCreate'),
      });
    }
    roundTrips(
      12,
      "getOrCreate miss in the caller's transaction: 3 round trips",
      find('missInTransaction', `${library} getOrCreate`),
      (rt) => rt.max <= 3,
    );
    for (const group of ['updateOrCreate', 'updateOrCreateNew'] as const) {
      const upsert = find(group, `${library} updateOrCreate`);
      const row = group === 'updateOrCreate' ? 'existing row' : 'new key';
      roundTrips(12, `updateOrCreate, ${row}: 1 round trip`, upsert, exactly(1));
      if (library === 'typeorm')
        ratio(
          12,
          `updateOrCreate, ${row}, 1 caller: >= 0.8x raw INSERT ON CONFLICT DO UPDATE`,
          upsert,
          0.8,
          oneCaller,
        );
    }
    const many = find('manyNew', `${library} getOrCreateMany`);
    roundTrips(
      12,
      `getOrCreateMany, ${MANY_KEYS} new keys: <= 2 round trips per chunk`,
      many,
      (rt) => rt.max <= 2 * chunks(rt),
      perChunk,
    );
    ratio(12, `getOrCreateMany, ${MANY_KEYS} new keys: >= 20x a loop of getOrCreate`, many, 20, {
      versus: find('manyNew', `${library} loop of ${MANY_KEYS} getOrCreate`),
    });
    ratio(12, `getOrCreateMany, ${MANY_KEYS} new keys: >= 0.8x raw multi-row INSERT`, many, 0.8);
    roundTrips(
      12,
      `getOrCreateMany, ${MANY_KEYS} existing keys: 1 round trip per chunk`,
      find('manyExisting', `${library} getOrCreateMany`),
      (rt) => rt.max <= chunks(rt),
      perChunk,
    );
  }
  for (const library of ['typeorm', 'sequelize'] as const) {
    // Issue 9: hooks cost what the ORM's own create path costs, and nothing when switched off.
    const hooked = find('missWithHooks', `${library} getOrCreate`);
    roundTrips(
      9,
      'with hooks, miss path: SELECT, BEGIN, 2 audit writes, INSERT, COMMIT (6)',
      hooked,
      (rt) => rt.max <= 6,
    );
    ratio(9, "with hooks, miss path: >= 1x the ORM's own create path", hooked, 1, {
      versus: find(
        'missWithHooks',
        library === 'typeorm' ? 'typeorm findOneBy + save()' : 'sequelize findOrCreate',
      ),
    });
    const unhooked = results.find(
      (r) => r.group === 'missWithHooks' && r.library === library && r.name.includes(': false'),
    );
    roundTrips(9, 'hooks switched off, miss path: <= 2 round trips', unhooked, (rt) => rt.max <= 2);
    // Issue 5.
    const atomic = find('atomicUpdate', `${library} atomicUpdate`);
    roundTrips(5, 'atomicUpdate: exactly 1 round trip', atomic, exactly(1));
    ratio(5, 'atomicUpdate: >= 0.9x raw UPDATE', atomic, 0.9);
    const increment = results.find(
      (r) => r.group === 'atomicUpdate' && r.library === library && r.name.includes('increment'),
    );
    ratio(5, `atomicUpdate: ahead of ${increment?.name ?? 'the ORM increment'}`, atomic, 1, {
      versus: increment,
    });
  }
  return checks;
}

/**
 * The MariaDB targets of issue 10 ("Done when": hit 1 round trip, atomicUpdate 1, 2 with
 * `returning`), per package, and that every case has its ratio to raw mysql2 in every mode.
 * Reported as measured: the `returning` line shows what racesafe sends today.
 */
export function checkMariadbTargets(results: CaseResult[]): TargetCheck[] {
  const { checks, find, roundTrips, ratio } = checker(results);
  const oneCaller = { modes: ['1'] };
  const exactlyOne = (rt: RoundTrips) => rt.min === 1 && rt.max === 1;
  // Issue 25's MariaDB targets at 1 caller, TypeORM / Sequelize.
  const issue25 = { typeorm: [0.8, 0.6, 0.7], sequelize: [0.7, 0.5, 0.5] };
  for (const library of ['typeorm', 'sequelize'] as const) {
    const [missMin, upsertMin, manyMin] = issue25[library];
    const miss = find('miss', `${library} getOrCreate`);
    roundTrips(25, 'getOrCreate miss: 1 round trip', miss, exactlyOne);
    ratio(
      25,
      `getOrCreate miss, 1 caller: >= ${missMin}x raw INSERT, SELECT`,
      miss,
      missMin,
      oneCaller,
    );
    for (const group of ['updateOrCreate', 'updateOrCreateNew'] as const) {
      const upsert = find(group, `${library} updateOrCreate`);
      const which = group === 'updateOrCreate' ? 'existing row' : 'new key';
      roundTrips(25, `updateOrCreate, ${which}: 1 round trip`, upsert, exactlyOne);
      ratio(
        25,
        `updateOrCreate, ${which}, 1 caller: >= ${upsertMin}x raw ON DUPLICATE KEY UPDATE`,
        upsert,
        upsertMin,
        oneCaller,
      );
    }
    for (const group of ['manyNew', 'manyExisting'] as const) {
      const many = find(group, `${library} getOrCreateMany`);
      const which = group === 'manyNew' ? 'new' : 'existing';
      roundTrips(
        25,
        `getOrCreateMany, ${MANY_KEYS} ${which} keys: <= 2 round trips`,
        many,
        (rt) => rt.max <= 2,
      );
      ratio(
        25,
        `getOrCreateMany, ${MANY_KEYS} ${which} keys, 1 caller: >= ${manyMin}x raw`,
        many,
        manyMin,
        oneCaller,
      );
    }
  }
  for (const library of ['typeorm', 'sequelize'] as const) {
    roundTrips(
      10,
      'hit path: exactly 1 round trip',
      find('hit', `${library} getOrCreate`),
      (rt) => rt.max === 1 && rt.min === 1,
    );
    roundTrips(
      10,
      'atomicUpdate: exactly 1 round trip',
      find('atomicUpdate', `${library} atomicUpdate`),
      (rt) => rt.max === 1 && rt.min === 1,
    );
    roundTrips(
      10,
      'atomicUpdate returning: 2 round trips (issue 10)',
      find('atomicUpdateReturning', `${library} atomicUpdate returning`),
      (rt) => rt.max <= 2,
    );
  }
  const runs = results.flatMap((r) => r.modes);
  const printed = runs.filter((run) => Number.isFinite(run.ratioToRaw.median)).length;
  checks.push({
    issue: 10,
    target: 'ratio to raw mysql2 printed for every case',
    subject: `${results.length} cases`,
    measured: `${printed} of ${runs.length} runs`,
    holds: printed === runs.length,
  });
  return checks;
}

/** The targets, one line each: held, NOT HELD or not measured. */
export function formatTargets(checks: TargetCheck[]): string {
  const rows = checks.map((t) => [
    t.holds === null ? 'not measured' : t.holds ? 'held' : 'NOT HELD',
    `#${t.issue}`,
    t.target,
    t.subject,
    t.mode === undefined ? '' : t.mode.includes('x') ? t.mode : `@${t.mode}`,
    t.measured,
  ]);
  return formatTable(
    ['', 'issue', 'target', 'implementation', 'mode', 'measured (median, min-max)'],
    rows,
    (c) => c === 5,
  );
}
