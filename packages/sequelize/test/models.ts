import {
  DataTypes,
  type InferAttributes,
  type InferCreationAttributes,
  type CreationOptional,
  Model,
  Sequelize,
} from 'sequelize';
import { RaceSafeModel, pgWithErrorListener } from '../src';
import pg from 'pg';
import { hookBehaviour, hookCalls } from '../../../test/integration/hooks';

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
export class NaiveUser extends Model<
  InferAttributes<NaiveUser>,
  InferCreationAttributes<NaiveUser>
> {
  declare id: CreationOptional<number>;
  declare email: string;
  declare username: CreationOptional<string | null>;
  declare name: CreationOptional<string | null>;
  declare plan: CreationOptional<string>;
  declare logins: CreationOptional<number>;
  declare visits: CreationOptional<number>;
}

export class Membership extends RaceSafeModel<
  InferAttributes<Membership>,
  InferCreationAttributes<Membership>
> {
  declare id: CreationOptional<number>;
  declare org: string;
  declare member: string | null;
  declare role: CreationOptional<string>;
}

export class Counter extends RaceSafeModel<
  InferAttributes<Counter>,
  InferCreationAttributes<Counter>
> {
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

/** Hooks and a validator as an application writes them: hash the password, derive a slug (test/integration/hooks.ts). */
export class Account extends RaceSafeModel<
  InferAttributes<Account>,
  InferCreationAttributes<Account>
> {
  declare id: CreationOptional<number>;
  declare email: string;
  declare username: CreationOptional<string | null>;
  declare password: CreationOptional<string | null>;
  declare name: CreationOptional<string | null>;
  declare slug: CreationOptional<string | null>;
  declare logins: CreationOptional<number>;
  declare note: CreationOptional<string | null>;
}

/** The same attributes and hooks on a table without unique constraints: the naive approach's table in the hashing-hook race. */
export class NaiveAccount extends Account {}

export class Audit extends RaceSafeModel<InferAttributes<Audit>, InferCreationAttributes<Audit>> {
  declare id: CreationOptional<number>;
  declare event: string;
  declare email: string | null;
}

/** Paranoid, with a unique index on live rows only (posts_slug_live). */
export class Post extends RaceSafeModel<InferAttributes<Post>, InferCreationAttributes<Post>> {
  declare id: CreationOptional<number>;
  declare slug: string;
  declare title: CreationOptional<string | null>;
  declare views: CreationOptional<number>;
  declare deletedAt: CreationOptional<Date | null>;
}

/** Paranoid, with a full unique key (notes_slug_key). */
export class Note extends RaceSafeModel<InferAttributes<Note>, InferCreationAttributes<Note>> {
  declare id: CreationOptional<number>;
  declare slug: string;
  declare body: CreationOptional<string | null>;
  declare deletedAt: CreationOptional<Date | null>;
}

/** Values of every kind Sequelize accepts for a column (issue 9, item 7). */
export class Document extends RaceSafeModel<
  InferAttributes<Document>,
  InferCreationAttributes<Document>
> {
  declare id: CreationOptional<number>;
  declare code: string;
  declare tags: CreationOptional<string[] | null>;
  declare meta: CreationOptional<unknown>;
  declare list: CreationOptional<string | null>;
  declare stampedAt: CreationOptional<Date | null>;
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
  Account: typeof Account;
  NaiveAccount: typeof NaiveAccount;
  Audit: typeof Audit;
  Post: typeof Post;
  Note: typeof Note;
  Document: typeof Document;
}

/**
 * A Sequelize instance on the test database with every model defined on fresh subclasses
 * (so that several instances can coexist in one test file); each statement goes to `onQuery`.
 * With `readReplicas` (PostgreSQL), Sequelize's `replication: { read, write }`: its reads go to a replica.
 */
export function testSequelize(
  url: string,
  {
    poolSize = 4,
    onQuery,
    readReplicas,
    acquireTimeoutMs = 60_000,
  }: {
    poolSize?: number;
    onQuery?: (sql: string) => void;
    readReplicas?: string[];
    acquireTimeoutMs?: number;
  } = {},
): TestModels {
  // mysql:// runs on MariaDB through mysql2 (Sequelize `mysql`), mariadb:// through the mariadb connector.
  const sequelize = new Sequelize(url, {
    ...(readReplicas
      ? { replication: { write: connectionFields(url), read: readReplicas.map(connectionFields) } }
      : {}),
    dialect: dialectOf(url),
    // The package's 'error' listener, as the README sets it up (issue 21, item 4): a terminated backend never crashes the process.
    ...(dialectOf(url) === 'postgres' ? { dialectModule: pgWithErrorListener(pg) } : {}),
    pool: { max: poolSize, min: 0, acquire: acquireTimeoutMs },
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
    Account: class extends Account {},
    NaiveAccount: class extends NaiveAccount {},
    Audit: class extends Audit {},
    Post: class extends Post {},
    Note: class extends Note {},
    Document: class extends Document {},
  };
  models.User.init(
    { ...userAttributes, createdAt: { type: DataTypes.DATE, field: 'created_at' } },
    { ...common, tableName: 'users', modelName: 'User' },
  );
  models.NaiveUser.init(userAttributes, {
    ...common,
    tableName: 'naive_users',
    modelName: 'NaiveUser',
  });
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
      viewCount: {
        type: DataTypes.INTEGER,
        allowNull: false,
        defaultValue: 0,
        field: 'view_count',
      },
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
  defineHookModels(models, common);
  return models;
}

/** A PostgreSQL URL as the connection fields Sequelize's `replication` entries take (they take no URL). */
function connectionFields(url: string) {
  const parsed = new URL(url);
  const { hostname: host, port, username, password, pathname } = parsed;
  return {
    host,
    port: Number(port || 5432),
    username: decodeURIComponent(username),
    password: decodeURIComponent(password),
    database: pathname.slice(1),
  };
}

function dialectOf(url: string): 'postgres' | 'mysql' | 'mariadb' | 'sqlite' {
  if (url.startsWith('mysql:')) return 'mysql';
  // sqlite:/path/file.db: Sequelize takes the path as `storage`.
  if (url.startsWith('sqlite:')) return 'sqlite';
  return url.startsWith('mariadb:') ? 'mariadb' : 'postgres';
}

/** Account with hooks and a validator, Audit, the paranoid Post and Note, Document. */
function defineHookModels(
  models: TestModels,
  common: { sequelize: Sequelize; timestamps: boolean; underscored: boolean },
): void {
  const id = { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true };
  const { Account, Audit } = models;
  // Writes made in a hook join the transaction the hook is given.
  const audit = (event: string, email: string | null, options: { transaction?: unknown }) =>
    Audit.create({ event, email }, { transaction: options.transaction as never, hooks: false });
  // The naive table of the hashing-hook race gets the very same attributes and hooks.
  for (const [model, tableName, modelName] of [
    [Account, 'accounts', 'Account'],
    [models.NaiveAccount, 'naive_accounts', 'NaiveAccount'],
  ] as const) {
    model.init(
      {
        id,
        email: { type: DataTypes.TEXT, allowNull: false, validate: { isEmail: true } },
        username: { type: DataTypes.TEXT },
        password: { type: DataTypes.TEXT },
        name: { type: DataTypes.TEXT },
        slug: { type: DataTypes.TEXT },
        logins: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
        note: { type: DataTypes.TEXT },
      },
      {
        ...common,
        tableName,
        modelName,
        hooks: {
          beforeCreate: async (account, options) => {
            hookBehaviour.beforeCreate(account);
            await audit('beforeCreate', account.email, options);
          },
          afterCreate: async (account, options) => {
            hookCalls.push({ event: 'afterCreate', email: account.email, id: account.id });
            await audit('afterCreate', account.email, options);
          },
          beforeUpdate: async (account, options) => {
            hookBehaviour.beforeUpdate(account);
            await audit('beforeUpdate', account.email, options);
          },
          afterUpdate: async (account, options) => {
            hookCalls.push({ event: 'afterUpdate', email: account.email, id: account.id });
            await audit('afterUpdate', account.email, options);
          },
          beforeBulkUpdate: () => {
            hookCalls.push({ event: 'beforeBulkUpdate' });
          },
          afterBulkUpdate: () => {
            hookCalls.push({ event: 'afterBulkUpdate' });
          },
        },
      },
    );
  }
  Audit.init(
    { id, event: { type: DataTypes.TEXT, allowNull: false }, email: { type: DataTypes.TEXT } },
    { ...common, tableName: 'audit', modelName: 'Audit' },
  );
  const deletedAt = { type: DataTypes.DATE, field: 'deleted_at' };
  const paranoid = {
    ...common,
    timestamps: true,
    createdAt: false,
    updatedAt: false,
    deletedAt: 'deletedAt',
    paranoid: true,
  } as const;
  models.Post.init(
    {
      id,
      slug: { type: DataTypes.TEXT, allowNull: false },
      title: { type: DataTypes.TEXT },
      views: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      deletedAt,
    },
    { ...paranoid, tableName: 'posts', modelName: 'Post' },
  );
  models.Note.init(
    {
      id,
      slug: { type: DataTypes.TEXT, allowNull: false },
      body: { type: DataTypes.TEXT },
      deletedAt,
    },
    { ...paranoid, tableName: 'notes', modelName: 'Note' },
  );
  // ARRAY and JSONB exist on PostgreSQL only: MariaDB's documents table has JSON columns instead.
  const postgres = common.sequelize.getDialect() === 'postgres';
  models.Document.init(
    {
      id,
      code: { type: DataTypes.TEXT, allowNull: false },
      tags: { type: postgres ? DataTypes.ARRAY(DataTypes.TEXT) : DataTypes.JSON },
      meta: { type: postgres ? DataTypes.JSONB : DataTypes.JSON },
      list: { type: DataTypes.TEXT },
      // DATETIME(6) on MariaDB: without the precision Sequelize would send whole seconds.
      stampedAt: { type: postgres ? DataTypes.DATE : DataTypes.DATE(6), field: 'stamped_at' },
      title: { type: DataTypes.TEXT },
    },
    { ...common, tableName: 'documents', modelName: 'Document' },
  );
}
