import {
  ClsPluginTransactional,
  InjectTransactionHost,
  Transactional,
  type TransactionalAdapter,
  TransactionHost,
} from '@nestjs-cls/transactional';
import { Injectable } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { SequelizeModule, getConnectionToken } from '@nestjs/sequelize';
import { F } from '@racesafe/sequelize';
import { ClsModule } from 'nestjs-cls';
import type { Transaction } from 'sequelize';
import type { Sequelize } from 'sequelize-typescript';
import { useTestDatabase } from '../../../test/harness/database';
import { InjectRaceSafeRepository, type RaceSafe, RaceSafeModule } from '../src/sequelize';
import { Account } from './sequelize-fixtures';
import { accountsSql } from './typeorm-fixtures';
import { itJoinsTheTransaction } from './transactional-sign-up';

/**
 * @nestjs-cls/transactional 3.3 has no Sequelize adapter on npm: this is the adapter its
 * documentation's "Creating a custom adapter" describes, in a few lines. The transaction is a
 * Sequelize Transaction; racesafe takes it as any Sequelize call does, as `transaction`.
 */
class TransactionalAdapterSequelize implements TransactionalAdapter<
  Sequelize,
  Transaction | undefined,
  object
> {
  connectionToken = getConnectionToken();
  optionsFactory = (sequelize: Sequelize) => ({
    wrapWithTransaction: (
      options: object,
      fn: (...args: unknown[]) => Promise<unknown>,
      setTx: (tx?: Transaction) => void,
    ) =>
      sequelize.transaction(options, (transaction) => {
        setTx(transaction);
        return fn();
      }),
    getFallbackInstance: () => undefined,
  });
}

@Injectable()
class AccountService {
  constructor(
    @InjectRaceSafeRepository(Account) readonly accounts: RaceSafe<typeof Account>,
    @InjectTransactionHost()
    private readonly txHost: TransactionHost<TransactionalAdapterSequelize>,
  ) {}

  @Transactional()
  async signUp(email: string, fail: boolean) {
    const transaction = this.txHost.tx;
    const [account] = await this.accounts.getOrCreate({ where: { email }, transaction });
    await this.accounts.updateOrCreate({
      where: { email },
      defaults: { plan: 'pro' },
      transaction,
    });
    await this.accounts.atomicUpdate(
      { logins: F('logins').plus(1) },
      { where: { id: account.id }, transaction },
    );
    if (fail) throw new Error('payment refused');
    return account;
  }
}

describe('@nestjs-cls/transactional 3.3 with a Sequelize adapter in a NestJS 11 app (@nestjs/sequelize, sequelize-typescript)', () => {
  const db = useTestDatabase(accountsSql);
  let moduleRef: TestingModule;
  let service: AccountService;
  let sequelize: Sequelize;
  beforeAll(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [
        SequelizeModule.forRoot({
          dialect: 'postgres',
          uri: db.url(),
          models: [Account],
          logging: false,
          pool: { max: 8, min: 0 },
        }),
        RaceSafeModule.forFeature([Account]),
        ClsModule.forRoot({
          global: true,
          plugins: [
            new ClsPluginTransactional({
              imports: [SequelizeModule],
              adapter: new TransactionalAdapterSequelize(),
            }),
          ],
        }),
      ],
      providers: [AccountService],
    }).compile();
    await moduleRef.init();
    service = moduleRef.get(AccountService);
    sequelize = moduleRef.get(getConnectionToken());
  });
  afterAll(() => moduleRef?.close());
  beforeEach(() => sequelize.query('TRUNCATE accounts RESTART IDENTITY'));
  const rows = async () =>
    (await sequelize.query('SELECT email, plan, logins FROM accounts ORDER BY email'))[0];

  itJoinsTheTransaction(() => service, rows);
});
