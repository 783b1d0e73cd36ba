import { type CreationOptional, DataTypes } from 'sequelize';
import { Column, DataType, Model, Sequelize, Table } from 'sequelize-typescript';
import pg from 'pg';
import { pgWithErrorListener } from '../src';
import { withRaceSafe } from '../src';

// The shared suites' tables as a sequelize-typescript app declares them: @Table / @Column on classes that
// extend withRaceSafe(Model), registered with new Sequelize({ models }). Column types are explicit, so the
// models need no design:type metadata. The unique keys live in the schema (test/schema/tables.ts).

@Table({ tableName: 'users', timestamps: false })
export class TsUser extends withRaceSafe(Model)<TsUser> {
  @Column({ type: DataType.INTEGER, primaryKey: true, autoIncrement: true })
  declare id: CreationOptional<number>;
  @Column({ type: DataType.TEXT, allowNull: false }) declare email: string;
  @Column({ type: DataType.TEXT }) declare username: CreationOptional<string | null>;
  @Column({ type: DataType.TEXT }) declare name: CreationOptional<string | null>;
  @Column({ type: DataType.TEXT, allowNull: false, defaultValue: 'free' })
  declare plan: CreationOptional<string>;
  @Column({ type: DataType.INTEGER, allowNull: false, defaultValue: 0 })
  declare logins: CreationOptional<number>;
  @Column({ type: DataType.INTEGER, allowNull: false, defaultValue: 0 })
  declare visits: CreationOptional<number>;
  @Column({ type: DataType.DATE, field: 'created_at' }) declare createdAt: CreationOptional<Date>;
}

@Table({ tableName: 'naive_users', timestamps: false })
export class TsNaiveUser extends withRaceSafe(Model)<TsNaiveUser> {
  @Column({ type: DataType.INTEGER, primaryKey: true, autoIncrement: true })
  declare id: CreationOptional<number>;
  @Column({ type: DataType.TEXT, allowNull: false }) declare email: string;
  @Column({ type: DataType.TEXT }) declare username: CreationOptional<string | null>;
  @Column({ type: DataType.TEXT }) declare name: CreationOptional<string | null>;
  @Column({ type: DataType.TEXT, allowNull: false, defaultValue: 'free' })
  declare plan: CreationOptional<string>;
  @Column({ type: DataType.INTEGER, allowNull: false, defaultValue: 0 })
  declare logins: CreationOptional<number>;
  @Column({ type: DataType.INTEGER, allowNull: false, defaultValue: 0 })
  declare visits: CreationOptional<number>;
}

@Table({ tableName: 'memberships', timestamps: false })
export class TsMembership extends withRaceSafe(Model)<TsMembership> {
  @Column({ type: DataType.INTEGER, primaryKey: true, autoIncrement: true })
  declare id: CreationOptional<number>;
  @Column({ type: DataType.TEXT, allowNull: false }) declare org: string;
  @Column({ type: DataType.TEXT }) declare member: string | null;
  @Column({ type: DataType.TEXT, allowNull: false, defaultValue: 'member' })
  declare role: CreationOptional<string>;
}

@Table({ tableName: 'counters', timestamps: false })
export class TsCounter extends withRaceSafe(Model)<TsCounter> {
  @Column({ type: DataType.INTEGER, primaryKey: true, autoIncrement: true })
  declare id: CreationOptional<number>;
  @Column({ type: DataType.TEXT, allowNull: false }) declare name: string;
  @Column({ type: DataType.INTEGER, allowNull: false, defaultValue: 0 })
  declare value: CreationOptional<number>;
  @Column({ type: DataType.INTEGER, allowNull: false, defaultValue: 0, field: 'view_count' })
  declare viewCount: CreationOptional<number>;
  @Column({ type: DataType.BIGINT, allowNull: false, defaultValue: 0 })
  declare big: CreationOptional<string>;
  @Column({ type: DataType.DOUBLE, allowNull: false, defaultValue: 1 })
  declare ratio: CreationOptional<number>;
  @Column({ type: DataType.TEXT, allowNull: false, defaultValue: '' })
  declare label: CreationOptional<string>;
}

@Table({ tableName: 'items', timestamps: false })
export class TsItem extends withRaceSafe(Model)<TsItem> {
  @Column({ type: DataType.INTEGER, primaryKey: true, autoIncrement: true })
  declare id: CreationOptional<number>;
  @Column({ type: DataType.TEXT, allowNull: false }) declare sku: string;
  @Column({ type: DataType.INTEGER, allowNull: false }) declare stock: number;
  @Column({ type: DataTypes.DECIMAL(10, 2), allowNull: false, defaultValue: 0 })
  declare price: CreationOptional<string>;
  @Column({ type: DataType.TEXT }) declare title: CreationOptional<string | null>;
}

export const typescriptModels = [TsUser, TsNaiveUser, TsMembership, TsCounter, TsItem];

/**
 * A subclass of `model` under the same name: a model class belongs to the one Sequelize that registered it,
 * so each instance of a test file registers subclasses of its own (as repositoryMode does for its repositories).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function freshModel<M extends new (...args: any[]) => object>(model: M): M {
  return { [model.name]: class extends model {} }[model.name];
}

/** A sequelize-typescript Sequelize on a PostgreSQL test database with `models`; `repositoryMode` as the app sets it. */
export function typescriptSequelize(
  url: string,
  {
    poolSize = 4,
    onQuery,
    repositoryMode = false,
    models = typescriptModels,
  }: {
    poolSize?: number;
    onQuery?: (sql: string) => void;
    repositoryMode?: boolean;
    models?: (typeof typescriptModels)[number][];
  } = {},
): Sequelize {
  return new Sequelize(url, {
    dialect: 'postgres',
    dialectModule: pgWithErrorListener(pg),
    pool: { max: poolSize, min: 0 },
    logging: onQuery ? (sql: string) => onQuery(sql.replace(/^Executing \([^)]*\): /, '')) : false,
    models,
    repositoryMode,
  });
}
