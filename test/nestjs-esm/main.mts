// A NestJS 12 app as an ES module (NestJS 12 ships ES modules only), TypeORM 1.x, racesafe from the
// packed tarballs: started with Test.createTestingModule, it runs concurrent calls and a rollback,
// then prints what the database holds as one JSON line. Compiled by test/nestjs-esm's tsconfig (nodenext).
import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { InjectRaceSafeRepository, RaceSafeModule } from '@racesafe/nestjs/typeorm';
import { F, type RaceSafeRepository } from '@racesafe/typeorm';
import { Column, DataSource, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity({ name: 'esm_accounts' })
class Account {
  @PrimaryGeneratedColumn() id!: number;
  @Column({ type: 'text' }) email!: string;
  @Column({ type: 'int', default: 0 }) logins!: number;
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
    return this.dataSource.transaction(async (manager) => {
      await manager.withRepository(this.accounts).getOrCreate({ email });
      throw new Error('payment refused');
    });
  }
}

const url = process.argv[2];
const moduleRef = await Test.createTestingModule({
  imports: [
    TypeOrmModule.forRoot({ type: 'postgres', url, entities: [Account], synchronize: false }),
    RaceSafeModule.forFeature([Account]),
  ],
  providers: [AccountService],
}).compile();
const service = moduleRef.get(AccountService);
try {
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
  const rows = await service.dataSource.query(
    'SELECT email, logins FROM esm_accounts ORDER BY email',
  );
  console.log(
    JSON.stringify({
      createdOnce: created.filter(([, wasCreated]) => wasCreated).length,
      signInsCreated: signIns.filter(([, wasCreated]) => wasCreated).length,
      rollback,
      rows,
      esm: import.meta.url.startsWith('file:'),
    }),
  );
} finally {
  await moduleRef.close();
}
