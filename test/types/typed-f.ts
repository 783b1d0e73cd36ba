/**
 * Type tests, compiled by `npm run typecheck` (never run): each `@ts-expect-error` line must
 * fail to compile, or the typecheck fails on the unused directive. F names are checked against
 * the entity's / model's numeric properties; F in updateOrCreate `defaults` needs `createDefaults`.
 */
import { F as SequelizeF, type RaceSafeModel, withRaceSafe } from '@racesafe/sequelize';
import { Column, DataType, Model as TsModel, Table } from 'sequelize-typescript';
import { F, type RaceSafeRepository } from '@racesafe/typeorm';
import type { CreationOptional, InferAttributes, InferCreationAttributes } from 'sequelize';

class Account {
  id!: number;
  email!: string;
  logins!: number;
  balance!: string; // a decimal column, as the driver hands it over
  nickname!: string | null;
}

export async function typeormChecks(
  accounts: RaceSafeRepository<Account>,
  dynamicName: string,
): Promise<void> {
  await accounts.atomicUpdate(
    { id: 1 },
    { logins: F('logins').plus(1), balance: F('balance').minus('2.50') },
  );
  // @ts-expect-error 'loginz' is not a property of Account
  await accounts.atomicUpdate({ id: 1 }, { logins: F('loginz').plus(1) });
  // A name known only at run time compiles and is checked then (InvalidFieldError).
  await accounts.atomicUpdate({ id: 1 }, { logins: F(dynamicName).plus(1) });

  await accounts.updateOrCreate(
    { email: 'a@x' },
    { defaults: { logins: F('logins').plus(1) }, createDefaults: { logins: 1 } },
  );
  await accounts.updateOrCreate({ email: 'a@x' }, { defaults: { nickname: 'ann' } });
  // @ts-expect-error F in defaults without createDefaults: a new row has no current value to compute from
  await accounts.updateOrCreate({ email: 'a@x' }, { defaults: { logins: F('logins').plus(1) } });
  const fInCreateDefaults = {
    defaults: { logins: 2 },
    createDefaults: { logins: F('logins').plus(1) },
  };
  // @ts-expect-error createDefaults holds plain values only
  await accounts.updateOrCreate({ email: 'a@x' }, fInCreateDefaults);
}

declare class Member extends RaceSafeModel<
  InferAttributes<Member>,
  InferCreationAttributes<Member>
> {
  declare id: CreationOptional<number>;
  declare email: string;
  declare logins: CreationOptional<number>;
}

export async function sequelizeChecks(): Promise<void> {
  await Member.atomicUpdate({ logins: SequelizeF('logins').plus(1) }, { where: { id: 1 } });
  // @ts-expect-error 'loginz' is not an attribute of Member
  await Member.atomicUpdate({ logins: SequelizeF('loginz').plus(1) }, { where: { id: 1 } });

  await Member.updateOrCreate({
    where: { email: 'a@x' },
    defaults: { logins: SequelizeF('logins').plus(1) },
    createDefaults: { logins: 1 },
  });
  // @ts-expect-error F in defaults without createDefaults
  await Member.updateOrCreate({
    where: { email: 'a@x' },
    defaults: { logins: SequelizeF('logins').plus(1) },
  });
}

// sequelize-typescript: the statics are typed on the decorated class itself.
@Table({ tableName: 'players' })
class Player extends withRaceSafe(TsModel)<Player> {
  @Column({ type: DataType.TEXT }) declare email: string;
  @Column({ type: DataType.INTEGER }) declare score: number;
}

export async function sequelizeTypescriptChecks(): Promise<void> {
  const [player, created]: [Player, boolean] = await Player.getOrCreate({
    where: { email: 'a@x' },
    defaults: { score: 0 },
  });
  await Player.atomicUpdate(
    { score: SequelizeF('score').plus(created ? 1 : 2) },
    { where: { email: player.email } },
  );
  // @ts-expect-error 'scorez' is not an attribute of Player
  await Player.atomicUpdate({ score: SequelizeF('scorez').plus(1) }, { where: { email: 'a@x' } });
  // @ts-expect-error 'emial' is not an attribute of Player
  await Player.getOrCreate({ where: { emial: 'a@x' } });
}
