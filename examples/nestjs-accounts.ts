// A NestJS service on racesafe's TypeORM repository: RaceSafeModule.forFeature beside
// TypeOrmModule, @InjectRaceSafeRepository in the service, a conflict reported by property name.
//
//   npm run example:nestjs
//
// Shows: concurrent sign-ins counted exactly, and ConflictError.fields telling "username taken".
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import pg from 'pg';
import { ConflictError, pgWithErrorListener } from '@racesafe/typeorm';
import { runExample } from './run-example';

@Entity({ name: 'nest_accounts' })
export class Account {
  @PrimaryGeneratedColumn() id!: number;
  @Column({ type: 'text', unique: true }) email!: string;
  @Column({ type: 'text', unique: true, nullable: true }) username!: string | null;
  @Column({ type: 'int', default: 0 }) logins!: number;
}

// #region guide-nestjs
import { Injectable } from '@nestjs/common';
import { InjectRaceSafeRepository, RaceSafeModule } from '@racesafe/nestjs/typeorm';
import { F, type RaceSafeRepository } from '@racesafe/typeorm';

@Injectable()
export class AccountService {
  constructor(
    @InjectRaceSafeRepository(Account /*, dataSource */)
    private readonly accounts: RaceSafeRepository<Account>,
  ) {}

  signIn(email: string) {
    return this.accounts.updateOrCreate(
      { email },
      { defaults: { logins: F('logins').plus(1) }, createDefaults: { logins: 1 } },
    );
  }
}

export function accountModule(typeormOptions: Parameters<typeof TypeOrmModule.forRoot>[0]) {
  @Module({
    imports: [
      TypeOrmModule.forRoot(typeormOptions),
      RaceSafeModule.forFeature([Account] /*, dataSource */),
    ],
    providers: [AccountService],
  })
  class AccountModule {}
  return AccountModule;
}
// #endregion

// #region guide-conflict-fields
/** Claims a username; `taken` when another account holds it (TypeORM named its key UQ_<hash>). */
export async function claimUsername(
  accounts: RaceSafeRepository<Account>,
  email: string,
  username: string,
): Promise<'ok' | 'taken'> {
  try {
    await accounts.getOrCreate({ email }, { defaults: { username } });
    return 'ok';
  } catch (error) {
    if (error instanceof ConflictError && error.fields.includes('username')) return 'taken';
    throw error;
  }
}
// #endregion

export async function main(url: string): Promise<void> {
  const app = await NestFactory.createApplicationContext(
    accountModule({
      type: 'postgres',
      url,
      entities: [Account],
      synchronize: true,
      driver: pgWithErrorListener(pg),
    }),
    { logger: false },
  );
  try {
    const service = app.get(AccountService);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => service.signIn('ann@example.com')),
    );
    console.log(
      `20 concurrent sign-ins: ${results.filter(([, created]) => created).length} account created, logins = ${results.length}`,
    );
    const accounts = (service as unknown as { accounts: RaceSafeRepository<Account> }).accounts;
    console.log(`carl claims "carl": ${await claimUsername(accounts, 'carl@example.com', 'carl')}`);
    console.log(`dora claims "carl": ${await claimUsername(accounts, 'dora@example.com', 'carl')}`);
  } finally {
    await app.close();
  }
}

if (require.main === module) runExample('nestjs', main);
