import type { ThrowawayDatabase } from '../test/demo/throwaway-database';
import { type BenchCase, benchCases, pgBatch, pgManyStatements, seed } from './cases';
import { getOrCreateManyCases } from './cases-many';
import {
  mariadbBenchCases,
  mariadbManyStatements,
  mysqlBatch,
  seed as seedMariadb,
} from './cases-mariadb';
import type { CaseResult } from './report';
import { type TargetCheck, checkMariadbTargets, checkTargets } from './targets';
import { openMariadbSubjects, openSubjects } from './subjects';

/** Everything that differs between `--db postgres` and `--db mariadb`; main.ts looks the name up here only. */
export interface BenchDatabase {
  /** The raw baselines' driver, whose query methods count the round trips (round-trips.ts). */
  driver: 'pg' | 'mysql2';
  /** Starts (or reaches) the server and creates the bench's database; returns its URL. */
  create(database: ThrowawayDatabase, urls: { pgUrl?: string; mysqlUrl?: string }): Promise<string>;
  /**
   * Opens the clients on `url` (each pooling `poolSize` connections), seeds unless told not to
   * (the multi-process mode's children share the parent's rows), returns the cases: the same
   * list, in the same order, in every process.
   */
  open(
    url: string,
    poolSize: number,
    seedRows?: boolean,
  ): Promise<{ cases: BenchCase[]; close: () => Promise<void> }>;
  /** The targets of the issues, from the results and the case list (`cases`: every case, measured or not). */
  checkTargets(results: CaseResult[], cases: BenchCase[]): TargetCheck[];
  /** File names under --out. */
  files: { results: string; chart: string };
  /** What the table's columns count, printed under it. */
  legend: string;
}

const cpuLegend =
  "cpu µs: the bench process's (or processes') CPU, user + system, per call: the client side of the ORM and racesafe; floor: racesafe's statement sent through the ORM's own query method.\n";

export const benchDatabases: Record<'postgres' | 'mariadb', BenchDatabase> = {
  postgres: {
    driver: 'pg',
    create: (database, { pgUrl }) => database.open('racesafe_bench', pgUrl),
    async open(url, poolSize, seedRows = true) {
      const subjects = await openSubjects(url, poolSize);
      return seeded(subjects, seedRows && (() => seed(subjects)), () => [
        ...benchCases(subjects),
        ...getOrCreateManyCases(subjects, pgBatch(subjects), pgManyStatements),
      ]);
    },
    checkTargets,
    files: { results: 'latest.json', chart: 'chart.svg' },
    legend:
      'round trips: pg Client#query calls per call (getOrCreate alone inside the transaction; getOrCreateMany: per call of 1,000 keys); raw: the raw pg line of the group.\n' +
      cpuLegend,
  },
  mariadb: {
    driver: 'mysql2',
    create: (database, { mysqlUrl }) => database.openMariadb('racesafe_bench', mysqlUrl),
    async open(url, poolSize, seedRows = true) {
      const subjects = await openMariadbSubjects(url, poolSize);
      return seeded(subjects, seedRows && (() => seedMariadb(subjects)), () => [
        ...mariadbBenchCases(subjects),
        ...getOrCreateManyCases(subjects, mysqlBatch(subjects), mariadbManyStatements(subjects)),
      ]);
    },
    checkTargets: checkMariadbTargets,
    files: { results: 'latest-mariadb.json', chart: 'chart-mariadb.svg' },
    legend:
      'round trips: mysql2 Connection#query and #execute calls per call (START TRANSACTION and COMMIT included); raw: the raw mysql2 line of the group.\n' +
      cpuLegend,
  },
};

/** Seeds and builds the cases; closes the clients if that fails. */
async function seeded(
  subjects: { close(): Promise<void> },
  seedRows: false | (() => Promise<void>),
  cases: () => BenchCase[],
) {
  try {
    if (seedRows) await seedRows();
    return { cases: cases(), close: () => subjects.close() };
  } catch (error) {
    await subjects.close();
    throw error;
  }
}
