// sequelize-typescript models with racesafe: @Table / @Column on a class that extends
// withRaceSafe(Model), registered with new Sequelize({ models }).
//
//   npm run example:sequelize-typescript
//
// Shows: the statics typed on the decorated class itself, one row for many concurrent
// getOrCreate calls, and increments that are all counted.
import pg from 'pg';
import { pgWithErrorListener } from '@racesafe/sequelize';
import { runExample } from './run-example';

// #region guide-sequelize-typescript
import { Column, DataType, Model, Sequelize, Table, Unique } from 'sequelize-typescript';
import { F, withRaceSafe } from '@racesafe/sequelize';

@Table({ tableName: 'ts_users', timestamps: false })
export class User extends withRaceSafe(Model)<User> {
  @Unique @Column(DataType.TEXT) declare email: string;
  @Column({ type: DataType.INTEGER, defaultValue: 0 }) declare logins: number;
}

export async function signIn(email: string): Promise<void> {
  const [user] = await User.getOrCreate({ where: { email } }); // [user, created]
  await User.atomicUpdate({ logins: F('logins').plus(1) }, { where: { id: user.id } });
}
// #endregion

export async function main(url: string): Promise<void> {
  const sequelize = new Sequelize(url, {
    dialect: 'postgres',
    dialectModule: pgWithErrorListener(pg),
    models: [User],
    logging: false,
  });
  try {
    await sequelize.sync();
    await Promise.all(Array.from({ length: 20 }, () => signIn('ann@example.com')));
    const users = await User.findAll();
    console.log(`20 concurrent sign-ins: ${users.length} user, logins = ${users[0]?.logins}`);
  } finally {
    await sequelize.close();
  }
}

if (require.main === module) runExample('sequelize_typescript', main);
