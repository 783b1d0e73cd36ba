import path from 'node:path';
import {
  type Verdict,
  checkCounterHistory,
  checkGetOrCreateHistory,
  checkGuardedDecrementHistory,
  historyOf,
} from '../harness/history';
import { type RaceReport, runRace } from '../harness/race';
import { hashed } from '../integration/hooks';
import type {
  CounterResult,
  DecrementResult,
  GetOrCreateManyResult,
  GetOrCreateResult,
  HashedAccountResult,
  RaceOp,
  RaceWorkerArgs,
  UpdateOrCreateResult,
  VisitResult,
} from './ops';
import { hotCounter, hotSku, raceBatchKeys, racePassword } from './ops';
import { type SqlClient, isSqliteUrl, openSqlClient } from './sql-client';
import { raceBusyTimeoutMs, raceRetry } from './sqlite-busy';

/** One package under test: its name and its race worker module. */
export interface RaceTarget {
  name: 'typeorm' | 'sequelize';
  worker: string;
}

/** How big a race is. */
export interface RaceSize {
  processes: number;
  callersPerProcess: number;
  calls: number;
  keys?: number;
}

/** What one approach did in one scenario: the harness report, the figures read back from the database, and every anomaly. */
export interface Outcome {
  approach: string;
  report: RaceReport;
  figures: Record<string, number>;
  anomalies: string[];
  /** The history checker's verdict (test/harness/history.ts, issue 13), where the scenario has a model for it. */
  verdict?: Verdict;
}

/** A race scenario: racesafe and the naive approach through the same harness, same load. */
export interface RaceScenario {
  name: string;
  operation: 'getOrCreate' | 'getOrCreateMany' | 'updateOrCreate' | 'atomicUpdate';
  size: RaceSize;
  run(
    target: RaceTarget,
    url: string,
    size: RaceSize,
    onProgress?: (done: number, total: number) => void,
  ): Promise<Outcome[]>;
}

const repoRoot = path.resolve(__dirname, '../..');
/** The race worker of a package: packages/<name>/test/race-worker.ts. */
export function raceTarget(name: RaceTarget['name']): RaceTarget {
  return { name, worker: path.join(repoRoot, 'packages', name, 'test', 'race-worker.ts') };
}

