// A NestJS 12 app as an ES module (NestJS 12 ships ES modules only), TypeORM 1.x, racesafe from the
// packed tarballs: started with Test.createTestingModule, it runs concurrent calls, a rollback of the
// caller's transaction and @Transactional() sign-ups of the CLS transaction library named by its second
// argument, then prints what the database holds as one JSON line. Compiled by test/nestjs-esm's tsconfig (nodenext).
// Run: node dist/main.mjs <url> <@nestjs-cls/transactional | typeorm-transactional>
import 'reflect-metadata';
import {
  ClsPluginTransactional,
  InjectTransactionHost,
  Transactional as ClsTransactional,
  TransactionHost,
} from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import { InjectRaceSafeRepository, RaceSafeModule } from '@racesafe/nestjs/typeorm';
import { F, type RaceSafeRepository } from '@racesafe/typeorm';
import { ClsModule } from 'nestjs-cls';
import { Column, DataSource, Entity, PrimaryGeneratedColumn } from 'typeorm';
import {
  Transactional,
  addTransactionalDataSource,
  initializeTransactionalContext,
} from 'typeorm-transactional';

@Entity({ name: 'esm_accounts' })
class Account {
  @PrimaryGeneratedColumn() id!: number;
  @Column({ type: 'text' }) email!: string;
  @Column({ type: 'int', default: 0 }) logins!: number;
  @Column({ type: 'text', default: 'free' }) plan!: string;
}

/** The three racesafe calls of a sign-up, then 'payment refused' when `fail`: whatever they wrote must roll back. */
async function signUpWith(accounts: RaceSafeRepository<Account>, email: string, fail: boolean) {
  const [account] = await accounts.getOrCreate({ email });
  await accounts.updateOrCreate({ email }, { defaults: { plan: 'pro' } });
  await accounts.atomicUpdate({ id: account.id }, { logins: F('logins').plus(1) });
  if (fail) throw new Error('payment refused');
}

@Injectable()
class AccountService {
  constructor(
    @InjectRaceSafeRepository(Account) readonly accounts: RaceSafeRepository<Account>,
    readonly dataSource: DataSource,
  ) {}

  signIn(email: string) {
    return this.accounts.updateOrCreate(
      { email },
      { defaults: { logins: F('logins').plus(1) }, createDefaults: { logins: 1 } },
    );
  }

  signUpThenFail(email: string) {
    return this.dataSource.transaction((manager) =>
      signUpWith(manager.withRepository(this.accounts), email, true),
    );
  }
}

/** typeorm-transactional's @Transactional(): the repository's manager is the transaction's inside it. */
@Injectable()
class TypeormTransactionalService {
  constructor(@InjectRaceSafeRepository(Account) readonly accounts: RaceSafeRepository<Account>) {}

  @Transactional()
  signUp(email: string, fail: boolean) {
    return signUpWith(this.accounts, email, fail);
  }
}

/** @nestjs-cls/transactional's @Transactional(): the repository on the CLS transaction's EntityManager. */
@Injectable()
class ClsTransactionalService {
  constructor(
    @InjectRaceSafeRepository(Account) readonly accounts: RaceSafeRepository<Account>,
    @InjectTransactionHost() private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
  ) {}

  @ClsTransactional()
  signUp(email: string, fail: boolean) {
    return signUpWith(this.txHost.tx.withRepository(this.accounts), email, fail);
  }
}

/** One failed sign-up alone, then 6 that commit and 3 that fail, all at once, on another email. */
async function transactionalRun(
  tag: string,
  service: { signUp(email: string, fail: boolean): Promise<void> },
) {
  const alone = await service.signUp(`${tag}-fail@x`, true).then(
    () => 'committed',
    (error: Error) => error.message,
  );
  const outcomes = await Promise.allSettled(
    Array.from({ length: 9 }, (_, i) => service.signUp(`${tag}@x`, i % 3 === 2)),
  );
  return {
    alone,
    outcomes: outcomes.map((o) => (o.status === 'fulfilled' ? 'ok' : o.reason.message)),
  };
}

const [url, library] = process.argv.slice(2);

/**
 * The app with one CLS transaction library, as a user picks one: typeorm-transactional patches every
 * repository's `manager`, which makes TypeORM's `manager.withRepository(repository)` keep the data
 * source's manager, outside the transaction (guide, "Transactions through CLS").
 */
async function startApp() {
  if (library === 'typeorm-transactional') {
    // As its README sets it up: the context before the app, the data source registered with it.
    initializeTransactionalContext();
    return Test.createTestingModule({
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({ type: 'postgres', url, entities: [Account], synchronize: false }),
          dataSourceFactory: async (options) =>
            addTransactionalDataSource(new DataSource(options!)),
        }),
        RaceSafeModule.forFeature([Account]),
      ],
      providers: [TypeormTransactionalService],
    }).compile();
  }
  return Test.createTestingModule({
    imports: [
      TypeOrmModule.forRoot({ type: 'postgres', url, entities: [Account], synchronize: false }),
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
    providers: [AccountService, ClsTransactionalService],
  }).compile();
}

/** Concurrent calls of the three operations, and a rollback of the caller's own transaction. */
async function concurrentCalls(service: AccountService) {
  const created = await Promise.all(
    Array.from({ length: 20 }, () => service.accounts.getOrCreate({ email: 'ann@x' })),
  );
  const signIns = await Promise.all(Array.from({ length: 10 }, () => service.signIn('bob@x')));
  await Promise.all(
    Array.from({ length: 25 }, () =>
      service.accounts.atomicUpdate({ email: 'ann@x' }, { logins: F('logins').plus(2) }),
    ),
  );
  const rollback = await service.signUpThenFail('carl@x').then(
    () => 'committed',
    (error: Error) => error.message,
  );
  return {
    createdOnce: created.filter(([, wasCreated]) => wasCreated).length,
    signInsCreated: signIns.filter(([, wasCreated]) => wasCreated).length,
    rollback,
  };
}

const moduleRef = await startApp();
await moduleRef.init();
try {
  const results =
    library === 'typeorm-transactional'
      ? { transactional: await transactionalRun('tt', moduleRef.get(TypeormTransactionalService)) }
      : {
          ...(await concurrentCalls(moduleRef.get(AccountService))),
          transactional: await transactionalRun('cls', moduleRef.get(ClsTransactionalService)),
        };
  const rows = await moduleRef
    .get(DataSource)
    .query('SELECT email, plan, logins FROM esm_accounts ORDER BY email');
  console.log(JSON.stringify({ ...results, rows, esm: import.meta.url.startsWith('file:') }));
} finally {
  await moduleRef.close();
}
