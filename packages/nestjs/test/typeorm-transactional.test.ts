import { Injectable } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { RaceSafeRepository } from '@racesafe/typeorm';
import { DataSource } from 'typeorm';
import {
  Transactional,
  addTransactionalDataSource,
  initializeTransactionalContext,
} from 'typeorm-transactional';
import { InjectRaceSafeRepository, RaceSafeModule } from '../src/typeorm';
import { Account, signUpWith, typeormOptions, useNestApp } from './typeorm-fixtures';
import { itJoinsTheTransaction } from './transactional-sign-up';

// typeorm-transactional 0.5 as its README sets it up: the context before the app, the data source registered with it.
// racesafe reads the repository's manager, which that library makes the transaction's inside @Transactional().
initializeTransactionalContext();

@Injectable()
class AccountService {
  constructor(@InjectRaceSafeRepository(Account) readonly accounts: RaceSafeRepository<Account>) {}

  @Transactional()
  signUp(email: string, fail: boolean) {
    return signUpWith(this.accounts, email, fail);
  }
}

describe("typeorm-transactional 0.5's @Transactional() in a NestJS 11 app", () => {
  const app = useNestApp(
    (url) => [
      TypeOrmModule.forRootAsync({
        useFactory: () => typeormOptions(url),
        dataSourceFactory: async (options) => addTransactionalDataSource(new DataSource(options!)),
      }),
      RaceSafeModule.forFeature([Account]),
    ],
    [AccountService],
  );

  itJoinsTheTransaction(() => app.get(AccountService), app.rows);
});