async function withClient<T>(url: string, work: (client: SqlClient) => Promise<T>): Promise<T> {
  const client = await openSqlClient(url);
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function race(
  target: RaceTarget,
  url: string,
  size: RaceSize,
  op: RaceOp,
  extra: Partial<RaceWorkerArgs>,
  onProgress?: (d: number, t: number) => void,
) {
  const args: RaceWorkerArgs = {
    url,
    op,
    processes: size.processes,
    poolSize: Math.max(1, Math.floor(size.callersPerProcess / 2)),
    keys: size.keys,
    ...extra,
  };
  return runRace({
    worker: target.worker,
    args,
    ...size,
    label: `${target.name} ${op}`,
    onProgress,
  });
}

/**
 * On a SQLite file, every worker connection waits {@link raceBusyTimeoutMs} for the write lock,
 * and racesafe makes {@link raceRetry} attempts.
 */
function sqliteArgs(url: string): Partial<RaceWorkerArgs> {
  return isSqliteUrl(url) ? { busyTimeoutMs: raceBusyTimeoutMs, retry: raceRetry } : {};
}

/**
 * A scenario's size on one SQLite file: 4 OS processes x 4 callers (issue 11), the same
 * calls and keys. SQLite admits one writer at a time, so more callers only queue longer
 * on the write lock; TypeORM's SQLite drivers give each process one connection anyway.
 */
export function sqliteSize(size: RaceSize): RaceSize {
  return { ...size, processes: 4, callersPerProcess: 4 };
}

/**
 * `size` with its calls and keys times `factor` (the demo's `--calls`): each key meets the same
 * contention (ten calls per key over 200 keys); the guarded decrement keeps at least 20 buyers
 * for its 10 items.
 */
export function scaledSize(scenario: RaceScenario, size: RaceSize, factor: number): RaceSize {
  const scaled = { ...size, calls: Math.max(1, Math.round(size.calls * factor)) };
  if (size.keys !== undefined) scaled.keys = Math.max(1, Math.round(size.keys * factor));
  if (scenario === scenarios.guardedDecrement) scaled.calls = Math.max(20, scaled.calls);
  return scaled;
}

/**
 * The share of a scenario's calls the race suites in `npm test` make (`npm run demo` makes them all),
 * with the same processes, callers and keys: `npm test` must fit 10 minutes on 2 cores, and the race
 * workers are its largest share of CPU. The contention is where the races are: a hot key's first
 * bursts of callers (once its row exists, a later call only reads it or queues on its lock), every
 * counter call beside 31 others. So a quarter of the calls, except where a smaller share would thin
 * the contention itself: the 200-key scenario keeps half (5 calls per key, which its 4 processes
 * meet at once), and the guarded decrement keeps 25 buyers for its 10 items. Each naive approach
 * still breaks at these sizes, by a margin the race report prints.
 */
export function suiteScale(scenario: RaceScenario): number {
  return scenario === scenarios.getOrCreateManyKeys || scenario === scenarios.guardedDecrement
    ? 0.5
    : 0.25;
}

/** A scenario's size in the race suites: {@link suiteScale} of its calls, of `size` (default: the scenario's own). */
export function suiteSize(scenario: RaceScenario, size: RaceSize = scenario.size): RaceSize {
  return { ...size, calls: Math.round(size.calls * suiteScale(scenario)) };
}

/** One approach of a scenario: its label, the worker operation, and the table it writes. */
interface Approach {
  approach: string;
  op: RaceOp;
  table?: string;
}

/** The same load, through the same harness, for each approach in turn, on freshly seeded tables; `check` reads the database afterwards. */
async function compareApproaches(
  run: {
    target: RaceTarget;
    url: string;
    size: RaceSize;
    onProgress?: (done: number, total: number) => void;
  },
  approaches: Approach[],
  seed: (client: SqlClient) => Promise<unknown>,
  check: (
    report: RaceReport,
    approach: Approach,
  ) => Promise<Pick<Outcome, 'figures' | 'anomalies' | 'verdict'>>,
  extra: Partial<RaceWorkerArgs> = {},
): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (const approach of approaches) {
    await withClient(run.url, async (client) => {
      await client.truncate();
      await seed(client);
    });
    const report = await race(
      run.target,
      run.url,
      run.size,
      approach.op,
      { ...sqliteArgs(run.url), ...extra },
      run.onProgress,
    );
    const { figures, anomalies, verdict } = await check(report, approach);
    // The workers' own counts (SQLite: SQLITE_BUSY statement failures) beside the database's figures.
    outcomes.push({
      approach: approach.approach,
      report,
      figures: { ...figures, ...report.counters },
      anomalies,
      verdict,
    });
  }
  return outcomes;
}

function errorAnomalies(report: RaceReport): string[] {
  return report.errorCount > 0
    ? [
        `${report.errorCount} errors (${Object.entries(report.errorsByKind)
          .map(([k, n]) => `${k}: ${n}`)
          .join(', ')})`,
      ]
    : [];
}

function okValues<T>(report: RaceReport): T[] {
  return report.calls.filter((c) => c.ok).map((c) => c.value as T);
}

