/**
 * `@racesafe/nestjs/typeorm`: racesafe repositories as NestJS providers, next to `@nestjs/typeorm`'s own.
 *
 * @example
 * ```ts
 * @Module({ imports: [TypeOrmModule.forRoot(options), RaceSafeModule.forFeature([Account])], providers: [AccountService] })
 * class AccountModule {}
 *
 * @Injectable()
 * class AccountService {
 *   constructor(@InjectRaceSafeRepository(Account) private readonly accounts: RaceSafeRepository<Account>) {}
 *   signUp(email: string) { return this.accounts.getOrCreate({ email }); }
 * }
 * ```
 * @packageDocumentation
 */
import { type DynamicModule, Inject, Module, type Provider } from '@nestjs/common';
import { TypeOrmModule, getRepositoryToken } from '@nestjs/typeorm';
import { type RaceSafeRepository, raceSafe } from '@racesafe/typeorm';
import type {
  DataSource,
  DataSourceOptions,
  EntitySchema,
  ObjectLiteral,
  Repository,
} from 'typeorm';

/** An entity class or schema, as `TypeOrmModule.forFeature` takes it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type EntityClassOrSchema = (new (...args: any[]) => ObjectLiteral) | EntitySchema;

/** Which data source, named as `@nestjs/typeorm` names it: its name, its options, or the DataSource; omitted, the default one. */
export type DataSourceName = DataSource | DataSourceOptions | string;

/**
 * The injection token of the racesafe repository of `entity` on `dataSource`: `@nestjs/typeorm`'s
 * repository token with a `RaceSafe` prefix, so both can be injected side by side.
 */
export function getRaceSafeRepositoryToken(
  entity: EntityClassOrSchema,
  dataSource?: DataSourceName,
): string {
  const token = getRepositoryToken(entity, dataSource);
  return `RaceSafe${typeof token === 'function' ? token.name : token}`;
}

/**
 * Injects `raceSafe(repository)` of `entity` (the repository `@InjectRepository(entity, dataSource)`
 * injects, with getOrCreate, getOrCreateMany, updateOrCreate and atomicUpdate). Register it with
 * {@link RaceSafeModule.forFeature}.
 */
export function InjectRaceSafeRepository(
  entity: EntityClassOrSchema,
  dataSource?: DataSourceName,
): ParameterDecorator & PropertyDecorator {
  return Inject(getRaceSafeRepositoryToken(entity, dataSource));
}

/** Providers of the racesafe repositories of `entities` on `dataSource`, built from `@nestjs/typeorm`'s repositories. */
export function createRaceSafeProviders(
  entities: EntityClassOrSchema[],
  dataSource?: DataSourceName,
): Provider[] {
  return entities.map((entity) => ({
    provide: getRaceSafeRepositoryToken(entity, dataSource),
    // The repository Nest made for the entity, extended (Repository.extend): nothing of TypeORM's is patched.
    useFactory: (repository: Repository<ObjectLiteral>): RaceSafeRepository<ObjectLiteral> =>
      raceSafe(repository),
    inject: [getRepositoryToken(entity, dataSource)],
  }));
}

/**
 * `RaceSafeModule.forFeature([Entity, ...], dataSource?)`: the same arguments as
 * `TypeOrmModule.forFeature`, which it imports; exports a racesafe repository per entity
 * for {@link InjectRaceSafeRepository}.
 *
 * Transactions: the repository joins a transaction the way any TypeORM repository does.
 * `manager.withRepository(repository)` inside `dataSource.transaction(...)`; inside
 * typeorm-transactional's `@Transactional()` it joins by itself (that library makes every
 * repository's `manager` the transaction's, and then `withRepository` keeps the data source's
 * manager: use its `@Transactional()`, not `dataSource.transaction`); with
 * `@nestjs-cls/transactional`'s TypeORM adapter, `txHost.tx.withRepository(repository)`.
 */
@Module({})
export class RaceSafeModule {
  static forFeature(entities: EntityClassOrSchema[], dataSource?: DataSourceName): DynamicModule {
    // Re-exported: @InjectRepository / @InjectModel keep working beside the racesafe providers.
    const feature = TypeOrmModule.forFeature(entities, dataSource);
    const providers = createRaceSafeProviders(entities, dataSource);
    return {
      module: RaceSafeModule,
      imports: [feature],
      providers,
      exports: [...providers, feature],
    };
  }
}
