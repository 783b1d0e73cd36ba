import { Client } from 'pg';
import { createDatabase } from '../harness/postgres';
import { type ReplicatedPair, spawnReplicatedPair } from '../harness/replica';
import { truncateSql } from '../schema/tables';

/** What {@link useLaggingReplica} gives a test file. */
export interface LaggingReplica {
  /** The test database on the primary. */
  primaryUrl(): string;
  /** The same database on the hot standby. */
  replicaUrl(): string;
  /** Pauses replay on the standby: from now on it lags, until the test ends. */
  pause(): Promise<void>;
  /** Runs SQL on the primary, outside any ORM (what another app server wrote). */
  onPrimary(sql: string, parameters?: unknown[]): Promise<Record<string, unknown>[]>;
}

/**
 * Per test file: a primary and a streaming hot standby of its own (test/harness/replica.ts,
 * so the run's shared server is not disturbed) with a database holding `schemaSql`. Before
 * each test the tables are emptied and the standby has caught up; after each, replay is resumed.
 *
 * @example
 * const replica = useLaggingReplica(schemaSql);
 * it('reads the primary', async () => { await replica.pause(); await replica.onPrimary('INSERT ...'); ... });
 */
export function useLaggingReplica(schemaSql: string): LaggingReplica {
  let pair: ReplicatedPair | undefined;
  let primaryUrl: string | undefined;
  let primary: Client | undefined;
  const url = (of: string) => {
    const parsed = new URL(of);
    parsed.pathname = new URL(primaryUrl!).pathname;
    return parsed.toString();
  };
  beforeAll(async () => {
    pair = await spawnReplicatedPair();
    primaryUrl = (await createDatabase(pair.primaryUrl, 'rs_replication')).url;
    primary = new Client({ connectionString: primaryUrl });
    await primary.connect();
    await primary.query(schemaSql);
    await pair.catchUp();
  });
  afterAll(async () => {
    await primary?.end();
    await pair?.stop();
  });
  beforeEach(async () => {
    await primary!.query(truncateSql);
    await pair!.catchUp();
  });
  afterEach(() => pair?.resumeReplay());
  const ready = () => {
    if (!pair) throw new Error('useLaggingReplica: only available inside tests and hooks.');
    return pair;
  };
  return {
    primaryUrl: () => url(ready().primaryUrl),
    replicaUrl: () => url(ready().standbyUrl),
    pause: () => ready().pauseReplay(),
    onPrimary: async (sql, parameters = []) => {
      ready();
      return (await primary!.query(sql, parameters)).rows;
    },
  };
}
