// Issue 13, item 2: the database server crashes (immediate shutdown) mid-race and restarts on the
// same data directory and port. Judged by the history: nothing acknowledged before the crash is
// missing after it, no duplicate, the counter within bounds.
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { type CrashablePostgres, spawnCrashablePostgres } from '../harness/crashable-postgres';
import { leftoverConnections } from '../harness/faults';
import {
  type HistoryEvent,
  type Verdict,
  checkCounterHistory,
  checkGetOrCreateHistory,
  combine,
  formatVerdict,
  historyOf,
  untypedErrors,
} from '../harness/history';
import { applySchema, createDatabase } from '../harness/postgres';
import { formatReport, type RaceReport, runRace } from '../harness/race';
import { schemaSql } from '../schema/tables';
import { type RaceOp, hotCounter, raceKey } from './ops';
import type { RaceSize, RaceTarget } from './scenarios';
import { openSqlClient } from './sql-client';
import type { WaitForServerArgs } from './wait-for-server-worker';

/** What one approach did across the crash, on the race's clock (ms since 'go'). */
export interface CrashOutcome {
  approach: string;
  report: RaceReport;
  verdict: Verdict;
  /** ok calls that completed before the crash: each must still be in the database after it. */
  okBeforeCrash: number;
  /** Calls that failed between the crash and the restart. */
  failedWhileDown: number;
  /** ok calls invoked after the restart. */
  okAfterRestart: number;
  /** Client sessions still open once the race's processes exited (expected 0). */
  leftOver: number;
}

/** A race that crashes the server once `crashAt` of its calls answered: racesafe, then the naive approach. */
export interface CrashScenario {
  name: string;
  size: RaceSize;
  approaches: { approach: string; op: RaceOp; table: string; typed: boolean }[];
  seed: string[];
  check(url: string, history: HistoryEvent[], table: string): Promise<Verdict>;
}

const crashAt = 0.3;
// Long enough that every caller's next call finds the server down.
const downMs = 300;
const waitForServerWorker = path.join(__dirname, 'wait-for-server-worker.ts');

async function query<Row>(url: string, sql: string, parameters: unknown[] = []): Promise<Row[]> {
  const client = await openSqlClient(url);
  try {
    return await client.query<Row>(sql, parameters);
  } finally {
    await client.end();
  }
}

/**
 * Runs one approach; when `crashAt` of the calls answered, crashes the server, keeps it down for
 * `downMs`, restarts it. runRace fails if a worker process dies or a call never answers.
 */
async function raceAcrossCrash(
  target: RaceTarget,
  server: CrashablePostgres,
  url: string,
  size: RaceSize,
  op: RaceOp,
  seed: string[],
) {
  const client = await openSqlClient(url);
  try {
    await client.truncate();
    for (const sql of seed) await client.query(sql);
  } finally {
    await client.end();
  }
  let goAt = 0;
  const times = { crash: Infinity, restart: Infinity };
  let crashing: Promise<void> | undefined;
  const onProgress = (done: number, total: number) => {
    if (crashing || done < crashAt * total) return;
    times.crash = performance.now() - goAt;
    crashing = (async () => {
      await server.crash();
      await new Promise((resolve) => setTimeout(resolve, downMs));
      await server.restart();
      times.restart = performance.now() - goAt;
    })();
  };
  const args: WaitForServerArgs = {
    inner: target.worker,
    url,
    op,
    processes: size.processes,
    poolSize: Math.max(1, Math.floor(size.callersPerProcess / 2)),
  };
  if (size.keys) args.keys = size.keys;
  const report = await runRace({
    worker: waitForServerWorker,
    args,
    ...size,
    label: `${target.name} ${op} across a server crash`,
    onGo: () => void (goAt = performance.now()),
    onProgress,
  });
  await crashing;
  return { report, times, leftOver: await leftoverConnections(url) };
}

/** Runs every approach of `scenario` against a database of `server`. */
export async function runCrashScenario(
  scenario: CrashScenario,
  target: RaceTarget,
  server: CrashablePostgres,
  url: string,
): Promise<CrashOutcome[]> {
  const outcomes: CrashOutcome[] = [];
  for (const { approach, op, table, typed } of scenario.approaches) {
    const { report, times, leftOver } = await raceAcrossCrash(
      target,
      server,
      url,
      scenario.size,
      op,
      scenario.seed,
    );
    const history = historyOf(report.calls);
    const verdict = combine(
      history,
      await scenario.check(url, history, table),
      typed ? untypedErrors(history) : [],
    );
    outcomes.push({
      approach,
      report,
      verdict,
      okBeforeCrash: history.filter((e) => e.completion === 'ok' && e.completeMs < times.crash)
        .length,
      failedWhileDown: history.filter(
        (e) => e.completion !== 'ok' && e.completeMs >= times.crash && e.invokeMs < times.restart,
      ).length,
      okAfterRestart: history.filter((e) => e.completion === 'ok' && e.invokeMs > times.restart)
        .length,
      leftOver,
    });
  }
  return outcomes;
}

