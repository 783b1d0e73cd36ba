// Issue 13, item 2: the race scenarios under faults, judged by their history (test/harness/history.ts).
// PostgreSQL and MariaDB: a controller ends a random session every 20 ms while the race runs.
import { callerStatementErrorName } from './caller-transaction';
import { leftoverConnections, openBackendKiller } from '../harness/faults';
import {
  type HistoryEvent,
  type Verdict,
  checkCounterHistory,
  checkGetOrCreateHistory,
  checkGuardedDecrementHistory,
  combine,
  historyOf,
  untypedErrors,
} from '../harness/history';
import { type RaceReport, runRace } from '../harness/race';
import {
  type DecrementResult,
  type GetOrCreateResult,
  type RaceOp,
  type RaceWorkerArgs,
  hotCounter,
  hotSku,
  raceBatchKeys,
  raceEmail,
  raceKey,
} from './ops';
import type { RaceSize, RaceTarget } from './scenarios';
import { type SessionFault } from './session-fault';
import { isSqliteUrl, openSqlClient } from './sql-client';
import { raceBusyTimeoutMs } from './sqlite-busy';

/** What one approach did under the fault: the harness report, the history's verdict, and the fault's own figures. */
export interface FaultOutcome {
  approach: string;
  report: RaceReport;
  verdict: Verdict;
  /** Faults during the race: backends the controller terminated, or calls a server timeout cut. */
  faults: number;
  /** Client sessions still open on the database once the race's processes exited (expected 0). */
  leftOver: number;
  /** Session faults: 1 when the fault was in force on a session the harness opened for its checks (expected 0). */
  harnessUnderFault?: number;
}

/** A race scenario under a fault: racesafe, then the naive approach, same load, same fault. */
export interface FaultScenario {
  name: string;
  operation: 'getOrCreate' | 'updateOrCreate' | 'atomicUpdate';
  size: RaceSize;
  fault: Fault;
  run(target: RaceTarget, url: string): Promise<FaultOutcome[]>;
}

/** One approach of a fault scenario: its worker op, the table it writes, and how its history is judged. */
interface FaultApproach {
  approach: string;
  op: RaceOp;
  table: string;
  /** racesafe: every failed call must carry one of racesafe's typed errors. */
  typed: boolean;
  /** When given, the only errors a failed call may carry (besides the caller's own BEGIN / COMMIT failing). */
  allowedErrors?: string[];
}

/** Killing a random backend every 20 ms (the figure) while the callers run. */
const killEveryMs = 20;

/**
 * The fault a scenario runs under: a controller terminating a random backend every 20 ms, or a
 * server timeout shorter than some calls wait, put on the worker processes' own sessions once
 * they are set up (test/race/session-fault.ts): PostgreSQL `statement_timeout` / `lock_timeout`,
 * MariaDB `max_statement_time` (1969 on a statement that runs longer). The harness's own sessions
 * (truncate, seed, checks, leftover count) and the ORMs' connect-time queries never run under it.
 */
export type Fault =
  | { kind: 'kill' }
  | { kind: 'session'; fault: SessionFault; label: string }
  /** SIGKILL worker process p once `at` (a fraction) of the calls answered, for each [p, at]. */
  | { kind: 'sigkill'; processes: [processIndex: number, at: number][] };
const killEvery20Ms: Fault = { kind: 'kill' };
// 57014 statement_timeout, 55P03 lock_timeout, MariaDB 1969 max_statement_time: calls they cut are the fault's count.
const timeoutCodes = new Set(['57014', '55P03', '1969']);

