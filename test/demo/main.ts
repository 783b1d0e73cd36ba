// `npm run demo`: every shared race scenario against both packages, racesafe beside the
// naive approach, on a throwaway PostgreSQL (MariaDB with --db mariadb, a temporary WAL file with --db sqlite); one table, exit 1 if racesafe shows an anomaly.
// Run like the harness children (node --require select-typeorm.cjs --require ts-register.cjs).
import { performance } from 'node:perf_hooks';
import { raceTarget } from '../race/scenarios';
import { raceBusyTimeoutMs } from '../race/sqlite-busy';
import {
  type DemoOptions,
  type DemoRace,
  assertConnectionsFit,
  demoRaces,
  parseOptions,
  usage,
} from './options';
import { createProgress, type Progress } from './progress';
import { type DemoRow, isRacesafe, renderTable } from './table';
import { ThrowawayDatabase } from './throwaway-database';

const EXIT_ANOMALY = 1;
const EXIT_FAILED = 2;

async function runRaces(races: DemoRace[], url: string, progress: Progress): Promise<DemoRow[]> {
  const rows: DemoRow[] = [];
  for (const race of races) {
    progress.startRace(`${race.label} [${race.target}]`, 2 * race.size.calls);
    // scenario.run races racesafe, then the naive approach; each counts from 0 to its total.
    let shift = 0;
    let finished = false;
    const onProgress = (done: number, total: number) => {
      if (finished) [shift, finished] = [shift + total, false];
      progress.update(shift + done);
      finished = done === total;
    };
    const outcomes = await race.scenario.run(raceTarget(race.target), url, race.size, onProgress);
    rows.push(...outcomes.map((outcome) => ({ race, outcome })));
  }
  return rows;
}

function summary(rows: DemoRow[], wallMs: number, where: string): string[] {
  const racesafe = rows.filter((r) => isRacesafe(r.outcome));
  const naive = rows.filter((r) => !isRacesafe(r.outcome));
  const failing = racesafe.filter((r) => r.outcome.anomalies.length > 0);
  const brokenNaive = naive.filter((r) => r.outcome.anomalies.length > 0).length;
  return [
    failing.length === 0
      ? `racesafe: no anomaly in ${racesafe.length} races.`
      : `racesafe: ANOMALIES in ${failing.length} of ${racesafe.length} races: ` +
        failing
          .map((r) => `${r.race.label} [${r.race.target}]: ${r.outcome.anomalies.join('; ')}`)
          .join(' | '),
    `naive: anomalies in ${brokenNaive} of ${naive.length} races (expected: the read-then-write race).` +
      (brokenNaive < naive.length
        ? ' A naive row without anomaly got lucky at this size; try more --processes.'
        : ''),
    ...busyLine(racesafe),
    `${where}; wall time ${(wallMs / 1000).toFixed(1)} s.`,
  ];
}

/** SQLite: how often racesafe's calls met SQLITE_BUSY (retried by racesafe, or by Sequelize first) without surfacing it. */
function busyLine(racesafe: DemoRow[]): string[] {
  if (!racesafe.some((r) => r.outcome.figures.busy !== undefined)) return [];
  const sum = (target: string) =>
    racesafe
      .filter((r) => r.race.target === target)
      .reduce((s, r) => s + (r.outcome.figures.busy ?? 0), 0);
  return [
    `SQLite, busy timeout ${raceBusyTimeoutMs} ms: racesafe's statements met SQLITE_BUSY ${sum('typeorm')} times (TypeORM) and ${sum('sequelize')} times (Sequelize, which retries a statement itself first); retried, none surfaced unless listed above.`,
  ];
}

async function main(argv: string[]): Promise<number> {
  let options: DemoOptions;
  let races: DemoRace[];
  try {
    options = parseOptions(argv);
    races = demoRaces(options);
    if (options.db === 'postgres' && !options.pgUrl && !process.env.RACESAFE_PG_URL)
      assertConnectionsFit(races);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
    return EXIT_FAILED;
  }
  if (options.help) {
    process.stdout.write(usage);
    return 0;
  }
  const startedAt = performance.now();
  const progress = createProgress(races.reduce((sum, race) => sum + 2 * race.size.calls, 0));
  const database = new ThrowawayDatabase(() => progress.stop());
  let code = EXIT_FAILED;
  try {
    const url =
      options.db === 'mariadb'
        ? await database.openMariadb('racesafe_demo', options.mysqlUrl)
        : options.db === 'sqlite'
          ? await database.openSqlite('racesafe_demo')
          : await database.open('racesafe_demo', options.pgUrl);
    const rows = await runRaces(races, url, progress);
    progress.stop();
    process.stdout.write(`${renderTable(rows, process.stdout.hasColors?.() ?? false)}\n\n`);
    process.stdout.write(
      `${summary(rows, performance.now() - startedAt, database.where).join('\n')}\n`,
    );
    code = rows.some((r) => isRacesafe(r.outcome) && r.outcome.anomalies.length > 0)
      ? EXIT_ANOMALY
      : 0;
  } catch (error) {
    progress.stop();
    // After a signal, races torn down under us fail: not worth reporting.
    if (!database.interrupted)
      process.stderr.write(
        `demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
  }
  await database.exit(code);
  return code;
}

void main(process.argv.slice(2)).then((code) => {
  // Only reached without a database (--help, bad options) or after a signal, which exits by itself.
  process.exitCode = code;
});
