import { withRaceSafe } from '@racesafe/sequelize';
import type { CreationOptional } from 'sequelize';
import { Column, DataType, Model, Table } from 'sequelize-typescript';

/** The accounts table (typeorm-fixtures.ts `accountsSql`) as a sequelize-typescript model with racesafe's statics. */
@Table({ tableName: 'accounts', timestamps: false })
export class Account extends withRaceSafe(Model)<Account> {
  @Column({ type: DataType.INTEGER, primaryKey: true, autoIncrement: true })
  declare id: CreationOptional<number>;
  @Column({ type: DataType.TEXT, allowNull: false }) declare email: string;
  @Column({ type: DataType.INTEGER, allowNull: false, defaultValue: 0 })
  declare logins: CreationOptional<number>;
  @Column({ type: DataType.TEXT, allowNull: false, defaultValue: 'free' })
  declare plan: CreationOptional<string>;
}
