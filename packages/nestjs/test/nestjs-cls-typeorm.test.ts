import {
  ClsPluginTransactional,
  InjectTransactionHost,
  Transactional,
  TransactionHost,
} from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Injectable } from '@nestjs/common';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import type { RaceSafeRepository } from '@racesafe/typeorm';
import { ClsModule } from 'nestjs-cls';
import { InjectRaceSafeRepository, RaceSafeModule } from '../src/typeorm';
import { Account, signUpWith, typeormOptions, useNestApp } from './typeorm-fixtures';
import { itJoinsTheTransaction } from './transactional-sign-up';

@Injectable()
class AccountService {
  constructor(
    @InjectRaceSafeRepository(Account) readonly accounts: RaceSafeRepository<Account>,
    @InjectTransactionHost() private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
  ) {}

  /** The racesafe repository on the CLS transaction's EntityManager: TypeORM's own withRepository. */
  private get repository() {
    return this.txHost.tx.withRepository(this.accounts);
  }

  @Transactional()
  signUp(email: string, fail: boolean) {
    return signUpWith(this.repository, email, fail);
  }
}

describe('@nestjs-cls/transactional 3.3 with its TypeORM adapter in a NestJS 11 app', () => {
  const app = useNestApp(
    (url) => [
      TypeOrmModule.forRoot(typeormOptions(url)),
      RaceSafeModule.forFeature([Account]),
      ClsModule.forRoot({
        global: true,
        plugins: [
          new ClsPluginTransactional({
            imports: [TypeOrmModule],
            adapter: new TransactionalAdapterTypeOrm({ dataSourceToken: getDataSourceToken() }),
          }),
        ],
      }),
    ],
    [AccountService],
  );

  itJoinsTheTransaction(() => app.get(AccountService), app.rows);
});