/** getOrCreate: one row per key, one id per key for every caller, exactly one created=true per key, no errors (also the mixed-ORM race, test/race/mixed-orm.ts). */
export async function checkGetOrCreate(
  url: string,
  table: string,
  report: RaceReport,
  keyCount: number,
): Promise<Pick<Outcome, 'figures' | 'anomalies' | 'verdict'>> {
  const rows = await withClient(url, async (c) =>
    (
      await c.query<{ email: string; n: number; id: number }>(
        `SELECT email, count(*) AS n, min(id) AS id FROM ${table} GROUP BY email`,
      )
    ).map((r) => ({ ...r, n: Number(r.n) })),
  );
  const anomalies = errorAnomalies(report);
  const duplicates = rows.reduce((sum, r) => sum + r.n - 1, 0);
  if (duplicates > 0) anomalies.push(`${duplicates} duplicate rows`);
  if (rows.length !== keyCount) anomalies.push(`${rows.length} keys present of ${keyCount}`);
  const byKey = new Map<string, GetOrCreateResult[]>();
  // A getOrCreateMany call returns one result per lookup.
  for (const value of okValues<GetOrCreateResult | GetOrCreateManyResult>(report).flat())
    byKey.set(value.key, [...(byKey.get(value.key) ?? []), value]);
  let splitKeys = 0;
  let wrongCreated = 0;
  for (const [key, results] of byKey) {
    const row = rows.find((r) => r.email === key);
    if (new Set(results.map((r) => r.id)).size !== 1 || results[0].id !== row?.id) splitKeys++;
    if (results.filter((r) => r.created).length !== 1) wrongCreated++;
  }
  if (splitKeys > 0) anomalies.push(`${splitKeys} keys where callers got different ids`);
  if (wrongCreated > 0) anomalies.push(`${wrongCreated} keys without exactly one created=true`);
  return {
    figures: { rows: rows.reduce((s, r) => s + r.n, 0), duplicates, errors: report.errorCount },
    anomalies,
    verdict: getOrCreateVerdict(report, rows),
  };
}

/**
 * getOrCreate's history verdict (issue 13): a call's key is the one its result names; a failed
 * call stays a key of its own (no result to tell). None for getOrCreateMany (a result per lookup).
 */
function getOrCreateVerdict(
  report: RaceReport,
  rows: { email: string; n: number; id: number }[],
): Verdict | undefined {
  const values = new Map(report.calls.filter((c) => c.ok).map((c) => [c.call, c.value]));
  if ([...values.values()].some(Array.isArray)) return undefined;
  const keyOf = (call: number) =>
    (values.get(call) as GetOrCreateResult | undefined)?.key ?? `call ${call}`;
  return checkGetOrCreateHistory(
    historyOf(report.calls),
    rows.map((r) => ({ key: r.email, id: r.id, n: r.n })),
    keyOf,
  );
}

/** The racesafe and naive operations of a getOrCreate scenario and the tables they write (users / naive_users unless given). */
interface GetOrCreateOps {
  racesafe: RaceOp;
  naive?: RaceOp;
  tables?: [racesafe: string, naive: string];
  /** More anomalies of one approach's run, beyond the getOrCreate checks. */
  check?: (url: string, report: RaceReport, table: string) => Promise<string[]>;
}

function getOrCreateScenario(name: string, size: RaceSize, ops: GetOrCreateOps): RaceScenario {
  const [racesafeTable, naiveTable] = ops.tables ?? ['users', 'naive_users'];
  return {
    name,
    operation: 'getOrCreate',
    size,
    run: (target, url, size, onProgress) =>
      compareApproaches(
        { target, url, size, onProgress },
        [
          { approach: 'racesafe', op: ops.racesafe, table: racesafeTable },
          {
            approach: target.name === 'typeorm' ? 'naive findOneBy+save' : 'naive findOrCreate',
            op: ops.naive ?? 'naive:getOrCreate',
            table: naiveTable,
          },
        ],
        async () => undefined,
        async (report, { table }) => {
          const outcome = await checkGetOrCreate(url, table!, report, size.keys ?? 1);
          outcome.anomalies.push(...((await ops.check?.(url, report, table!)) ?? []));
          return outcome;
        },
      ),
  };
}

/** Error codes of a deadlock: PostgreSQL 40P01, MySQL / MariaDB 1213 (racesafe's errors), mysql2's own name for it. */
const deadlockCodes = new Set(['40P01', '1213', 'ER_LOCK_DEADLOCK']);

