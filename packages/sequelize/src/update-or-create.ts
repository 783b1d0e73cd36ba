import { updateOrCreate as coreUpdateOrCreate } from '@racesafe/core';
import type { Attributes, Model, ModelStatic } from 'sequelize';
import { sequelizeGateway } from './gateway';
import type {
  AtomicValues,
  Lookup,
  RetryPolicy,
  TransactionOptions,
  Values,
  ValuesOrFactory,
} from './types';
import type { LifecycleOptions } from './lifecycle';

/**
 * Options of {@link updateOrCreate}: `defaults` holding an F expression (applied in SQL on the update
 * path) needs `createDefaults`, the values of a new row, which has no current value to compute from:
 * without it the call does not compile.
 */
export type UpdateOrCreateOptions<A> = UpdateOrCreateCommonOptions<A> &
  (PlainDefaults<A> | DefaultsWithF<A>);

/** `defaults` of plain values: they are written to a found row, and used to create a missing one unless `createDefaults` is given. */
export interface PlainDefaults<A> {
  /** Written to the row, found or created. A function is called once per call. */
  defaults?: ValuesOrFactory<Values<A>>;
  /** Values for a new row instead of `defaults` (plain values; a function is called only on create). */
  createDefaults?: ValuesOrFactory<Values<A>>;
}

/** `defaults` with F expressions, applied in SQL to a found row; `createDefaults` is then required. */
export interface DefaultsWithF<A> {
  /** Written to a found row; F expressions are applied in SQL. A function is called once per call. */
  defaults: ValuesOrFactory<AtomicValues<A>>;
  /** Values for a new row (plain values; a function is called only on create). */
  createDefaults: ValuesOrFactory<Values<A>>;
}

/** Options of {@link updateOrCreate} besides `defaults` and `createDefaults`. */
export interface UpdateOrCreateCommonOptions<A> extends TransactionOptions, LifecycleOptions {
  /** The lookup: attribute values of exactly one unique constraint. */
  where: Lookup<A>;
  /** Fail at once with LockNotAvailableError when another transaction holds the row. */
  nowait?: boolean;
  /** Wait at most this many milliseconds for the row lock, then LockNotAvailableError. */
  lockTimeoutMs?: number;
  /** Retries of racesafe's own transaction after a deadlock or serialization failure (default 5 attempts). */
  retry?: RetryPolicy;
}

/**
 * Locks the row matching `where` and writes `defaults` to it, or creates it:
 * `[instance, created]`, the row as the database stored it. Django's `update_or_create`.
 *
 * A locking read needs a transaction: without `transaction` (or a CLS one) racesafe opens
 * its own and retries it on deadlock / serialization failure; inside yours the lock is held
 * until your transaction ends. SQL sent on PostgreSQL:
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
 * Hooks and validation run as `instance.save()` runs them: on the update path validation of the
 * changed attributes, `beforeUpdate` / `beforeSave` (attributes they change are written too),
 * the UPDATE, `afterUpdate` / `afterSave`; on the create path as in getOrCreate.
 *
 * @example
 * ```ts
 * const [account] = await Account.updateOrCreate({ where: { email }, defaults: { name }, createDefaults: { name, plan: 'free' } });
 * ```
 * @throws LockNotAvailableError `nowait` or `lockTimeoutMs` and the row is locked (your transaction stays usable)
 * @throws RetryableError deadlock/serialization failure inside your transaction: retry the transaction
 */
export function updateOrCreate<M extends Model>(
  model: ModelStatic<M>,
  options: UpdateOrCreateOptions<Attributes<M>>,
): Promise<[M, boolean]> {
  const { where, transaction, ...rest } = options;
  return coreUpdateOrCreate(
    sequelizeGateway(model, transaction),
    where as Record<string, unknown>,
    rest as never,
  );
}
