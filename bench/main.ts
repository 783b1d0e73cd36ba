// `npm run bench`: racesafe beside raw pg and the ORMs' own helpers, on one server, through one
// driver (pg), in one process at each --callers value and across --processes OS processes.
// Writes bench/results/latest.json and chart.svg. `--db mariadb`: the same beside raw mysql2 on
// MariaDB (databases.ts, cases-mariadb.ts), writing latest-mariadb.json and chart-mariadb.svg.
// Run like the harness children (node --require select-typeorm.cjs --require ts-register.cjs).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { ThrowawayDatabase } from '../test/demo/throwaway-database';
import { type BenchCase, groups } from './cases';
import { chartSpec, renderSvg } from './chart';
import { type BenchDatabase, benchDatabases } from './databases';
import { callIndexes, roundTrips, throughput } from './measure';
import { type Processes, startProcesses } from './processes';
import { formatResults, modeHeading, summarize } from './report';
import { installRoundTripCounter } from './round-trips';
import { type Measured, type Runner, acrossProcesses, inProcess, schedule } from './schedule';
import { type TargetCheck, formatTargets } from './targets';
import { formatBreakdown, profileCase } from './profile';
import { countDraws, formatDraws } from './draws';
import { openSubjects } from './subjects';

const usage = `Usage: npm run bench -- [options]

Throughput (calls/s) and SQL round trips per call of racesafe's getOrCreate, getOrCreateMany,
updateOrCreate and atomicUpdate on TypeORM and Sequelize, beside raw SQL through pg and the
ORMs' own helpers, on one PostgreSQL: in this process at each --callers value, and across
--processes OS processes. Each case runs --rounds times in each mode, interleaved with its
group's raw baseline; the table shows median ops/s and the median ratio to raw with the lowest
and highest round. Prints the targets of issues 25, 12, 9 and 5; writes <out>/latest.json and
<out>/chart.svg. With --db mariadb: beside raw mysql2 on one MariaDB, the targets of issues 25 and 10;
writes <out>/latest-mariadb.json and chart-mariadb.svg. The defaults take about 8 minutes.

Options:
  --seconds S          measured time per case, mode and round (default 0.5)
  --rounds N           rounds over every case and mode; ratios are medians over them (default 5)
  --callers LIST       concurrent callers in this process, comma-separated (default 1,32)
  --processes P        also run every case across P OS processes; 0 = one process only (default 4)
  --process-callers N  concurrent callers in each of those processes (default 8)
  --pool N             pooled connections of each client, in each process: pg.Pool or mysql2's,
                       TypeORM, Sequelize (default 10)
  --pg-url URL         use this PostgreSQL server (the bench creates and drops its own database)
  --db NAME            postgres (default) or mariadb: a throwaway mariadbd from Debian's
                       mariadb-server, or --mysql-url / RACESAFE_MYSQL_URL
  --mysql-url URL      use this MariaDB / MySQL server (mysql://user:password@host:port); the
                       bench creates and drops its own database there
  --out DIR            where to write the results (default bench/results)
  --only TEXT          measure only the cases whose "group name" contains TEXT (plus their groups'
                       raw pg / mysql2 lines); prints the table, writes nothing
  --profile TEXT       instead: CPU-profile the cases whose "group name" contains TEXT (e.g.
                       "hit typeorm") at each --callers value and print where the time goes
  --draws              instead (PostgreSQL): sequence values drawn and BEFORE INSERT trigger
                       firings per 1,000 calls of each getOrCreate / updateOrCreate strategy on a
                       50/50 and a 90/10 hit/miss mix (counts, not timings); prints the table
  -h, --help           show this help
`;

/** Counted calls per case (batch groups: a loop of getOrCreate sends 1,000 statements per call). */
const ROUND_TRIP_CALLS = { single: { calls: 20, warmup: 3 }, batch: { calls: 2, warmup: 1 } };
/** An unmeasured run of each case in each mode before its first measured one. */
const WARMUP_SECONDS = 0.25;

function options(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      seconds: { type: 'string', default: '0.5' },
      rounds: { type: 'string', default: '5' },
      callers: { type: 'string', default: '1,32' },
      processes: { type: 'string', default: '4' },
      'process-callers': { type: 'string', default: '8' },
      pool: { type: 'string', default: '10' },
      'pg-url': { type: 'string' },
      db: { type: 'string', default: 'postgres' },
      'mysql-url': { type: 'string' },
      out: { type: 'string', default: path.join(__dirname, 'results') },
      profile: { type: 'string' },
      draws: { type: 'boolean', default: false },
      only: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const seconds = Number(values.seconds);
  const pool = Number(values.pool);
  const rounds = Number(values.rounds);
  const processes = Number(values.processes);
  const processCallers = Number(values['process-callers']);
  const concurrencies = values.callers.split(',').map(Number);
  if (
    !(seconds > 0) ||
    [pool, rounds, processCallers, ...concurrencies].some((n) => !Number.isInteger(n) || n < 1) ||
    !(Number.isInteger(processes) && processes >= 0)
  ) {
    throw new TypeError(
      '--seconds must be > 0; --rounds, --pool, --process-callers and every --callers value positive integers; --processes an integer >= 0',
    );
  }
  const db = values.db;
  if (!Object.hasOwn(benchDatabases, db))
    throw new TypeError(`--db must be postgres or mariadb, got ${JSON.stringify(db)}`);
  return {
    seconds,
    rounds,
    pool,
    concurrencies,
    processes,
    processCallers,
    db: db as keyof typeof benchDatabases,
    pgUrl: values['pg-url'],
    mysqlUrl: values['mysql-url'],
    out: path.resolve(values.out),
    profile: values.profile,
    draws: values.draws,
    only: values.only,
    help: values.help,
  };
}