/**
 * Issue 12: getOrCreateMany batches of 200 keys in shuffled orders over overlapping windows of
 * keys (ops.ts raceBatchKeys), while single getOrCreate calls take keys of the same windows:
 * one row per key, one id per key for every caller, exactly one created=true per key over
 * batches and single calls together, no error (no deadlock either). The naive batch is the
 * ORM's own: find the existing rows, then insert the missing ones in one multi-row INSERT.
 */
function getOrCreateManyScenario(size: RaceSize): RaceScenario {
  return {
    name: 'getOrCreateMany: overlapping shuffled batches of 200 keys beside getOrCreate',
    operation: 'getOrCreateMany',
    size,
    run(target, url, size, onProgress) {
      const keys = new Set(
        Array.from({ length: size.calls }, (_, i) => raceBatchKeys(size, i)).flat(),
      ).size;
      return compareApproaches(
        { target, url, size: { ...size, keys: undefined }, onProgress },
        [
          { approach: 'racesafe', op: 'getOrCreateMany:mixed', table: 'users' },
          {
            approach:
              target.name === 'typeorm' ? 'naive findBy+insert' : 'naive findAll+bulkCreate',
            op: 'naive:getOrCreateMany:mixed',
            table: 'naive_users',
          },
        ],
        async () => undefined,
        async (report, { table }) => {
          const { figures, anomalies } = await checkGetOrCreate(url, table!, report, keys);
          const values = okValues<GetOrCreateManyResult>(report);
          const created = (results: GetOrCreateResult[]) => results.filter((r) => r.created).length;
          // Keys won by single getOrCreate calls rather than by batches: both kinds raced for the same keys.
          const singleCreated = created(values.filter((v) => v.length === 1).flat());
          const deadlocks = report.calls.filter(
            (c) => c.error?.code !== undefined && deadlockCodes.has(c.error.code),
          ).length;
          return {
            figures: {
              ...figures,
              keys,
              lookups: values.flat().length,
              created: created(values.flat()),
              singleCreated,
              deadlocks,
            },
            anomalies,
          };
        },
      );
    },
  };
}

/** Issue 9: every row stored and every row a caller got holds the password as the hashing hook left it. */
async function checkHashedPasswords(
  url: string,
  report: RaceReport,
  table: string,
): Promise<string[]> {
  const stored = await withClient(url, async (c) =>
    c.query<{ password: string }>(`SELECT password FROM ${table}`),
  );
  const plain = [...stored, ...okValues<HashedAccountResult>(report)].filter(
    (r) => r.password !== hashed(racePassword),
  ).length;
  return plain > 0 ? [`${plain} rows stored or returned without the hashed password`] : [];
}

/**
 * updateOrCreate on one missing key, each caller writing its own name and logins + 1, while
 * every 4th call bumps `visits` with a raw atomic UPDATE: one row, one creator, logins ==
 * calls (returned 1..N: the lock serialised them), the last committer's name stored, and
 * `visits` never overwritten (only changed columns are written).
 */
