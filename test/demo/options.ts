import { parseArgs } from 'node:util';
import {
  type RaceScenario,
  type RaceSize,
  type RaceTarget,
  scenarios,
  scaledSize,
  sqliteSize,
} from '../race/scenarios';

/** What the command line asked for. */
export interface DemoOptions {
  processes?: number;
  callers?: number;
  /** Calls of the hot-key scenarios; the other scenarios scale with it (see {@link sizeFor}). */
  calls?: number;
  pgUrl?: string;
  /** The database the races run on. */
  db: 'postgres' | 'mariadb' | 'sqlite';
  mysqlUrl?: string;
  help: boolean;
}

/** One race of the demo: a shared scenario against one package, at one size. */
export interface DemoRace {
  /** Short name for the table. */
  label: string;
  scenario: RaceScenario;
  target: RaceTarget['name'];
  size: RaceSize;
}

export const usage = `Usage: npm run demo -- [options]

Runs the shared race scenarios (test/race/scenarios.ts) against @racesafe/typeorm and
@racesafe/sequelize, each beside the naive approach, on a throwaway PostgreSQL (or
MariaDB, or a temporary SQLite file: --db), and
prints one table. Exits 1 if racesafe shows any anomaly (the naive rows are expected
to show some), 2 if a race could not run.

Options:
  --processes N   OS processes per race (default: each scenario's own, 4 to 8; 4 on SQLite)
  --callers N     concurrent callers per process (default: each scenario's own, 4 to 16;
                  4 on SQLite)
  --calls N       calls of the hot-key scenarios (default 1000); the others scale with it:
                  200 keys and counter 2N (over N/5 keys), guarded decrement N/20 (>= 20)
  --pg-url URL    use this PostgreSQL server instead of starting an embedded one; the demo
                  creates its own database there and drops it at the end
  --db NAME       postgres (default); mariadb: a throwaway mariadbd from Debian's
                  mariadb-server, or --mysql-url / RACESAFE_MYSQL_URL; sqlite: one temporary
                  file database in WAL mode, no server (TypeORM better-sqlite3, Sequelize
                  sqlite), every connection's busy timeout 20 ms
  --mysql-url URL use this MariaDB / MySQL server (mysql://user:password@host:port)
  -h, --help      show this help
`;

/** The demo's scenarios, in table order, with their short names (`{keys}`: the key count at the chosen size). */
const plan: [string, RaceScenario][] = [
  ['getOrCreate, 1 hot key', scenarios.getOrCreateHotKey],
  ['getOrCreate, {keys} keys', scenarios.getOrCreateManyKeys],
  ['getOrCreate, hashing hook', scenarios.getOrCreateHashingHook],
  ['updateOrCreate, 1 key', scenarios.updateOrCreateHotKey],
  ['atomicUpdate, counter +1', scenarios.counter],
  ['atomicUpdate, stock 10 -1', scenarios.guardedDecrement],
];
const targets: RaceTarget['name'][] = ['typeorm', 'sequelize'];

/** Parses argv; throws a TypeError with a readable message on bad input. */
export function parseOptions(argv: string[]): DemoOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      processes: { type: 'string' },
      callers: { type: 'string' },
      calls: { type: 'string' },
      'pg-url': { type: 'string' },
      db: { type: 'string', default: 'postgres' },
      'mysql-url': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  return {
    processes: positiveInt('--processes', values.processes),
    callers: positiveInt('--callers', values.callers),
    calls: positiveInt('--calls', values.calls),
    pgUrl: values['pg-url'],
    db: databaseName(values.db),
    mysqlUrl: values['mysql-url'],
    help: values.help ?? false,
  };
}

function databaseName(text: string | undefined): DemoOptions['db'] {
  if (text === 'postgres' || text === 'mariadb' || text === 'sqlite') return text;
  throw new TypeError(`--db must be postgres, mariadb or sqlite, got ${JSON.stringify(text)}`);
}

function positiveInt(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new TypeError(`${name} must be a positive integer, got ${JSON.stringify(text)}`);
  return value;
}

const REFERENCE_CALLS = scenarios.getOrCreateHotKey.size.calls;

/**
 * A scenario's size under the options (on SQLite from 4 x 4, see sqliteSize). `--calls N` scales every scenario by
 * N / 1000 (its default for the hot key), keeping ten calls per key in the 200-keys
 * scenario and more buyers than stock (at least 20 for 10 items) in the guarded decrement.
 */
export function sizeFor(scenario: RaceScenario, options: DemoOptions): RaceSize {
  // SQLite: 4 processes x 4 callers on one file (issue 11), the scenario's calls and keys.
  const base = options.db === 'sqlite' ? sqliteSize(scenario.size) : scenario.size;
  const size: RaceSize = {
    ...base,
    processes: options.processes ?? base.processes,
    callersPerProcess: options.callers ?? base.callersPerProcess,
  };
  return options.calls === undefined
    ? size
    : scaledSize(scenario, size, options.calls / REFERENCE_CALLS);
}

/** The embedded server's max_connections (test/harness/postgres.ts), less a few for the checks. */
const EMBEDDED_CONNECTIONS = 290;

/**
 * Pooled connections a race opens: each process pools half its callers (test/race/scenarios.ts).
 * Throws when a race needs more than the embedded server allows.
 */
export function assertConnectionsFit(races: DemoRace[]): void {
  for (const { size, label } of races) {
    const needed = size.processes * Math.max(1, Math.floor(size.callersPerProcess / 2));
    if (needed > EMBEDDED_CONNECTIONS) {
      throw new TypeError(
        `${label}: ${size.processes} processes x ${size.callersPerProcess} callers pool ${needed} connections, more than the embedded server's ${EMBEDDED_CONNECTIONS}; lower --processes or --callers`,
      );
    }
  }
}

/** Every race the demo runs, scenario by scenario, each package in turn. */
export function demoRaces(options: DemoOptions): DemoRace[] {
  return plan.flatMap(([name, scenario]) => {
    const size = sizeFor(scenario, options);
    const label = name.replace('{keys}', String(size.keys));
    return targets.map((target) => ({ label, scenario, target, size }));
  });
}