/** The version of the package `require(name)` loads (typeorm may be the 0.3 alias; its exports hide package.json). */
function installedVersion(name: string): string {
  for (
    let dir = path.dirname(require.resolve(name));
    dir !== path.dirname(dir);
    dir = path.dirname(dir)
  ) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file))
      return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
  }
  return 'unknown';
}

async function bench(
  opts: ReturnType<typeof options>,
  db: BenchDatabase,
  url: string,
  where: string,
): Promise<void> {
  const began = performance.now();
  // Before any client exists: every client's queries then go through the counting wrapper.
  installRoundTripCounter(db.driver);
  const { cases: all, close } = await db.open(url, opts.pool);
  let processes: Processes | undefined;
  try {
    if (opts.profile !== undefined) return await profile(opts, matching(all, opts.profile));
    const cases = opts.only === undefined ? all : withBaselines(all, matching(all, opts.only));
    // Round trips first, sequentially: nothing else runs while a call is counted.
    const measured: Measured[] = [];
    for (const c of cases) {
      const next = callIndexes();
      const { calls, warmup } = groups[c.group].oneCaller
        ? ROUND_TRIP_CALLS.batch
        : ROUND_TRIP_CALLS.single;
      measured.push({
        c,
        index: all.indexOf(c),
        next,
        roundTrips: await roundTrips(c, next, calls, warmup),
        runs: {},
      });
    }
    const warnings = staleFloors(measured);
    warnings.forEach((warning) => process.stderr.write(`${warning}\n`));

    const runners: Runner[] = opts.concurrencies.map(inProcess);
    if (opts.processes > 0) {
      process.stderr.write(`starting ${opts.processes} bench processes...\n`);
      processes = await startProcesses(
        opts.processes,
        opts.db,
        url,
        opts.pool,
        all.map((c) => `${c.group} ${c.name}`),
      );
      runners.push(acrossProcesses(processes, opts.processCallers));
    }
    const modes = runners.map((r) => r.mode);
    const runs = schedule(measured, runners, opts.rounds);
    const warmups = new Set(runs.map(({ runner, m }) => `${runner.mode.id} ${m.index}`)).size;
    process.stderr.write(
      `${runs.length} runs of ${opts.seconds} s and ${warmups} warm-ups of ${WARMUP_SECONDS} s: about ${Math.ceil((runs.length * opts.seconds + warmups * WARMUP_SECONDS) / 60)} min\n`,
    );
    const warm = new Set<string>();
    for (const { round, runner, m, callers } of runs) {
      const key = `${runner.mode.id} ${m.index}`;
      if (!warm.has(key)) await runner.run(m, callers, WARMUP_SECONDS);
      warm.add(key);
      const run = await runner.run(m, callers, opts.seconds);
      (m.runs[runner.mode.id] ??= []).push(run);
      const label = modeHeading(runner.mode);
      process.stderr.write(
        `round ${round + 1}/${opts.rounds} ${label.padEnd(4)} ${m.c.group.padEnd(18)} ${m.c.name.padEnd(50)} ${Math.round(run.opsPerSec)} calls/s\n`,
      );
    }
    const results = summarize(measured, modes);
    const targets = db.checkTargets(results, all);
    const versions = Object.fromEntries(
      [db.driver, 'typeorm', 'sequelize'].map((name) => [name, installedVersion(name)]),
    );
    const environment = {
      node: process.version,
      cpus: os.cpus().length,
      cpu: os.cpus()[0]?.model,
      [opts.db]: where,
      ...versions,
    };
    const minutes = (performance.now() - began) / 60_000;
    const settings = {
      secondsPerRun: opts.seconds,
      rounds: opts.rounds,
      ratio:
        'per round: ops/s over the mean of the raw baseline runs before and after the group; reported: median over rounds (min-max)',
      modes,
      poolSizePerProcess: opts.pool,
      roundTripCalls: ROUND_TRIP_CALLS,
      benchMinutes: Number(minutes.toFixed(1)),
    };

    if (opts.only === undefined) {
      fs.mkdirSync(opts.out, { recursive: true });
      fs.writeFileSync(
        path.join(opts.out, db.files.results),
        `${JSON.stringify({ generatedAt: new Date().toISOString(), environment, settings, results, targets, warnings }, null, 2)}\n`,
      );
      const title = `racesafe vs raw ${db.driver}, median of ${opts.rounds} rounds, ${environment.cpus} cores, ${where}, TypeORM ${versions.typeorm}, Sequelize ${versions.sequelize}`;
      fs.writeFileSync(
        path.join(opts.out, db.files.chart),
        await renderSvg(chartSpec(results, modes, title)),
      );
    }

    process.stdout.write(`\n${formatResults(results, modes)}\n\n`);
    process.stdout.write(db.legend);
    process.stdout.write(
      `modes: @N = N callers in this process; ${opts.processes}x${opts.processCallers} = ${opts.processes} OS processes x ${opts.processCallers} callers each (batches: 1 each), pool ${opts.pool} per client and process.\n` +
        `x raw: each round, ops/s over the mean of the group's raw runs just before and after it; median over ${opts.rounds} rounds, (lowest-highest round).\n\n`,
    );
    process.stdout.write(`${formatTargets(targets)}\n\n`);
    warnings.forEach((warning) => process.stdout.write(`${warning}\n`));
    process.stdout.write(
      `${targets.filter((t) => t.holds).length} of ${targets.length} target checks held${notMeasured(targets)}. ${where}, ${opts.rounds} rounds x ${opts.seconds} s per case and mode; the bench took ${minutes.toFixed(1)} min.\n`,
    );
    if (opts.only === undefined)
      process.stdout.write(
        `Wrote ${path.relative(process.cwd(), path.join(opts.out, db.files.results))} and ${db.files.chart}.\n`,
      );
  } finally {
    await processes?.close();
    await close();
  }
}

