/**
 * @racesafe/sequelize: race-safe `getOrCreate`, `updateOrCreate` and F-expression
 * `atomicUpdate` as Sequelize model statics.
 *
 * @example
 * ```ts
 * import { RaceSafeModel, F } from '@racesafe/sequelize';
 * class Page extends RaceSafeModel<InferAttributes<Page>, InferCreationAttributes<Page>> { ... }
 * const [page, created] = await Page.getOrCreate({ where: { slug }, defaults: { title } });
 * await Page.atomicUpdate({ views: F('views').plus(1) }, { where: { id: page.id } });
 * ```
 * @module @racesafe/sequelize
 */
export { RaceSafeModel, raceSafe, withRaceSafe } from './model';
export type { ModelBase, RaceSafeStatics } from './model';
export { atomicUpdate } from './atomic-update';
export { getOrCreate } from './get-or-create';
export { getOrCreateMany } from './get-or-create-many';
export { updateOrCreate } from './update-or-create';
export type { AtomicUpdateOptions } from './atomic-update';
export type { GetOrCreateOptions } from './get-or-create';
export type { GetOrCreateManyOptions } from './get-or-create-many';
export type {
  DefaultsWithF,
  PlainDefaults,
  UpdateOrCreateCommonOptions,
  UpdateOrCreateOptions,
} from './update-or-create';
export type {
  AtomicValues,
  Lookup,
  RetryPolicy,
  SqlValue,
  TransactionOptions,
  Values,
  ValuesOrFactory,
} from './types';
export * from './errors';
export * from './expressions';
export { pgWithErrorListener } from '@racesafe/core';
export type { PgClientEvents, PgModule } from '@racesafe/core';