async function withSql<T>(
  url: string,
  work: (client: Awaited<ReturnType<typeof openSqlClient>>) => Promise<T>,
): Promise<T> {
  const client = await openSqlClient(url);
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** What one approach did under its fault, before the history is judged. */
interface RaceUnderFault {
  report: RaceReport;
  faults: number;
  leftOver: number;
  history: HistoryEvent[];
  harnessUnderFault?: number;
}

/**
 * Runs one approach under its fault. runRace itself fails if a worker process dies (an unhandled
 * 'error' event, a set-up query cut by the fault) or a call never answers.
 */
async function raceUnderFault(
  target: RaceTarget,
  url: string,
  size: RaceSize,
  approach: FaultApproach,
  seed: string[],
  fault: Fault,
): Promise<RaceUnderFault> {
  await withSql(url, async (client) => {
    await client.truncate();
    for (const sql of seed) await client.query(sql);
  });
  if (fault.kind === 'session') {
    const report = await runRace({
      worker: target.worker,
      args: { ...workerArgs(url, size, approach), sessionFault: fault.fault },
      ...size,
      label: `${target.name} ${approach.op} under ${fault.label}`,
    });
    const faults = report.calls.filter(
      (c) => c.error?.code !== undefined && timeoutCodes.has(c.error.code),
    ).length;
    return {
      report,
      faults,
      leftOver: await leftoverConnections(url),
      history: historyOf(report.calls),
      harnessUnderFault: await faultInForce(url, fault.fault),
    };
  }
  if (fault.kind === 'sigkill')
    return raceUnderSigkills(target, url, size, approach, fault.processes);
  return raceUnderKills(target, url, size, approach);
}

/**
 * SIGKILLs worker processes mid-race as a crash would: their sockets close, the server ends their
 * sessions and releases their row locks, the other processes must go on. The killed processes'
 * unanswered calls are indeterminate in the history.
 */
async function raceUnderSigkills(
  target: RaceTarget,
  url: string,
  size: RaceSize,
  approach: FaultApproach,
  plan: [number, number][],
) {
  const pending = [...plan];
  let control: { killProcess(processIndex: number): void } | undefined;
  const onProgress = (done: number, total: number) => {
    while (control && pending.length > 0 && done >= pending[0][1] * total)
      control.killProcess(pending.shift()![0]);
  };
  const report = await runRace({
    worker: target.worker,
    args: workerArgs(url, size, approach),
    ...size,
    label: `${target.name} ${approach.op} under SIGKILL`,
    onGo: (c) => void (control = c),
    onProgress,
  });
  return {
    report,
    faults: plan.length - pending.length,
    leftOver: await leftoverConnections(url),
    history: historyOf(report.calls, report.unanswered),
  };
}

function workerArgs(url: string, size: RaceSize, approach: FaultApproach): RaceWorkerArgs {
  // SQLite: every connection waits the race's busy timeout for the write lock, as in the race suite.
  const sqlite = isSqliteUrl(url) ? { busyTimeoutMs: raceBusyTimeoutMs } : {};
  return {
    url,
    op: approach.op,
    processes: size.processes,
    poolSize: Math.max(1, Math.floor(size.callersPerProcess / 2)),
    keys: size.keys,
    ...sqlite,
  };
}

/** Whether `fault` is in force on a session the harness opens now, as every check of the harness does (1: it reached the harness). */
async function faultInForce(url: string, fault: SessionFault): Promise<number> {
  return withSql(url, async (client) =>
    Number((await client.query<{ v: unknown }>(fault.inForce))[0].v),
  );
}

/** The backend killer on from 'go' until the last call answered (its control session opened before the race). */
async function raceUnderKills(
  target: RaceTarget,
  url: string,
  size: RaceSize,
  approach: FaultApproach,
) {
  const args = workerArgs(url, size, approach);
  const killer = await openBackendKiller(url, killEveryMs);
  let report: RaceReport;
  try {
    report = await runRace({
      worker: target.worker,
      args,
      ...size,
      label: `${target.name} ${approach.op} under kills`,
      onGo: () => killer.start(),
    });
  } catch (error) {
    await killer.stop();
    throw error;
  }
  const faults = await killer.stop();
  return {
    report,
    faults,
    leftOver: await leftoverConnections(url),
    history: historyOf(report.calls),
  };
}

function faultScenario(
  name: string,
  operation: FaultScenario['operation'],
  size: RaceSize,
  approaches: FaultApproach[],
  seed: string[],
  check: (url: string, history: HistoryEvent[], approach: FaultApproach) => Promise<Verdict>,
  fault: Fault = killEvery20Ms,
): FaultScenario {
  return {
    name,
    operation,
    size,
    fault,
    async run(target, url) {
      const outcomes: FaultOutcome[] = [];
      for (const approach of approaches) {
        const { report, faults, leftOver, history, harnessUnderFault } = await raceUnderFault(
          target,
          url,
          size,
          approach,
          seed,
          fault,
        );
        const judged = await check(url, history, approach);
        const verdict = combine(
          history,
          judged,
          approach.typed ? typedErrorAnomalies(history, approach) : [],
        );
        outcomes.push({
          approach: approach.approach,
          report,
          verdict,
          faults,
          leftOver,
          harnessUnderFault,
        });
      }
      return outcomes;
    },
  };
}

/**
 * racesafe's failed calls: racesafe's typed errors only, and only `allowedErrors` where given. A
 * failure of the caller's own BEGIN / COMMIT (the ORM's statement, tagged by the worker) is no racesafe call.
 */
function typedErrorAnomalies(history: HistoryEvent[], { allowedErrors }: FaultApproach): string[] {
  const calls = history.filter((e) => e.error?.name !== callerStatementErrorName);
  const others = allowedErrors
    ? calls.filter((e) => e.error && !allowedErrors.includes(e.error.name))
    : [];
  const unexpected = others.length
    ? [
        `${others.length} failed calls with ${[...new Set(others.map((e) => e.error!.name))].join(', ')}, expected only ${allowedErrors!.join(', ')}`,
      ]
    : [];
  return [...untypedErrors(calls), ...unexpected];
}

const getOrCreateApproaches: FaultApproach[] = [
  { approach: 'racesafe', op: 'getOrCreate', table: 'users', typed: true },
  { approach: 'naive', op: 'naive:getOrCreate', table: 'naive_users', typed: false },
];

/** The rows of a getOrCreate race's table, per key (`email`); `k`, not `key`, a reserved word on MariaDB; counts are strings there. */
async function rowsPerKey(
  url: string,
  table: string,
): Promise<{ key: string; n: number; id: number }[]> {
  const rows = await withSql(url, (c) =>
    c.query<{ k: string; n: unknown; id: unknown }>(
      `SELECT email AS k, count(*) AS n, min(id) AS id FROM ${table} GROUP BY email`,
    ),
  );
  return rows.map((r) => ({ key: r.k, n: Number(r.n), id: Number(r.id) }));
}

function getOrCreateUnderKills(
  name: string,
  size: RaceSize,
  approaches = getOrCreateApproaches,
  keyOf: typeof raceKey = raceKey,
): FaultScenario {
  return faultScenario(name, 'getOrCreate', size, approaches, [], async (url, history, { table }) =>
    checkGetOrCreateHistory(history, await rowsPerKey(url, table), (call) =>
      keyOf({ keys: size.keys, processes: size.processes }, call),
    ),
  );
}

/**
 * getOrCreateMany beside getOrCreate (ops.ts raceBatchKeys): each lookup of a batch counts as a
 * getOrCreate call of its key, completing as its batch did (an indeterminate batch may have
 * created any of its keys), and the per-key history is checked as getOrCreate's.
 */
function getOrCreateManyUnderKills(name: string, size: RaceSize): FaultScenario {
  const approaches: FaultApproach[] = [
    { approach: 'racesafe', op: 'getOrCreateMany:mixed', table: 'users', typed: true },
    { approach: 'naive', op: 'naive:getOrCreateMany:mixed', table: 'naive_users', typed: false },
  ];
  return faultScenario(
    name,
    'getOrCreate',
    size,
    approaches,
    [],
    async (url, history, { table }) => {
      const keys: string[] = [];
      const lookups = history.flatMap((event) =>
        raceBatchKeys(size, event.call).map((key, k) => {
          keys.push(key);
          const value =
            event.completion === 'ok' ? (event.value as GetOrCreateResult[])[k] : undefined;
          return { ...event, call: keys.length - 1, value };
        }),
      );
      return checkGetOrCreateHistory(
        lookups,
        await rowsPerKey(url, table),
        (lookup) => keys[lookup],
      );
    },
  );
}

/** A PostgreSQL timeout on the workers' sessions: `SET <setting> = '<value>'` once each is set up. */
function postgresTimeout(setting: 'lock_timeout' | 'statement_timeout', value: string): Fault {
  // Names and values are this file's own literals, not input.
  return {
    kind: 'session',
    label: `${setting} ${value}`,
    fault: {
      set: [`SET ${setting} = '${value}'`],
      inForce: `SELECT (current_setting('${setting}') = '${value}')::int AS v`,
    },
  };
}

/**
 * Every scenario of the fault suite, each bounded (a few seconds per approach on 2 cores). The
 * calls are half of what they were before `npm test` had to fit 10 minutes on 2 cores (the race
 * suites' shares are in scenarios.ts suiteScale): a kill every 20 ms still hits each run a dozen
 * times or more, and every naive approach still breaks.
 */
export const faultScenarios = {
  getOrCreateHotKey: getOrCreateUnderKills('getOrCreate under kills: one hot key', {
    processes: 4,
    callersPerProcess: 8,
    calls: 200,
  }),
  getOrCreateNewKeys: getOrCreateUnderKills('getOrCreate under kills: 100 new keys', {
    processes: 4,
    callersPerProcess: 8,
    calls: 400,
    keys: 100,
  }),
  counter: counterUnder('atomicUpdate +1 under kills: one counter'),
  guardedDecrement: faultScenario(
    'atomicUpdate guarded decrement under kills: stock 50',
    'atomicUpdate',
    { processes: 4, callersPerProcess: 8, calls: 100 },
    [
      { approach: 'racesafe', op: 'atomicUpdate:guardedDecrement', table: 'items', typed: true },
      { approach: 'naive', op: 'naive:guardedDecrement', table: 'items', typed: false },
    ],
    [`INSERT INTO items (sku, stock) VALUES ('${hotSku}', 50)`],
    async (url, history) => {
      const [{ stock }] = await withSql(url, (c) =>
        c.query<{ stock: number }>(`SELECT stock FROM items WHERE sku = ?`, [hotSku]),
      );
      return checkGuardedDecrementHistory(
        history,
        50,
        stock,
        (e) => (e.value as DecrementResult).sold,
      );
    },
  ),
  updateOrCreate: updateOrCreateUnder(
    'updateOrCreate with logins + 1 under kills: one missing key',
  ),
  // Issue 13: the three race scenarios that had no fault run. Inside the caller's transaction racesafe never retries: a lost connection is ConnectionLostError.
  getOrCreateInTransaction: getOrCreateUnderKills(
    "getOrCreate in the caller's transaction under kills: one hot key",
    { processes: 4, callersPerProcess: 8, calls: 200 },
    [
      {
        approach: 'racesafe',
        op: 'getOrCreate:transaction',
        table: 'users',
        typed: true,
        allowedErrors: ['ConnectionLostError'],
      },
      { approach: 'naive', op: 'naive:getOrCreate', table: 'naive_users', typed: false },
    ],
  ),
  getOrCreateHashingHook: getOrCreateUnderKills(
    'getOrCreate with a hashing before-create hook under kills: one hot key',
    { processes: 4, callersPerProcess: 8, calls: 150 },
    [
      { approach: 'racesafe', op: 'getOrCreate:hashingHook', table: 'accounts', typed: true },
      {
        approach: 'naive',
        op: 'naive:getOrCreate:hashingHook',
        table: 'naive_accounts',
        typed: false,
      },
    ],
    raceEmail,
  ),
  getOrCreateMany: getOrCreateManyUnderKills(
    'getOrCreateMany under kills: overlapping shuffled batches of 200 keys beside getOrCreate',
    { processes: 4, callersPerProcess: 4, calls: 80 },
  ),
  updateOrCreateSigkill: updateOrCreateUnderSigkills({
    processes: 4,
    callersPerProcess: 8,
    calls: 200,
  }),
  counterLockTimeout: counterUnder(
    'atomicUpdate +1 under lock_timeout 1 ms: one counter',
    postgresTimeout('lock_timeout', '1ms'),
  ),
  updateOrCreateStatementTimeout: updateOrCreateUnder(
    'updateOrCreate with logins + 1 under statement_timeout 10 ms: one missing key',
    postgresTimeout('statement_timeout', '10ms'),
  ),
} satisfies Record<string, FaultScenario>;

/**
 * The fault scenarios on MariaDB (issue 13, item 3): a session KILLed every 20 ms during the
 * getOrCreate, counter and updateOrCreate races, and worker processes SIGKILLed
 * holding row locks in their transactions, and max_statement_time (1969) shorter than some calls.
 * innodb_lock_wait_timeout (1205) is whole seconds (1 at least): longer than any wait in these races, so no scenario.
 */
export const mariadbFaultScenarios: FaultScenario[] = [
  faultScenarios.getOrCreateHotKey,
  faultScenarios.getOrCreateNewKeys,
  faultScenarios.counter,
  // The guarded decrement is left to PostgreSQL: on MariaDB it is the counter's one autocommit UPDATE, and the suite must stay near 30 s per package.
  faultScenarios.updateOrCreate,
  faultScenarios.updateOrCreateSigkill,
  updateOrCreateUnder(
    'updateOrCreate with logins + 1 under max_statement_time 10 ms: one missing key',
    {
      kind: 'session',
      label: 'max_statement_time 10 ms',
      // MariaDB's per-session limit in seconds; SET on the session, so no other session (nor a user's) is touched.
      fault: {
        set: ['SET SESSION max_statement_time = 0.01'],
        inForce: 'SELECT @@SESSION.max_statement_time = 0.01 AS v',
      },
    },
  ),
];

/**
 * SQLite (issue 13, item 4): no server session to kill, so the fault is a worker process SIGKILLed
 * while its transaction holds the write lock; the OS releases its file locks and the next writer
 * ignores the dead transaction's WAL frames. 4 processes x 4 callers, as the SQLite race suite.
 */
export const sqliteFaultScenarios: FaultScenario[] = [
  updateOrCreateUnderSigkills({ processes: 4, callersPerProcess: 4, calls: 100 }),
];

/** updateOrCreate in the caller's transaction, which holds the row (SQLite: write) lock over one more round trip, while processes 1 and 2 are SIGKILLed. */
function updateOrCreateUnderSigkills(size: RaceSize): FaultScenario {
  return faultScenario(
    "updateOrCreate in the caller's transaction, holding the row lock, with 2 of 4 worker processes SIGKILLed",
    'updateOrCreate',
    size,
    [
      { approach: 'racesafe', op: 'updateOrCreate:transaction', table: 'users', typed: true },
      { approach: 'naive', op: 'naive:updateOrCreate', table: 'naive_users', typed: false },
    ],
    [],
    checkUpdateOrCreateUnderFault,
    {
      kind: 'sigkill',
      processes: [
        [1, 0.25],
        [2, 0.5],
      ],
    },
  );
}

function counterUnder(name: string, fault?: Fault): FaultScenario {
  return faultScenario(
    name,
    'atomicUpdate',
    { processes: 4, callersPerProcess: 8, calls: 300 },
    [
      { approach: 'racesafe', op: 'atomicUpdate:increment', table: 'counters', typed: true },
      { approach: 'naive', op: 'naive:increment', table: 'counters', typed: false },
    ],
    [`INSERT INTO counters (name, value) VALUES ('${hotCounter}', 0)`],
    async (url, history) => {
      const [{ value }] = await withSql(url, (c) =>
        c.query<{ value: number }>(`SELECT value FROM counters WHERE name = ?`, [hotCounter]),
      );
      return checkCounterHistory(history, value);
    },
    fault,
  );
}

function updateOrCreateUnder(name: string, fault?: Fault): FaultScenario {
  return faultScenario(
    name,
    'updateOrCreate',
    { processes: 4, callersPerProcess: 8, calls: 200 },
    [
      { approach: 'racesafe', op: 'updateOrCreate', table: 'users', typed: true },
      { approach: 'naive', op: 'naive:updateOrCreate', table: 'naive_users', typed: false },
    ],
    [],
    checkUpdateOrCreateUnderFault,
    fault,
  );
}

/** As the counter on the created-or-updated row (creating writes logins = 1), and one row, one creator, as getOrCreate. */
async function checkUpdateOrCreateUnderFault(
  url: string,
  history: HistoryEvent[],
  { table }: FaultApproach,
): Promise<Verdict> {
  const rows = await withSql(url, (c) =>
    c.query<{ logins: number; id: number }>(
      `SELECT logins, id FROM ${table} WHERE email = 'hot@race'`,
    ),
  );
  const counter = checkCounterHistory(
    history,
    rows.reduce((s, r) => s + r.logins, 0),
  );
  const identity = checkGetOrCreateHistory(
    history,
    rows.length ? [{ key: 'hot@race', id: rows[0].id, n: rows.length }] : [],
    () => 'hot@race',
  );
  return combine(history, counter, identity);
}
