// racesafe in your unit tests, on in-memory SQLite: no server and no set-up beyond the ORM's own.
//
//   npm run example:sqlite
//
// What a test of yours looks like with TypeORM (`better-sqlite3`) and Sequelize (`sqlite`,
// node-sqlite3) on `:memory:`: the ORM makes the tables (synchronize / sync), and getOrCreate,
// updateOrCreate and atomicUpdate work as they do on PostgreSQL. Two things to know:
// - Name your unique indexes (`@Index('players_handle_key', { unique: true })`, Sequelize
//   `indexes: [{ name, unique: true, fields }]`). SQLite keeps no name for an inline UNIQUE
//   constraint (`@Column({ unique: true })`), so a ConflictError would name its index
//   `sqlite_autoindex_players_1`.
// - Both ORMs have one connection on `:memory:` (Sequelize gives every transaction the same one;
//   TypeORM's SQLite drivers have one query runner). racesafe's calls take turns on it, so
//   concurrent calls are fine, as below. What racesafe cannot order is your own transaction on
//   that connection: await it before starting racesafe calls that open transactions of their own
//   (updateOrCreate; getOrCreate on a model with hooks), or pass it to them. For concurrency
//   between processes, use a file database in WAL mode (see docs/guide.md, SQLite).
import 'reflect-metadata';
import {
  Column,
  DataSource,
  Entity,
  Index,
  MoreThanOrEqual,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { DataTypes, Op, Sequelize } from 'sequelize';
import { F as TypeormF, raceSafe } from '@racesafe/typeorm';
import { F, RaceSafeModel } from '@racesafe/sequelize';
import type { CreationOptional, InferAttributes, InferCreationAttributes } from 'sequelize';

@Entity({ name: 'players' })
export class Player {
  @PrimaryGeneratedColumn() id!: number;
  @Index('players_handle_key', { unique: true }) @Column({ type: 'text' }) handle!: string;
  @Column({ type: 'integer', default: 0 }) score!: number;
  @Column({ type: 'integer', default: 0 }) games!: number;
}

/** The calls of a TypeORM unit test, on a data source of its own; returns what a test would assert on. */
export async function typeormInMemory(): Promise<string[]> {
  const dataSource = await new DataSource({
    type: 'better-sqlite3',
    database: ':memory:',
    entities: [Player],
    synchronize: true,
  }).initialize();
  try {
    const players = raceSafe(dataSource.getRepository(Player));
    const [ann, created] = await players.getOrCreate({ handle: 'ann' });
    const [again, createdAgain] = await players.getOrCreate({ handle: 'ann' });
    // Ten at once on the one connection: racesafe's calls take turns, one row.
    const bobs = await Promise.all(
      Array.from({ length: 10 }, () => players.getOrCreate({ handle: 'bob' })),
    );
    const [played] = await players.updateOrCreate(
      { handle: 'ann' },
      { defaults: { games: TypeormF('games').plus(1) }, createDefaults: { games: 1 } },
    );
    const [cat, catCreated] = await players.updateOrCreate(
      { handle: 'cat' },
      { defaults: { games: TypeormF('games').plus(1) }, createDefaults: { games: 1 } },
    );
    const [scored] = await players.atomicUpdate(
      { handle: 'ann' },
      { score: TypeormF('score').plus(10) },
      { returning: true },
    );
    // A guard in the where: ann has 10, not 25, so nothing changes.
    const spent = await players.atomicUpdate(
      { handle: 'ann', score: MoreThanOrEqual(25) },
      { score: TypeormF('score').minus(25) },
    );
    return [
      `getOrCreate ann: created=${created} id=${ann.id}; again: created=${createdAgain} id=${again.id}`,
      `10 concurrent getOrCreate of bob: ${bobs.filter(([, c]) => c).length} created, ${await players.countBy({ handle: 'bob' })} row`,
      `updateOrCreate ann: games=${played.games}; cat: created=${catCreated} games=${cat.games}`,
      `atomicUpdate ann score+10: ${scored.score}; spend 25 if score >= 25: ${spent} rows changed`,
    ];
  } finally {
    await dataSource.destroy();
  }
}

export class SequelizePlayer extends RaceSafeModel<
  InferAttributes<SequelizePlayer>,
  InferCreationAttributes<SequelizePlayer>
> {
  declare id: CreationOptional<number>;
  declare handle: string;
  declare score: CreationOptional<number>;
  declare games: CreationOptional<number>;
}

/** The same calls on an in-memory Sequelize. */
export async function sequelizeInMemory(): Promise<string[]> {
  const sequelize = new Sequelize({ dialect: 'sqlite', storage: ':memory:', logging: false });
  try {
    SequelizePlayer.init(
      {
        id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
        handle: { type: DataTypes.TEXT, allowNull: false },
        score: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
        games: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      },
      {
        sequelize,
        tableName: 'players',
        timestamps: false,
        indexes: [{ name: 'players_handle_key', unique: true, fields: ['handle'] }],
      },
    );
    await sequelize.sync();
    const [ann, created] = await SequelizePlayer.getOrCreate({ where: { handle: 'ann' } });
    const [again, createdAgain] = await SequelizePlayer.getOrCreate({ where: { handle: 'ann' } });
    // One statement each, no transaction: these may run at once even on `:memory:`.
    const bobs = await Promise.all(
      Array.from({ length: 10 }, () => SequelizePlayer.getOrCreate({ where: { handle: 'bob' } })),
    );
    // Each updateOrCreate runs in a transaction of racesafe's own: on the one connection they take turns.
    const [[played], [cat, catCreated]] = await Promise.all([
      SequelizePlayer.updateOrCreate({
        where: { handle: 'ann' },
        defaults: { games: F('games').plus(1) },
        createDefaults: { games: 1 },
      }),
      SequelizePlayer.updateOrCreate({
        where: { handle: 'cat' },
        defaults: { games: F('games').plus(1) },
        createDefaults: { games: 1 },
      }),
    ]);
    const [scored] = await SequelizePlayer.atomicUpdate(
      { score: F('score').plus(10) },
      { where: { handle: 'ann' }, returning: true },
    );
    const spent = await SequelizePlayer.atomicUpdate(
      { score: F('score').minus(25) },
      { where: { handle: 'ann', score: { [Op.gte]: 25 } } },
    );
    return [
      `getOrCreate ann: created=${created} id=${ann.id}; again: created=${createdAgain} id=${again.id}`,
      `10 concurrent getOrCreate of bob: ${bobs.filter(([, c]) => c).length} created, ${await SequelizePlayer.count({ where: { handle: 'bob' } })} row`,
      `updateOrCreate ann: games=${played.games}; cat: created=${catCreated} games=${cat.games}`,
      `atomicUpdate ann score+10: ${scored.score}; spend 25 if score >= 25: ${spent} rows changed`,
    ];
  } finally {
    await sequelize.close();
  }
}

export async function main(): Promise<void> {
  for (const line of await typeormInMemory()) console.log(`typeorm:   ${line}`);
  for (const line of await sequelizeInMemory()) console.log(`sequelize: ${line}`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
