/**
 * `@racesafe/nestjs/sequelize`: models with the racesafe statics as NestJS providers, next to `@nestjs/sequelize`'s own.
 *
 * @example
 * ```ts
 * @Module({ imports: [SequelizeModule.forRoot(options), RaceSafeModule.forFeature([Account])], providers: [AccountService] })
 * class AccountModule {}
 *
 * @Injectable()
 * class AccountService {
 *   constructor(@InjectRaceSafeRepository(Account) private readonly accounts: RaceSafe<typeof Account>) {}
 *   signUp(email: string) { return this.accounts.getOrCreate({ where: { email } }); }
 * }
 * ```
 * @packageDocumentation
 */
import { type DynamicModule, Inject, Module, type Provider } from '@nestjs/common';
import { SequelizeModule, type SequelizeModuleOptions, getModelToken } from '@nestjs/sequelize';
import { type RaceSafeStatics, raceSafe } from '@racesafe/sequelize';
import type { Model, ModelStatic } from 'sequelize';

/** A model class as `SequelizeModule.forFeature` takes it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ModelClass = abstract new (...args: any[]) => Model;

/** Which connection, named as `@nestjs/sequelize` names it: its name or its options; omitted, the default one. */
export type ConnectionName = SequelizeModuleOptions | string;

/** A model class with the racesafe statics, typed on that class. */
export type RaceSafe<M extends ModelClass> = M & RaceSafeStatics;

/** The injection token of `model` with the racesafe statics on `connection`: `@nestjs/sequelize`'s model token with a `RaceSafe` prefix. */
export function getRaceSafeModelToken(model: ModelClass, connection?: ConnectionName): string {
  return `RaceSafe${getModelToken(model, connection)}`;
}

/**
 * Injects the model (or, with `repositoryMode: true`, the repository) that `@InjectModel(model,
 * connection)` injects, with the racesafe statics (`raceSafe(model)`). Register it with
 * {@link RaceSafeModule.forFeature}.
 */
export function InjectRaceSafeRepository(
  model: ModelClass,
  connection?: ConnectionName,
): ParameterDecorator & PropertyDecorator {
  return Inject(getRaceSafeModelToken(model, connection));
}

/** The same decorator as {@link InjectRaceSafeRepository}, named after Sequelize's models. */
export const InjectRaceSafeModel = InjectRaceSafeRepository;

/** Providers of `models` with the racesafe statics on `connection`, built from `@nestjs/sequelize`'s model providers. */
export function createRaceSafeProviders(
  models: ModelClass[],
  connection?: ConnectionName,
): Provider[] {
  return models.map((model) => ({
    provide: getRaceSafeModelToken(model, connection),
    // Adds the statics to the class Nest registered (a model that extends withRaceSafe(Model) has them already): no patching of Sequelize.
    useFactory: (registered: ModelStatic<Model>) => raceSafe(registered),
    inject: [getModelToken(model as never, connection)],
  }));
}

/**
 * `RaceSafeModule.forFeature([Model, ...], connection?)`: the same arguments as
 * `SequelizeModule.forFeature`, which it imports; exports each model with the racesafe statics
 * for {@link InjectRaceSafeRepository}.
 *
 * Transactions: pass `transaction` as to any Sequelize call, or let Sequelize's CLS
 * (`Sequelize.useCLS(namespace)`) carry it: racesafe honours both.
 */
@Module({})
export class RaceSafeModule {
  static forFeature(models: ModelClass[], connection?: ConnectionName): DynamicModule {
    // Re-exported: @InjectRepository / @InjectModel keep working beside the racesafe providers.
    const feature = SequelizeModule.forFeature(models, connection);
    const providers = createRaceSafeProviders(models, connection);
    return {
      module: RaceSafeModule,
      imports: [feature],
      providers,
      exports: [...providers, feature],
    };
  }
}
