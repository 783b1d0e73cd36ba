import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { applySchema, createDatabase, type TestDatabase } from './postgres';

/**
 * Gives the calling jest test file its own fresh database on the run's server
 * (`RACESAFE_TEST_SERVER_URL` from the global setup, or `RACESAFE_PG_URL`).
 * beforeAll creates it (and runs `schemaSql`), afterAll drops it.
 *
 * @example
 * const db = useTestDatabase('CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL)');
 * it('counts', async () => { const pool = new Pool({ connectionString: db.url() }); ... });
 */
export function useTestDatabase(schemaSql?: string): { url(): string } {
  let database: TestDatabase | undefined;
  beforeAll(async () => {
    const serverUrl = process.env.RACESAFE_TEST_SERVER_URL ?? process.env.RACESAFE_PG_URL;
    if (!serverUrl) {
      throw new Error(
        'useTestDatabase: no server. Run through jest (its globalSetup starts one) or set RACESAFE_PG_URL.',
      );
    }
    const file = path.basename(expect.getState().testPath ?? 'test').replace(/\.test\.ts$/, '');
    // The random suffix keeps two runs (or a rerun after a crash) from colliding.
    database = await createDatabase(serverUrl, `rs_${file.slice(0, 40)}_${randomBytes(4).toString('hex')}`);
    if (schemaSql) await applySchema(database.url, schemaSql);
  });
  afterAll(async () => {
    await database?.drop();
    database = undefined;
  });
  return {
    url() {
      if (!database) throw new Error('useTestDatabase: url() is only available inside tests and hooks.');
      return database.url;
    },
  };
}
