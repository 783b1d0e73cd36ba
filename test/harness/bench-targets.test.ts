import type { BenchCase, GroupId } from '../../bench/cases';
import type { CaseResult, ModeResult } from '../../bench/report';
import { type TargetCheck, checkTargets, formatTargets } from '../../bench/targets';

/** A case's result that ran `roundOpsPerSec` in each mode given (per round), and nowhere else. */
function result(
  group: GroupId,
  name: string,
  modes: Record<string, number[]>,
  extra: Partial<CaseResult> = {},
): CaseResult {
  return {
    group,
    operation: group,
    name,
    library: name.includes('sequelize') ? 'sequelize' : 'typeorm',
    baseline: false,
    floor: name.startsWith('floor'),
    roundTrips: { perCall: 1, min: 1, max: 1, statements: [] },
    modes: Object.entries(modes).map(([mode, roundOpsPerSec]): ModeResult => ({
      mode,
      processes: mode.includes('x') ? 4 : 1,
      callersPerProcess: 1,
      opsPerSec: roundOpsPerSec[0],
      ratioToRaw: { median: NaN, min: NaN, max: NaN },
      clientCpuUsPerCall: 0,
      p50Ms: 0,
      p99Ms: 0,
      roundOpsPerSec,
      runs: [],
    })),
    ...extra,
  };
}

const hitFloor = {
  group: 'hit',
  name: 'floor: typeorm dataSource.query, same statement',
  floorOf: 'typeorm getOrCreate',
} satisfies Pick<BenchCase, 'group' | 'name' | 'floorOf'>;
const manyFloor = {
  group: 'manyExisting',
  name: 'floor: sequelize.query, same statement',
  floorOf: 'sequelize getOrCreateMany',
} satisfies Pick<BenchCase, 'group' | 'name' | 'floorOf'>;
const floorRows = (checks: TargetCheck[]) =>
  checks.filter((t) => t.issue === 25 && t.target.endsWith('its own floor'));

describe("bench targets: issue 25's PostgreSQL rows", () => {
  it('gives every case with a floor a row at 1 caller and at 4x8, measured against that floor round by round', () => {
    const results = [
      result('hit', 'typeorm getOrCreate', { '1': [95, 80, 90], '4x8': [50, 60, 70] }),
      result('hit', hitFloor.name, { '1': [100, 100, 100], '4x8': [100, 100, 100] }),
    ];
    const rows = floorRows(checkTargets(results, [hitFloor]));
    expect(
      rows.map(({ target, subject, mode, measured, holds }) => [
        target,
        subject,
        mode,
        measured,
        holds,
      ]),
    ).toEqual([
      [
        'getOrCreate hit: >= 0.9x its own floor',
        'typeorm getOrCreate',
        '1',
        '0.90x (0.80-0.95)',
        true,
      ],
      [
        'getOrCreate hit: >= 0.9x its own floor',
        'typeorm getOrCreate',
        '4x8',
        '0.60x (0.50-0.70)',
        false,
      ],
    ]);
  });

  it('prints a row whose case, floor or mode did not run as "not measured", never as held', () => {
    const results = [
      result('hit', 'typeorm getOrCreate', { '1': [100] }),
      result('hit', hitFloor.name, { '1': [50], '32': [50] }),
    ];
    const checks = checkTargets(results, [hitFloor, manyFloor]);
    const rows = floorRows(checks);
    expect(rows.map(({ subject, mode, holds }) => [subject, mode, holds])).toEqual([
      ['typeorm getOrCreate', '1', true],
      ['typeorm getOrCreate', '4x8', null],
      ['sequelize getOrCreateMany', '1', null],
      ['sequelize getOrCreateMany', '4x8', null],
    ]);
    // The two 1-caller ratios to raw: neither their case nor a raw baseline ran.
    const toRaw = checks.filter((t) => t.issue === 25 && t.target.includes('x raw'));
    expect(toRaw.map(({ subject, mode, holds }) => [subject, mode, holds])).toEqual([
      ['typeorm getOrCreate', '1', null],
      ['sequelize getOrCreateMany', '1', null],
    ]);
    const printed = formatTargets(checks).split('\n');
    const unmeasured = printed.filter(
      (line) => line.includes('its own floor') && !line.startsWith('held'),
    );
    expect(unmeasured).toHaveLength(3);
    for (const line of unmeasured) expect(line).toMatch(/^not measured .*not measured$/);
  });

  it('divides the TypeORM miss and the Sequelize batch by their group raw baselines at 1 caller only', () => {
    const baseline = { baseline: true, library: 'pg' } as const;
    const results = [
      result(
        'miss',
        'raw pg INSERT ON CONFLICT DO NOTHING RETURNING',
        { '1': [100], '4x8': [100] },
        baseline,
      ),
      result('miss', 'typeorm getOrCreate', { '1': [86], '4x8': [10] }),
      result('manyNew', 'raw pg multi-row INSERT', { '1': [100] }, baseline),
      result('manyNew', 'sequelize getOrCreateMany', { '1': [59] }),
    ];
    const toRaw = checkTargets(results, []).filter(
      (t) => t.issue === 25 && t.target.includes('x raw'),
    );
    expect(toRaw.map(({ target, mode, holds }) => [target, mode, holds])).toEqual([
      ['getOrCreate miss (TypeORM), 1 caller: >= 0.85x raw', '1', true],
      ['Sequelize getOrCreateMany, 1000 new keys, 1 caller: >= 0.6x raw', '1', false],
    ]);
  });
});
