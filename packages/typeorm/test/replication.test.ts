import { DataSource } from 'typeorm';
import type { TestDatabase } from '../../../test/harness/postgres';
import { useTestDatabase } from '../../../test/harness/database';
import { schemaSql } from '../../../test/schema/tables';
import { createStaleReplica } from '../../../test/support/replica';
import { raceSafe } from '../src';
import { User } from './entities';

const db = useTestDatabase(schemaSql);
let replica: TestDatabase;
let dataSource: DataSource;

beforeAll(async () => {
  replica = await createStaleReplica(`INSERT INTO users (email, name) VALUES ('r@x', 'stale replica row');`);
  dataSource = await new DataSource({
    type: 'postgres',
    replication: { master: { url: db.url() }, slaves: [{ url: replica.url }] },
    entities: [User],
  }).initialize();
});
afterAll(async () => {
  await dataSource?.destroy();
  await replica?.drop();
});

it('reads and locks on the primary when TypeORM has read replicas', async () => {
  const users = raceSafe(dataSource.getRepository(User));
  // TypeORM's own reads go to the replica: that is what racesafe must not do.
  expect((await users.findOneBy({ email: 'r@x' }))?.name).toBe('stale replica row');
  const [created, wasCreated] = await users.getOrCreate({ email: 'r@x' }, { defaults: { name: 'primary row' } });
  const [found, wasCreatedAgain] = await users.getOrCreate({ email: 'r@x' });
  const [updated] = await users.updateOrCreate({ email: 'r@x' }, { defaults: { plan: 'pro' } });
  expect([wasCreated, created.name, wasCreatedAgain, found.id, updated.id, updated.name]).toEqual([true, 'primary row', false, created.id, created.id, 'primary row']);
});
