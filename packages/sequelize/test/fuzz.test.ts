import { describeOnEachDatabase } from '../../../test/integration/databases';
import { describeFuzz, fuzzSettings, refusals } from '../../../test/integration/fuzz.suite';
import { openSequelizeTestOrm } from './test-orm';

// PostgreSQL, MariaDB and SQLite (PgBouncer adds nothing to what a value becomes).
describeOnEachDatabase('differential fuzzing against the ORM (Sequelize)', (database) => {
  if (database.through) return it.skip('runs on PostgreSQL directly', () => undefined);
  describeFuzz(openSequelizeTestOrm, database);
});

afterAll(() => {
  // The calls the ORM accepted and racesafe refused, by reason: the report lists them.
  if (process.env.RACESAFE_FUZZ_REPORT)
    console.log(
      JSON.stringify(
        { seed: fuzzSettings.seed, runs: fuzzSettings.runs, refusals: [...refusals.values()] },
        null,
        1,
      ),
    );
});
