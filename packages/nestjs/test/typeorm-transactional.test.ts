import { Injectable } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { RaceSafeRepository } from '@racesafe/typeorm';
import { DataSource } from 'typeorm';
import {
  Transactional,
  addTransactionalDataSource,
  initializeTransactionalContext,
} from 'typeorm-transactional';
import { useTestDatabase } from '../../../test/harness/database';
import { InjectRaceSafeRepository, RaceSafeModule } from '../src/typeorm';
import { Account, accountsSql, signUpWith, typeormOptions } from './typeorm-fixtures';
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
  const db = useTestDatabase(accountsSql);
  let moduleRef: TestingModule;
  let service: AccountService;
  beforeAll(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => typeormOptions(db.url()),
          dataSourceFactory: async (options) =>
            addTransactionalDataSource(new DataSource(options!)),
        }),
        RaceSafeModule.forFeature([Account]),
      ],
      providers: [AccountService],
    }).compile();
    service = moduleRef.get(AccountService);
  });
  afterAll(() => moduleRef?.close());
  beforeEach(() => moduleRef.get(DataSource).query('TRUNCATE accounts RESTART IDENTITY'));
  const rows = () =>
    moduleRef.get(DataSource).query('SELECT email, plan, logins FROM accounts ORDER BY email');

  itJoinsTheTransaction(() => service, rows);
});