/** Both scenarios: getOrCreate on 100 new keys and atomicUpdate +1 on one counter, 4 processes x 8 callers. */
export const crashScenarios: CrashScenario[] = [
  {
    name: 'getOrCreate across a server crash: 100 new keys',
    size: { processes: 4, callersPerProcess: 8, calls: 300, keys: 100 },
    approaches: [
      { approach: 'racesafe', op: 'getOrCreate', table: 'users', typed: true },
      { approach: 'naive', op: 'naive:getOrCreate', table: 'naive_users', typed: false },
    ],
    seed: [],
    async check(url, history, table) {
      const rows = await query<{ key: string; n: number; id: number }>(
        url,
        `SELECT email AS key, count(*)::int AS n, min(id) AS id FROM ${table} GROUP BY email`,
      );
      return checkGetOrCreateHistory(history, rows, (call) =>
        raceKey({ keys: 100, processes: 4 }, call),
      );
    },
  },
  {
    name: 'atomicUpdate +1 across a server crash: one counter',
    size: { processes: 4, callersPerProcess: 8, calls: 300 },
    approaches: [
      { approach: 'racesafe', op: 'atomicUpdate:increment', table: 'counters', typed: true },
      { approach: 'naive', op: 'naive:increment', table: 'counters', typed: false },
    ],
    seed: [`INSERT INTO counters (name, value) VALUES ('${hotCounter}', 0)`],
    async check(url, history) {
      const [{ value }] = await query<{ value: number }>(
        url,
        `SELECT value FROM counters WHERE name = ?`,
        [hotCounter],
      );
      return checkCounterHistory(history, value);
    },
  },
];

/** One line per approach: the harness report, the crash's figures, leftover connections, the history's verdict. */
export function describeCrashOutcome(o: CrashOutcome): string {
  const figures = `okBeforeCrash=${o.okBeforeCrash} failedWhileDown=${o.failedWhileDown} okAfterRestart=${o.okAfterRestart} leftOver=${o.leftOver}`;
  return `  ${o.approach.padEnd(10)} ${formatReport(o.report)} | ${figures} | ${formatVerdict(o.verdict)}`;
}

/**
 * The server-crash suite against one package: its own throwaway PostgreSQL (other tests' server
 * is never crashed). racesafe: no worker process dies, calls fail with typed racesafe errors while
 * the server is down and succeed after the restart, the history is valid, no connection left
 * over. The naive approach, across the same crash, must show an anomaly.
 */
export function describeServerCrash(target: RaceTarget): void {
  let server: CrashablePostgres;
  let url: string;
  beforeAll(async () => {
    server = await spawnCrashablePostgres();
    url = (await createDatabase(server.url, 'rs_server_crash')).url;
    await applySchema(url, schemaSql);
  });
  afterAll(async () => server?.stop());
  const label = `${target.name}${process.env.RACESAFE_TYPEORM ? ` ${process.env.RACESAFE_TYPEORM}` : ''}, PostgreSQL`;
  describe(`server crash (${label})`, () => {
    it.each(crashScenarios.map((s) => [s.name, s] as const))('%s', async (_name, scenario) => {
      // As the race suite: a naive approach breaks by chance, so up to 3 runs, racesafe checked in each.
      for (let run = 1; ; run++) {
        const [racesafe, naive] = await runCrashScenario(scenario, target, server, url);
        process.stdout.write(
          `${scenario.name} [${label}]${run > 1 ? ` run ${run}` : ''}\n${describeCrashOutcome(racesafe)}\n${describeCrashOutcome(naive)}\n`,
        );
        // The crash comes once 30% of the calls answered; in a quick run the rest can all answer
        // before it takes effect (clean clone 29: 300 ok before it, at 553 calls a second). Such a
        // run crossed no crash: run again, as for the naive approach, up to 3 runs.
        const crossed = racesafe.failedWhileDown + racesafe.okAfterRestart > 0;
        if (!crossed && run < 3) continue;
        expect(racesafe.verdict.anomalies).toEqual([]);
        expect(racesafe.okBeforeCrash).toBeGreaterThan(0);
        expect(racesafe.failedWhileDown).toBeGreaterThan(0);
        expect(racesafe.okAfterRestart).toBeGreaterThan(0);
        expect(racesafe.leftOver).toBe(0);
        if (!naive.verdict.valid || run === 3) {
          expect(naive.verdict.anomalies.length).toBeGreaterThan(0);
          return;
        }
      }
    });
  });
}
