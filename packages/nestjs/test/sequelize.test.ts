import { Injectable } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { InjectConnection, SequelizeModule } from '@nestjs/sequelize';
import { F } from '@racesafe/sequelize';
import { createNamespace } from 'cls-hooked';
import { Column, DataType, Model, Sequelize, Table } from 'sequelize-typescript';
import { type CreationOptional, Sequelize as OriginSequelize } from 'sequelize';
import { useTestDatabase } from '../../../test/harness/database';
import {
  InjectRaceSafeRepository,
  type RaceSafe,
  RaceSafeModule,
  getRaceSafeModelToken,
} from '../src/sequelize';
import { Account } from './sequelize-fixtures';
import { accountsSql } from './typeorm-fixtures';

/** A plain sequelize-typescript model (no racesafe base): RaceSafeModule adds the statics to the class Nest registered. */
@Table({ tableName: 'accounts', timestamps: false })
class PlainAccount extends Model<PlainAccount> {
  @Column({ type: DataType.INTEGER, primaryKey: true, autoIncrement: true })
  declare id: CreationOptional<number>;
  @Column({ type: DataType.TEXT, allowNull: false }) declare email: string;
  @Column({ type: DataType.INTEGER, allowNull: false, defaultValue: 0 })
  declare logins: CreationOptional<number>;
}

@Injectable()
class AccountService {
  constructor(
    @InjectRaceSafeRepository(Account) readonly accounts: RaceSafe<typeof Account>,
    @InjectRaceSafeRepository(PlainAccount) readonly plainAccounts: RaceSafe<typeof PlainAccount>,
    @InjectConnection() readonly sequelize: Sequelize,
  ) {}

  signIn(email: string) {
    return this.accounts.updateOrCreate({
      where: { email },
      defaults: { logins: F('logins').plus(1) },
      createDefaults: { logins: 1 },
    });
  }

  /** racesafe inside the caller's transaction (the `transaction` option), then a failure: nothing may stay. */
  signUpThenFail(email: string) {
    return this.sequelize.transaction(async (transaction) => {
      const [account] = await this.accounts.getOrCreate({ where: { email }, transaction });
      await this.accounts.atomicUpdate(
        { logins: F('logins').plus(5) },
        { where: { id: account.id }, transaction },
      );
      throw new Error('payment refused');
    });
  }

  /** The same through Sequelize's CLS (Sequelize.useCLS): no `transaction` option at all. */
  signUpThenFailThroughCls(email: string) {
    return this.sequelize.transaction(async () => {
      await this.plainAccounts.getOrCreate({ where: { email } });
      await this.plainAccounts.atomicUpdate({ logins: F('logins').plus(5) }, { where: { email } });
      throw new Error('payment refused');
    });
  }
}

describe('NestJS 11 with @nestjs/sequelize and sequelize-typescript: RaceSafeModule.forFeature and @InjectRaceSafeRepository', () => {
  const db = useTestDatabase(accountsSql);
  let moduleRef: TestingModule;
  let service: AccountService;
  beforeAll(async () => {
    // Sequelize's own CLS, as its documentation sets it up: every call inside sequelize.transaction(fn) joins it.
    OriginSequelize.useCLS(createNamespace('racesafe-nestjs'));
    moduleRef = await Test.createTestingModule({
      imports: [
        SequelizeModule.forRoot({
          dialect: 'postgres',
          uri: db.url(),
          models: [Account, PlainAccount],
          logging: false,
          pool: { max: 8, min: 0 },
        }),
        RaceSafeModule.forFeature([Account, PlainAccount]),
      ],
      providers: [AccountService],
    }).compile();
    service = moduleRef.get(AccountService);
  });
  afterAll(async () => {
    await moduleRef?.close();
    (OriginSequelize as unknown as { _cls: unknown })._cls = undefined;
  });
  beforeEach(() => service.sequelize.query('TRUNCATE accounts RESTART IDENTITY'));
  const rows = async () =>
    (await service.sequelize.query('SELECT email, logins FROM accounts ORDER BY email'))[0];

  it('injects the registered model class with the racesafe statics', () => {
    expect(service.accounts).toBe(Account);
    expect(typeof service.plainAccounts.getOrCreate).toBe('function');
    expect(getRaceSafeModelToken(Account)).toBe('RaceSafeAccountRepository');
  });

  it('runs getOrCreate, updateOrCreate and atomicUpdate concurrently with exact results', async () => {
    const created = await Promise.all(
      Array.from({ length: 20 }, () => service.accounts.getOrCreate({ where: { email: 'ann@x' } })),
    );
    expect(created.filter(([, wasCreated]) => wasCreated)).toHaveLength(1);
    expect(new Set(created.map(([row]) => row.id)).size).toBe(1);
    const signIns = await Promise.all(Array.from({ length: 15 }, () => service.signIn('bob@x')));
    expect(signIns.filter(([, wasCreated]) => wasCreated)).toHaveLength(1);
    await Promise.all(
      Array.from({ length: 25 }, () =>
        service.accounts.atomicUpdate(
          { logins: F('logins').plus(2) },
          { where: { email: 'ann@x' } },
        ),
      ),
    );
    expect(await rows()).toEqual([
      { email: 'ann@x', logins: 50 },
      { email: 'bob@x', logins: 15 },
    ]);
  });

  it("rolls back racesafe's writes with the caller's transaction, given as the option or carried by Sequelize's CLS", async () => {
    await expect(service.signUpThenFail('carl@x')).rejects.toThrow('payment refused');
    await expect(service.signUpThenFailThroughCls('dora@x')).rejects.toThrow('payment refused');
    expect(await rows()).toEqual([]);
  });
});
