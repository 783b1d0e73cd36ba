// Type-checked against the BUILT packages (dist/*.d.ts through node_modules), as a user's
// TypeScript project sees them: `npm run build` must produce usable declarations.
import { F, raceSafe, RetryableError, type RaceSafeRepository } from '@racesafe/typeorm';
import { F as SequelizeF, RaceSafeModel, raceSafe as raceSafeModel } from '@racesafe/sequelize';
import { DataSource, Entity, PrimaryGeneratedColumn, Column } from 'typeorm';
import {
  DataTypes,
  Model,
  Sequelize,
  type InferAttributes,
  type InferCreationAttributes,
  type CreationOptional,
} from 'sequelize';

@Entity()
class Page {
  @PrimaryGeneratedColumn() id!: number;
  @Column({ type: 'text' }) slug!: string;
  @Column({ type: 'int' }) views!: number;
}

export async function typeormConsumer(dataSource: DataSource): Promise<number> {
  const pages: RaceSafeRepository<Page> = raceSafe(dataSource.getRepository(Page));
  const [page, created] = await pages.getOrCreate({ slug: 'home' }, { defaults: { views: 0 } });
  const rows: Page[] = await pages.atomicUpdate(
    { id: page.id },
    { views: F('views').plus(1) },
    { returning: true },
  );
  const count: number = await pages.atomicUpdate({ id: page.id }, { views: F('views').plus(1) });
  return created ? rows.length + count : 0;
}

class Counter extends RaceSafeModel<InferAttributes<Counter>, InferCreationAttributes<Counter>> {
  declare id: CreationOptional<number>;
  declare name: string;
}
class Legacy extends Model<InferAttributes<Legacy>, InferCreationAttributes<Legacy>> {
  declare id: CreationOptional<number>;
  declare code: string;
}

export async function sequelizeConsumer(sequelize: Sequelize): Promise<boolean> {
  Counter.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      name: DataTypes.TEXT,
    },
    { sequelize },
  );
  Legacy.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      code: DataTypes.TEXT,
    },
    { sequelize },
  );
  const [counter, created]: [Counter, boolean] = await Counter.getOrCreate({
    where: { name: 'x' },
  });
  const [legacy]: [Legacy, boolean] = await raceSafeModel(Legacy).updateOrCreate({
    where: { code: 'a' },
    defaults: { code: 'a' },
  });
  return (
    created &&
    counter.name === 'x' &&
    legacy.code === 'a' &&
    !(new Error() instanceof RetryableError)
  );
}

declare class Player extends RaceSafeModel<
  InferAttributes<Player>,
  InferCreationAttributes<Player>
> {
  declare email: string;
  declare score: number;
}

/** Mistakes the installed declarations refuse at compile time (TypeScript 5.9 and 7): each directive must meet an error. */
export async function sequelizeMistakes(): Promise<void> {
  // @ts-expect-error 'scorez' is not an attribute of Player
  await Player.atomicUpdate({ score: SequelizeF('scorez').plus(1) }, { where: { email: 'a@x' } });
  // @ts-expect-error F in defaults without createDefaults
  await Player.updateOrCreate({
    where: { email: 'a@x' },
    defaults: { score: SequelizeF('score').plus(1) },
  });
}