async function checkUpdateOrCreate(
  url: string,
  table: string,
  report: RaceReport,
): Promise<Pick<Outcome, 'figures' | 'anomalies' | 'verdict'>> {
  const rows = await withClient(url, async (c) =>
    c.query<{ id: number; name: string; logins: number; visits: number }>(
      `SELECT id, name, logins, visits FROM ${table} WHERE email = 'hot@race'`,
    ),
  );
  const anomalies = errorAnomalies(report);
  const writes = okValues<UpdateOrCreateResult | VisitResult>(report).filter(
    (v): v is UpdateOrCreateResult => 'logins' in v,
  );
  const visits = okValues<UpdateOrCreateResult | VisitResult>(report).reduce(
    (s, v) => s + ('visited' in v ? v.visited : 0),
    0,
  );
  if (rows.length !== 1) anomalies.push(`${rows.length} rows for one key`);
  const stored = rows[0];
  const created = writes.filter((w) => w.created).length;
  if (created !== 1) anomalies.push(`${created} callers saw created=true`);
  const logins = rows.reduce((s, r) => s + r.logins, 0);
  const lostUpdates = writes.length - logins;
  if (lostUpdates !== 0)
    anomalies.push(
      `${lostUpdates} lost updates of logins (${logins} stored for ${writes.length} calls)`,
    );
  const lostVisits = visits - rows.reduce((s, r) => s + r.visits, 0);
  if (lostVisits !== 0) anomalies.push(`${lostVisits} concurrent visits increments overwritten`);
  const last = writes.reduce<UpdateOrCreateResult | undefined>(
    (best, w) => (!best || w.logins > best.logins ? w : best),
    undefined,
  );
  if (stored && last && (stored.name !== last.name || stored.logins !== last.logins))
    anomalies.push(
      `stored row (${stored.name}, ${stored.logins}) is not the last committer's (${last.name}, ${last.logins})`,
    );
  const distinct = new Set(writes.map((w) => w.logins)).size;
  if (distinct !== writes.length)
    anomalies.push(
      `${writes.length - distinct} callers returned a logins value another caller also returned`,
    );
  // The history: logins as a counter on the created-or-updated row, one row and one creator as getOrCreate (the visits writers left out).
  const history = historyOf(report.calls).filter(
    (e) => !(e.value && typeof e.value === 'object' && 'visited' in e.value),
  );
  const counter = checkCounterHistory(history, logins);
  const identity = checkGetOrCreateHistory(
    history,
    rows.length ? [{ key: 'hot@race', id: rows[0].id, n: rows.length }] : [],
    () => 'hot@race',
  );
  const verdict = {
    ...counter,
    valid: counter.valid && identity.valid,
    anomalies: [...counter.anomalies, ...identity.anomalies],
  };
  return {
    figures: {
      rows: rows.length,
      duplicates: Math.max(0, rows.length - 1),
      lostUpdates: lostUpdates + lostVisits,
      errors: report.errorCount,
    },
    anomalies,
    verdict,
  };
}

function updateOrCreateScenario(size: RaceSize): RaceScenario {
  return {
    name: 'updateOrCreate: one missing key, each caller its own value, concurrent increments',
    operation: 'updateOrCreate',
    size,
    run: (target, url, size, onProgress) =>
      compareApproaches(
        { target, url, size: { ...size, keys: undefined }, onProgress },
        [
          { approach: 'racesafe', op: 'updateOrCreate', table: 'users' },
          { approach: 'naive find+save', op: 'naive:updateOrCreate', table: 'naive_users' },
        ],
        async () => undefined,
        (report, { table }) => checkUpdateOrCreate(url, table!, report),
        { incrementVisitsEvery: 4 },
      ),
  };
}

/** atomicUpdate counter: the stored value equals the successful calls, and the returned values are exactly 1..N. */
function counterScenario(size: RaceSize): RaceScenario {
  return {
    name: 'atomicUpdate: one counter, every caller adds 1',
    operation: 'atomicUpdate',
    size,
    run: (target, url, size, onProgress) =>
      compareApproaches(
        { target, url, size, onProgress },
        [
          { approach: 'racesafe', op: 'atomicUpdate:increment' },
          { approach: 'naive read-modify-write', op: 'naive:increment' },
        ],
        (client) => client.query(`INSERT INTO counters (name, value) VALUES (?, 0)`, [hotCounter]),
        async (report, { op }) => {
          const stored = await withClient(
            url,
            async (c) =>
              (
                await c.query<{ value: number }>(`SELECT value FROM counters WHERE name = ?`, [
                  hotCounter,
                ])
              )[0].value,
          );
          const anomalies = errorAnomalies(report);
          const lostUpdates = report.okCount - stored;
          if (lostUpdates !== 0)
            anomalies.push(
              `${lostUpdates} lost updates (${stored} stored for ${report.okCount} calls)`,
            );
          if (op === 'atomicUpdate:increment') {
            const returned = okValues<CounterResult>(report)
              .map((v) => v.value)
              .sort((a, b) => a - b);
            if (returned.some((value, i) => value !== i + 1))
              anomalies.push('returned values are not exactly 1..N');
          }
          return {
            figures: { rows: 1, lostUpdates, errors: report.errorCount },
            anomalies,
            verdict: checkCounterHistory(historyOf(report.calls), stored),
          };
        },
      ),
  };
}