/** ", 3 not measured" when some targets could not be checked (their case, reference or mode did not run). */
function notMeasured(targets: TargetCheck[]): string {
  const missing = targets.filter((t) => t.holds === null).length;
  return missing === 0 ? '' : `, ${missing} not measured`;
}

/** A floor must send the statement its case sends: one line per floor whose case's last statement is another. */
function staleFloors(measured: Measured[]): string[] {
  return measured.flatMap(({ c, roundTrips: floor }) => {
    const subject = measured.find((m) => m.c.group === c.group && m.c.name === c.floorOf);
    const sent = subject?.roundTrips.statements.at(-1);
    if (!subject || sent === floor.statements.at(-1)) return [];
    return [
      `warning: "${c.group} ${c.name}" no longer sends what ${c.floorOf} sends now:\n  ${sent}`,
    ];
  });
}

/** The cases whose "group name" contains `text` (case-insensitive); throws, listing them all, when none does. */
function matching(cases: BenchCase[], text: string): BenchCase[] {
  const selected = cases.filter((c) =>
    `${c.group} ${c.name}`.toLowerCase().includes(text.toLowerCase()),
  );
  if (selected.length === 0)
    throw new TypeError(
      `no case matches "${text}"; cases: ${cases.map((c) => `"${c.group} ${c.name}"`).join(', ')}`,
    );
  return selected;
}

/** `selected` plus the raw pg (or mysql2) baseline of each of their groups, in the cases' order. */
function withBaselines(cases: BenchCase[], selected: BenchCase[]): BenchCase[] {
  return cases.filter(
    (c) => selected.includes(c) || (c.baseline && selected.some((s) => s.group === c.group)),
  );
}

/** --profile: where a case's time goes, per call, without writing results. */
async function profile(opts: ReturnType<typeof options>, selected: BenchCase[]): Promise<void> {
  for (const c of selected) {
    const next = callIndexes();
    for (const concurrency of opts.concurrencies) {
      await throughput(c, next, concurrency, WARMUP_SECONDS);
      process.stdout.write(
        `${formatBreakdown(`${c.group} / ${c.name} @${concurrency}`, await profileCase(c, next, concurrency, opts.seconds))}\n\n`,
      );
    }
  }
}

/** --draws: each strategy's sequence values and trigger firings per 1,000 calls (draws.ts). */
async function draws(opts: ReturnType<typeof options>, url: string, where: string): Promise<void> {
  if (opts.db !== 'postgres')
    throw new TypeError('--draws counts PostgreSQL sequences: --db postgres');
  const subjects = await openSubjects(url, opts.pool);
  try {
    const counts = await countDraws(subjects);
    process.stdout.write(
      `${formatDraws(counts)}\n\n${where}; ${counts[0]?.calls ?? 0} calls per row, one at a time.\n`,
    );
  } finally {
    await subjects.close();
  }
}

async function main(argv: string[]): Promise<number> {
  let opts: ReturnType<typeof options>;
  try {
    opts = options(argv);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
    return 2;
  }
  if (opts.help) {
    process.stdout.write(usage);
    return 0;
  }
  const database = new ThrowawayDatabase();
  let code = 2;
  try {
    const db = benchDatabases[opts.db];
    const url = await db.create(database, opts);
    if (opts.draws) await draws(opts, url, database.where);
    else await bench(opts, db, url, database.where);
    code = 0; // Targets are reported, never enforced: timings are not a pass/fail matter.
  } catch (error) {
    if (!database.interrupted)
      process.stderr.write(
        `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
  }
  await database.exit(code);
  return code;
}

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
