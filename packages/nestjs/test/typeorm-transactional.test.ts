import { Injectable } from '@nestjs/common';
import { InjectRepository, TypeOrmModule } from '@nestjs/typeorm';
import type { RaceSafeRepository } from '@racesafe/typeorm';
import { DataSource, type Repository } from 'typeorm';
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
  constructor(
    @InjectRaceSafeRepository(Account) readonly accounts: RaceSafeRepository<Account>,
    @InjectRepository(Account) readonly plain: Repository<Account>,
    readonly dataSource: DataSource,
  ) {}

  @Transactional()
  signUp(email: string, fail: boolean) {
    return signUpWith(this.accounts, email, fail);
  }

  /** TypeORM's idiom for a transaction of one's own, racesafe's repository and TypeORM's side by side, then a failure. */
  withRepositoryThenFail() {
    return this.dataSource.transaction(async (manager) => {
      await manager.withRepository(this.accounts).getOrCreate({ email: 'racesafe@x' });
      await manager.withRepository(this.plain).insert({ email: 'typeorm@x' });
      throw new Error('payment refused');
    });
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

  // typeorm-transactional keeps each repository's manager in a property of its own, which TypeORM's
  // withRepository copies onto the new repository over the transaction's manager. The guide says so.
  it("documents why the guide says @Transactional(): once it is initialized, manager.withRepository(repository) keeps the data source's manager, TypeORM's own repositories alike, so their writes outlive dataSource.transaction's rollback", async () => {
    await expect(app.get(AccountService).withRepositoryThenFail()).rejects.toThrow(
      'payment refused',
    );
    expect(await app.rows()).toEqual([
      { email: 'racesafe@x', plan: 'free', logins: 0 },
      { email: 'typeorm@x', plan: 'free', logins: 0 },
    ]);
  });
});
