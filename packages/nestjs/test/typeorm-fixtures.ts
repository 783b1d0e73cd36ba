import 'reflect-metadata';
import type { ModuleMetadata, Provider, Type } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { Column, DataSource, Entity, PrimaryGeneratedColumn } from 'typeorm';
import pg from 'pg';
import { F, pgWithErrorListener, type RaceSafeRepository } from '@racesafe/typeorm';
import { useTestDatabase } from '../../../test/harness/database';

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

/** The sign-up both CLS transaction libraries' services run under their `@Transactional()`: three racesafe calls, then 'payment refused' when `fail`. */
export async function signUpWith(
  accounts: RaceSafeRepository<Account>,
  email: string,
  fail: boolean,
): Promise<Account> {
  const [account] = await accounts.getOrCreate({ email });
  await accounts.updateOrCreate({ email }, { defaults: { plan: 'pro' } });
  await accounts.atomicUpdate({ id: account.id }, { logins: F('logins').plus(1) });
  if (fail) throw new Error('payment refused');
  return account;
}

/** An accounts row as the tests compare them. */
export interface AccountRow {
  email: string;
  plan: string;
  logins: number;
}

/** The NestJS app a test file runs, started once for the file. */
export interface NestApp {
  /** The app's provider of `token` (a service, the DataSource, ...). */
  get: <T>(token: Type<T> | string | symbol) => T;
  /** The accounts table, by email. */
  rows: () => Promise<AccountRow[]>;
}

/**
 * A NestJS app on a test database holding the accounts table, started as Nest's testing docs start
 * one (`Test.createTestingModule(...).compile()`, then `init()`), closed after the file, the table
 * emptied before each test. `imports` gets the database's URL.
 */
export function useNestApp(
  imports: (url: string) => NonNullable<ModuleMetadata['imports']>,
  providers: Provider[],
): NestApp {
  const db = useTestDatabase(accountsSql);
  let moduleRef: TestingModule;
  beforeAll(async () => {
    moduleRef = await Test.createTestingModule({ imports: imports(db.url()), providers }).compile();
    await moduleRef.init();
  });
  afterAll(() => moduleRef?.close());
  const query = (sql: string) => moduleRef.get(DataSource).query(sql);
  beforeEach(() => query('TRUNCATE accounts RESTART IDENTITY'));
  return {
    get: (token) => moduleRef.get(token),
    rows: () => query('SELECT email, plan, logins FROM accounts ORDER BY email'),
  };
}
