import mysql from 'mysql2/promise';
import { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { raceSafe } from '@racesafe/typeorm';
import { Account, Counter, User, testDataSource } from '../packages/typeorm/test/entities';
import { type TestModels, testSequelize } from '../packages/sequelize/test/models';

/**
 * Everything the cases call: the raw driver's pool (pg, or mysql2 on MariaDB), TypeORM and
 * Sequelize, each with a pool of the same size on the same server.
 */
export interface Subjects<RawPool = Pool> {
  pool: RawPool;
  typeorm: {
    dataSource: DataSource;
    users: ReturnType<typeof raceSafe<User>>;
    counters: ReturnType<typeof raceSafe<Counter>>;
    /** Account has entity listeners and an auditing subscriber (packages/typeorm/test/entities.ts). */
    accounts: ReturnType<typeof raceSafe<Account>>;
  };
  sequelize: TestModels;
  close(): Promise<void>;
}

/**
 * Opens the three clients on `url`, each pooling `poolSize` connections (the shared
 * test entities and models of packages/typeorm/test and packages/sequelize/test).
 */
export function openSubjects(url: string, poolSize: number): Promise<Subjects> {
  return withOrms(url, poolSize, new Pool({ connectionString: url, max: poolSize }));
}

/** The same on MariaDB (a `mysql://` URL: TypeORM `mysql`, Sequelize `mysql`, both on mysql2), raw mysql2's promise pool beside them. */
export function openMariadbSubjects(url: string, poolSize: number): Promise<Subjects<mysql.Pool>> {
  return withOrms(url, poolSize, mysql.createPool({ uri: url, connectionLimit: poolSize }));
}

async function withOrms<RawPool extends { end(): Promise<void> }>(
  url: string,
  poolSize: number,
  pool: RawPool,
): Promise<Subjects<RawPool>> {
  const dataSource = await testDataSource(url, { poolSize }).initialize();
  const sequelize = testSequelize(url, { poolSize });
  await sequelize.sequelize.authenticate();
  return {
    pool,
    typeorm: {
      dataSource,
      users: raceSafe(dataSource.getRepository(User)),
      counters: raceSafe(dataSource.getRepository(Counter)),
      accounts: raceSafe(dataSource.getRepository(Account)),
    },
    sequelize,
    async close() {
      await Promise.allSettled([pool.end(), dataSource.destroy(), sequelize.sequelize.close()]);
    },
  };
}
