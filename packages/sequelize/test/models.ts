import { DataTypes, type InferAttributes, type InferCreationAttributes, type CreationOptional, Model, Sequelize } from 'sequelize';
import { RaceSafeModel } from '../src';

// The same tables as packages/typeorm/test/entities.ts (schema: test/schema/tables.ts).

export class User extends RaceSafeModel<InferAttributes<User>, InferCreationAttributes<User>> {
  declare id: CreationOptional<number>;
  declare email: string;
  declare username: CreationOptional<string | null>;
  declare name: CreationOptional<string | null>;
  declare plan: CreationOptional<string>;
  declare logins: CreationOptional<number>;
  declare visits: CreationOptional<number>;
  declare createdAt: CreationOptional<Date>;
}

/** Deliberately a plain Model: racesafe reaches it through raceSafe(NaiveUser). */
export class NaiveUser extends Model<InferAttributes<NaiveUser>, InferCreationAttributes<NaiveUser>> {
  declare id: CreationOptional<number>;
  declare email: string;
  declare username: CreationOptional<string | null>;
  declare name: CreationOptional<string | null>;
  declare plan: CreationOptional<string>;
  declare logins: CreationOptional<number>;
  declare visits: CreationOptional<number>;
}

export class Membership extends RaceSafeModel<InferAttributes<Membership>, InferCreationAttributes<Membership>> {
  declare id: CreationOptional<number>;
  declare org: string;
  declare member: string | null;
  declare role: CreationOptional<string>;
}

export class Counter extends RaceSafeModel<InferAttributes<Counter>, InferCreationAttributes<Counter>> {
  declare id: CreationOptional<number>;
  declare name: string;
  declare value: CreationOptional<number>;
  declare viewCount: CreationOptional<number>;
  declare big: CreationOptional<string>;
  declare ratio: CreationOptional<number>;
  declare label: CreationOptional<string>;
}

export class Item extends RaceSafeModel<InferAttributes<Item>, InferCreationAttributes<Item>> {
  declare id: CreationOptional<number>;
  declare sku: string;
  declare stock: number;
  declare price: CreationOptional<string>;
  declare title: CreationOptional<string | null>;
}

const userAttributes = {
  id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
  email: { type: DataTypes.TEXT, allowNull: false },
  username: { type: DataTypes.TEXT },
  name: { type: DataTypes.TEXT },
  plan: { type: DataTypes.TEXT, allowNull: false, defaultValue: 'free' },
  logins: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
  visits: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
};

/** The models, bound to one Sequelize instance. */
export interface TestModels {
  sequelize: Sequelize;
  User: typeof User;
  NaiveUser: typeof NaiveUser;
  Membership: typeof Membership;
  Counter: typeof Counter;
  Item: typeof Item;
}

/**
 * A Sequelize instance on the test database with every model defined on fresh subclasses
 * (so that several instances can coexist in one test file); each statement goes to `onQuery`.
 */
export function testSequelize(url: string, { poolSize = 4, onQuery }: { poolSize?: number; onQuery?: (sql: string) => void } = {}): TestModels {
  const sequelize = new Sequelize(url, {
    dialect: 'postgres',
    pool: { max: poolSize, min: 0, acquire: 60_000 },
    logging: onQuery ? (sql: string) => onQuery(sql.replace(/^Executing \([^)]*\): /, '')) : false,
  });
  const common = { sequelize, timestamps: false, underscored: false };
  const models = {
    sequelize,
    User: class extends User {},
    NaiveUser: class extends NaiveUser {},
    Membership: class extends Membership {},
    Counter: class extends Counter {},
    Item: class extends Item {},
  };
  models.User.init({ ...userAttributes, createdAt: { type: DataTypes.DATE, field: 'created_at' } }, { ...common, tableName: 'users', modelName: 'User' });
  models.NaiveUser.init(userAttributes, { ...common, tableName: 'naive_users', modelName: 'NaiveUser' });
  models.Membership.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      org: { type: DataTypes.TEXT, allowNull: false },
      member: { type: DataTypes.TEXT },
      role: { type: DataTypes.TEXT, allowNull: false, defaultValue: 'member' },
    },
    { ...common, tableName: 'memberships', modelName: 'Membership' },
  );
  models.Counter.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      name: { type: DataTypes.TEXT, allowNull: false },
      value: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      viewCount: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0, field: 'view_count' },
      big: { type: DataTypes.BIGINT, allowNull: false, defaultValue: 0 },
      ratio: { type: DataTypes.DOUBLE, allowNull: false, defaultValue: 1 },
      label: { type: DataTypes.TEXT, allowNull: false, defaultValue: '' },
    },
    { ...common, tableName: 'counters', modelName: 'Counter' },
  );
  models.Item.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      sku: { type: DataTypes.TEXT, allowNull: false },
      stock: { type: DataTypes.INTEGER, allowNull: false },
      price: { type: DataTypes.DECIMAL(10, 2), allowNull: false, defaultValue: 0 },
      title: { type: DataTypes.TEXT },
    },
    { ...common, tableName: 'items', modelName: 'Item' },
  );
  return models;
}
