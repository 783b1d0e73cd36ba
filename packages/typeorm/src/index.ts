/**
 * @racesafe/typeorm: race-safe `getOrCreate`, `updateOrCreate` and F-expression
 * `atomicUpdate` for TypeORM repositories.
 *
 * @example
 * ```ts
 * import { raceSafe, F } from '@racesafe/typeorm';
 * const users = raceSafe(dataSource.getRepository(User));
 * const [user, created] = await users.getOrCreate({ email }, { defaults: { name } });
 * await users.atomicUpdate({ id: user.id }, { logins: F('logins').plus(1) });
 * await dataSource.transaction((m) => m.withRepository(users).getOrCreate({ email }));
 * ```
 * @module @racesafe/typeorm
 */
import type { ObjectLiteral, Repository } from 'typeorm';
import { atomicUpdate } from './atomic-update';
import { getOrCreate } from './get-or-create';
import { getOrCreateMany } from './get-or-create-many';
import { updateOrCreate } from './update-or-create';

/**
 * The racesafe methods, for `Repository.extend`: `dataSource.getRepository(User).extend(RaceSafeMethods)`,
 * or spread into your own custom repository's methods. Methods take `this` from the
 * repository, so `manager.withRepository(repo)` runs them in that transaction.
 */
export const RaceSafeMethods = {
  /** See {@link getOrCreate}. */
  getOrCreate,
  /** See {@link getOrCreateMany}. */
  getOrCreateMany,
  /** See {@link updateOrCreate}. */
  updateOrCreate,
  /** See {@link atomicUpdate}. */
  atomicUpdate,
};

/** A repository with the racesafe methods. */
export type RaceSafeRepository<Entity extends ObjectLiteral> = Repository<Entity> &
  typeof RaceSafeMethods;

/**
 * Adds getOrCreate, getOrCreateMany, updateOrCreate and atomicUpdate to a repository (`repo.extend(RaceSafeMethods)`);
 * the ORM itself is not patched.
 *
 * @example
 * ```ts
 * const users = raceSafe(dataSource.getRepository(User));
 * ```
 */
export function raceSafe<Entity extends ObjectLiteral>(
  repository: Repository<Entity>,
): RaceSafeRepository<Entity> {
  return repository.extend(RaceSafeMethods);
}

export { atomicUpdate, getOrCreate, getOrCreateMany, updateOrCreate };
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
  PropertyPaths,
  PropertyValue,
  RawSql,
  RetryPolicy,
  Values,
  ValuesOrFactory,
} from './types';
export * from './errors';
export * from './expressions';
export { pgWithErrorListener } from '@racesafe/core';
export type { PgClientEvents, PgModule } from '@racesafe/core';
