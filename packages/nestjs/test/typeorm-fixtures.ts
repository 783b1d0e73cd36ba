import 'reflect-metadata';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import pg from 'pg';
import { pgWithErrorListener } from '@racesafe/typeorm';

/** The table the NestJS apps write to; its email key makes getOrCreate race-safe. */
export const accountsSql = `
CREATE TABLE accounts (
  id serial PRIMARY KEY,
  email text NOT NULL CONSTRAINT accounts_email_key UNIQUE,
  logins integer NOT NULL DEFAULT 0,
  plan text NOT NULL DEFAULT 'free'
);`;

@Entity({ name: 'accounts' })
export class Account {
  @PrimaryGeneratedColumn() id!: number;
  @Column({ type: 'text' }) email!: string;
  @Column({ type: 'int', default: 0 }) logins!: number;
  @Column({ type: 'text', default: 'free' }) plan!: string;
}

/** TypeOrmModule.forRoot options for the test database (no synchronize: the table comes from accountsSql). */
export function typeormOptions(url: string) {
  // The 'error' listener the guide asks for, as every test DataSource has it; TypeORM loads this pg.
  return {
    type: 'postgres' as const,
    url,
    entities: [Account],
    synchronize: false,
    poolSize: 8,
    driver: pgWithErrorListener(pg),
  };
}
