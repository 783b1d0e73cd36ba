import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository, TypeOrmModule } from '@nestjs/typeorm';
import { F, type RaceSafeRepository, raceSafe } from '@racesafe/typeorm';
import { DataSource, type Repository } from 'typeorm';
import {
  InjectRaceSafeRepository,
  RaceSafeModule,
  getRaceSafeRepositoryToken,
} from '../src/typeorm';
import { Account, typeormOptions, useNestApp } from './typeorm-fixtures';

/** A custom repository with methods of its own, built with TypeORM's extend (the guide's way for class-based ones). */
const MEMBER_REPOSITORY = 'MemberRepository';
function memberRepository(dataSource: DataSource) {
  return raceSafe(dataSource.getRepository(Account)).extend({
    /** Uses `this`: on `manager.withRepository(repo)` it runs on the transaction's connection. */
    join(this: RaceSafeRepository<Account>, email: string) {
      return this.updateOrCreate({ email }, { defaults: { plan: 'member' } });
    },
  });
}
type MemberRepository = ReturnType<typeof memberRepository>;

@Injectable()
class AccountService {
  constructor(
    @InjectRaceSafeRepository(Account) readonly accounts: RaceSafeRepository<Account>,
    @InjectRepository(Account) readonly plain: Repository<Account>,
    readonly dataSource: DataSource,
    @Inject(MEMBER_REPOSITORY) readonly members: MemberRepository,
  ) {}

  /** The custom repository inside a transaction: TypeORM's withRepository keeps its methods. */
  joinThenFail(email: string) {
    return this.dataSource.transaction(async (manager) => {
      await manager.withRepository(this.members).join(email);
      throw new Error('payment refused');
    });
  }

  signIn(email: string) {
    return this.accounts.updateOrCreate(
      { email },
      { defaults: { logins: F('logins').plus(1) }, createDefaults: { logins: 1 } },
    );
  }

  /** Writes through racesafe inside the caller's transaction, then fails: nothing of it may stay. */
  signUpThenFail(email: string) {
    return this.dataSource.transaction(async (manager) => {
      const accounts = manager.withRepository(this.accounts);
      await accounts.getOrCreate({ email });
      await accounts.atomicUpdate({ email }, { logins: F('logins').plus(5) });
      throw new Error('payment refused');
    });
  }
}

describe('NestJS 11 (CommonJS) with @nestjs/typeorm: RaceSafeModule.forFeature and @InjectRaceSafeRepository', () => {
  const app = useNestApp(
    (url) => [TypeOrmModule.forRoot(typeormOptions(url)), RaceSafeModule.forFeature([Account])],
    [
      AccountService,
      { provide: MEMBER_REPOSITORY, useFactory: memberRepository, inject: [DataSource] },
    ],
  );
  const service = () => app.get(AccountService);

  it('injects the repository @InjectRepository injects, with the racesafe methods', () => {
    expect(typeof service().accounts.getOrCreate).toBe('function');
    expect(service().accounts.metadata).toBe(service().plain.metadata);
    expect(getRaceSafeRepositoryToken(Account)).toBe('RaceSafeAccountRepository');
    expect(app.get(DataSource)).toBe(service().dataSource);
  });

  it('runs getOrCreate, updateOrCreate and atomicUpdate concurrently with exact results', async () => {
    const created = await Promise.all(
      Array.from({ length: 20 }, () => service().accounts.getOrCreate({ email: 'ann@x' })),
    );
    expect(created.filter(([, wasCreated]) => wasCreated)).toHaveLength(1);
    expect(new Set(created.map(([row]) => row.id)).size).toBe(1);
    const signIns = await Promise.all(Array.from({ length: 15 }, () => service().signIn('bob@x')));
    expect(signIns.filter(([, wasCreated]) => wasCreated)).toHaveLength(1);
    await Promise.all(
      Array.from({ length: 25 }, () =>
        service().accounts.atomicUpdate({ email: 'ann@x' }, { logins: F('logins').plus(2) }),
      ),
    );
    expect(await app.rows()).toEqual([
      { email: 'ann@x', plan: 'free', logins: 50 },
      { email: 'bob@x', plan: 'free', logins: 15 },
    ]);
  });

  it("rolls back racesafe's writes with the caller's transaction", async () => {
    await expect(service().signUpThenFail('carl@x')).rejects.toThrow('payment refused');
    expect(await app.rows()).toEqual([]);
  });

  it('runs a custom repository (extend) inside a transaction, and rolls back with it', async () => {
    const [joined, created] = await service().members.join('dora@x');
    expect([joined.plan, created]).toEqual(['member', true]);
    await expect(service().joinThenFail('eve@x')).rejects.toThrow('payment refused');
    expect(await app.rows()).toEqual([{ email: 'dora@x', plan: 'member', logins: 0 }]);
  });
});
