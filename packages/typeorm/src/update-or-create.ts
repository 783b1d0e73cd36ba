import { updateOrCreate as coreUpdateOrCreate } from '@racesafe/core';
import type { ObjectLiteral, Repository } from 'typeorm';
import { flattenGroups } from './flatten';
import { typeormGateway } from './gateway';
import type { AtomicValues, Lookup, RetryPolicy, Values, ValuesOrFactory } from './types';
import type { ListenerOptions } from './lifecycle';

/**
 * Options of {@link updateOrCreate}: `defaults` holding an F expression (applied in SQL on the update
 * path) needs `createDefaults`, the values of a new row, which has no current value to compute from:
 * without it the call does not compile.
 */
export type UpdateOrCreateOptions<Entity> = UpdateOrCreateCommonOptions &
  (PlainDefaults<Entity> | DefaultsWithF<Entity>);

/** `defaults` of plain values: they are written to a found row, and used to create a missing one unless `createDefaults` is given. */
export interface PlainDefaults<Entity> {
  /** Written to the row, found or created. A function is called once per call. */
  defaults?: ValuesOrFactory<Values<Entity>>;
  /** Values for a new row instead of `defaults` (plain values; a function is called only on create). */
  createDefaults?: ValuesOrFactory<Values<Entity>>;
}

/** `defaults` with F expressions, applied in SQL to a found row; `createDefaults` is then required. */
export interface DefaultsWithF<Entity> {
  /** Written to a found row; F expressions are applied in SQL. A function is called once per call. */
  defaults: ValuesOrFactory<AtomicValues<Entity>>;
  /** Values for a new row (plain values; a function is called only on create). */
  createDefaults: ValuesOrFactory<Values<Entity>>;
}

/** Options of {@link updateOrCreate} besides `defaults` and `createDefaults`. */
export interface UpdateOrCreateCommonOptions extends ListenerOptions {
  /** Fail at once with LockNotAvailableError when another transaction holds the row. */
  nowait?: boolean;
  /** Wait at most this many milliseconds for the row lock, then LockNotAvailableError. */
  lockTimeoutMs?: number;
  /** Retries of racesafe's own transaction after a deadlock or serialization failure (default 5 attempts). */
  retry?: RetryPolicy;
}

/**
 * Locks the row matching `lookup` and writes `defaults` to it, or creates it:
 * `[row, created]`, the row as the database stored it. Django's `update_or_create`.
 *
 * A locking read needs a transaction: outside one, racesafe opens its own (and retries it
 * on deadlock / serialization failure); inside yours (`manager.withRepository(repo)`) the
 * lock is held until your transaction ends. SQL sent on PostgreSQL:
 * `SELECT * FROM t WHERE "email" = $1 LIMIT 2 FOR NO KEY UPDATE` (FOR UPDATE when `defaults`
 * name a primary-key or lookup column), then `UPDATE t SET <changed columns only> WHERE "id" = $n RETURNING *`,
 * or the getOrCreate insert path with `createDefaults ?? defaults`.
 * Outside a transaction, with no hooks of yours, `nowait` or `lockTimeoutMs`, one autocommit
 * statement instead, chosen by the table's last two calls (guide section 8): after two updates
 * `UPDATE t SET <defaults> WHERE "email" = $1 RETURNING *`; after two creations, with plain
 * `defaults` on a model without soft delete, `INSERT INTO t (...) VALUES (...) ON CONFLICT ("email")
 * DO UPDATE SET <defaults> RETURNING *, (xmax = 0) AS "racesafe_created"` (a found row then draws one
 * sequence value), with F expressions `INSERT ... SELECT ... WHERE NOT EXISTS (...)` then the UPDATE;
 * otherwise `WITH updated AS (UPDATE ...), made AS (INSERT ...)`.
 *
 * Listeners and subscribers run as `save()` runs them: on the update path `@BeforeUpdate` /
 * `beforeUpdate` (with `databaseEntity` and `updatedColumns`; columns they change are written
 * too), the UPDATE, `@AfterUpdate` / `afterUpdate`; on the create path as in getOrCreate.
 *
 * Relations and embedded columns in the lookup, `defaults` and `createDefaults` as in getOrCreate:
 * `defaults: { manager: { id } }` writes `"manager_id" = $1` when it differs from the locked row.
 *
 * @example
 * ```ts
 * const [account, created] = await accounts.updateOrCreate(
 *   { email }, { defaults: { name, logins: F('logins').plus(1) }, createDefaults: { name, logins: 1 } });
 * ```
 * @throws LockNotAvailableError `nowait` or `lockTimeoutMs` and the row is locked (your transaction stays usable)
 * @throws RetryableError deadlock/serialization failure inside your transaction: retry the transaction
 */
export async function updateOrCreate<Entity extends ObjectLiteral>(
  this: Repository<Entity>,
  lookup: Lookup<Entity>,
  options: UpdateOrCreateOptions<Entity> = {},
): Promise<[Entity, boolean]> {
  // Relations and embeddeds become their columns (`{ org }` -> `{ 'org.id' }`), as findOneBy reads them.
  const { defaults, createDefaults } = options;
  const flat = flattenGroups(this.metadata, { lookup, defaults, createDefaults });
  const flatOptions = { ...options, defaults: flat.defaults, createDefaults: flat.createDefaults };
  return coreUpdateOrCreate(
    typeormGateway(this),
    flat.lookup as Record<string, unknown>,
    flatOptions as never,
  );
}