/** Guarded decrement: stock 10, every caller buys one; exactly 10 sales, stock 0, never negative. */
function stockScenario(size: RaceSize, stock = 10): RaceScenario {
  return {
    name: `atomicUpdate: guarded decrement, stock ${stock}`,
    operation: 'atomicUpdate',
    size,
    run: (target, url, size, onProgress) =>
      compareApproaches(
        { target, url, size, onProgress },
        [
          { approach: 'racesafe', op: 'atomicUpdate:guardedDecrement' },
          { approach: 'naive read-check-write', op: 'naive:guardedDecrement' },
        ],
        (client) => client.query(`INSERT INTO items (sku, stock) VALUES (?, ?)`, [hotSku, stock]),
        async (report) => {
          const left = await withClient(
            url,
            async (c) =>
              (
                await c.query<{ stock: number }>(`SELECT stock FROM items WHERE sku = ?`, [hotSku])
              )[0].stock,
          );
          const sold = okValues<DecrementResult>(report).reduce((s, v) => s + v.sold, 0);
          const anomalies = errorAnomalies(report);
          if (sold !== stock) anomalies.push(`${sold} sales of ${stock} in stock`);
          if (left !== stock - Math.min(sold, stock) || left < 0)
            anomalies.push(`stock left ${left} after ${sold} sales`);
          const verdict = checkGuardedDecrementHistory(
            historyOf(report.calls),
            stock,
            left,
            (e) => (e.value as DecrementResult).sold,
          );
          return {
            figures: {
              rows: 1,
              sold,
              stockLeft: left,
              oversold: Math.max(0, sold - stock),
              errors: report.errorCount,
            },
            anomalies,
            verdict,
          };
        },
      ),
  };
}

/** Every scenario, at the sizes the issues name. */
export const scenarios = {
  getOrCreateHotKey: getOrCreateScenario(
    'getOrCreate: one hot key',
    { processes: 4, callersPerProcess: 8, calls: 1000 },
    { racesafe: 'getOrCreate' },
  ),
  getOrCreateManyKeys: getOrCreateScenario(
    'getOrCreate: 200 keys',
    { processes: 4, callersPerProcess: 8, calls: 2000, keys: 200 },
    { racesafe: 'getOrCreate' },
  ),
  getOrCreateInTransaction: getOrCreateScenario(
    "getOrCreate in the caller's transaction: one hot key",
    { processes: 4, callersPerProcess: 8, calls: 1000 },
    { racesafe: 'getOrCreate:transaction' },
  ),
  // Issue 9: the before-create hook / @BeforeInsert listener hashes the password.
  getOrCreateHashingHook: getOrCreateScenario(
    'getOrCreate with a hashing before-create hook: one hot key',
    { processes: 4, callersPerProcess: 8, calls: 500 },
    {
      racesafe: 'getOrCreate:hashingHook',
      naive: 'naive:getOrCreate:hashingHook',
      tables: ['accounts', 'naive_accounts'],
      check: checkHashedPasswords,
    },
  ),
  // Issue 12: 1 call in 4 a batch of 200 lookups, over 200 + 99 x 50 = 5,150 keys.
  getOrCreateManyBatches: getOrCreateManyScenario({
    processes: 4,
    callersPerProcess: 4,
    calls: 400,
  }),
  updateOrCreateHotKey: updateOrCreateScenario({
    processes: 4,
    callersPerProcess: 16,
    calls: 1000,
  }),
  counter: counterScenario({ processes: 8, callersPerProcess: 4, calls: 2000 }),
  guardedDecrement: stockScenario({ processes: 5, callersPerProcess: 10, calls: 50 }),
} satisfies Record<string, RaceScenario>;
