import { DataTypes, Sequelize } from 'sequelize';
import type { TestDatabase } from '../../../test/harness/postgres';
import { useTestDatabase } from '../../../test/harness/database';
import { schemaSql } from '../../../test/schema/tables';
import { connectionFields, createStaleReplica } from '../../../test/support/replica';
import { User } from './models';

const db = useTestDatabase(schemaSql);
let replica: TestDatabase;
let sequelize: Sequelize;
const ReplicatedUser = class extends User {};

beforeAll(async () => {
  replica = await createStaleReplica(`INSERT INTO users (email, name) VALUES ('r@x', 'stale replica row');`);
  const primary = connectionFields(db.url());
  sequelize = new Sequelize(primary.database, primary.username, primary.password, {
    dialect: 'postgres',
    host: primary.host,
    port: primary.port,
    replication: { write: primary, read: [connectionFields(replica.url)] },
    logging: false,
  });
  ReplicatedUser.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      email: { type: DataTypes.TEXT, allowNull: false },
      name: { type: DataTypes.TEXT },
      plan: { type: DataTypes.TEXT, allowNull: false, defaultValue: 'free' },
    } as never,
    { sequelize, tableName: 'users', timestamps: false },
  );
});
afterAll(async () => {
  await sequelize?.close();
  await replica?.drop();
});

it('reads and locks on the primary when Sequelize has read replicas', async () => {
  // Sequelize's own reads go to the replica: that is what racesafe must not do.
  expect((await ReplicatedUser.findOne({ where: { email: 'r@x' } }))?.name).toBe('stale replica row');
  const [created, wasCreated] = await ReplicatedUser.getOrCreate({ where: { email: 'r@x' }, defaults: { name: 'primary row' } });
  const [found, wasCreatedAgain] = await ReplicatedUser.getOrCreate({ where: { email: 'r@x' } });
  const [updated] = await ReplicatedUser.updateOrCreate({ where: { email: 'r@x' }, defaults: { plan: 'pro' } });
  expect([wasCreated, created.name, wasCreatedAgain, found.id, updated.id, updated.name]).toEqual([true, 'primary row', false, created.id, created.id, 'primary row']);
});
