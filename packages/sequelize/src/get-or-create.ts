import { getOrCreate as coreGetOrCreate } from '@racesafe/core';
import type { Attributes, Model, ModelStatic } from 'sequelize';
import { sequelizeGateway } from './gateway';
import type { Lookup, RetryPolicy, TransactionOptions, Values, ValuesOrFactory } from './types';
import type { LifecycleOptions } from './lifecycle';

/** Options of {@link getOrCreate}. */
export interface GetOrCreateOptions<A> extends TransactionOptions, LifecycleOptions {
  /** The lookup: attribute values of exactly one unique constraint (plain values, no operators). */
  where: Lookup<A>;
  /** Values for a new row besides `where`: an object, or a function called only when a row is created. */
  defaults?: ValuesOrFactory<Values<A>>;
  /**
   * Explicit opt-out for a lookup that no unique constraint backs: callers of the same
   * lookup queue on a PostgreSQL transaction-scoped advisory lock. READ COMMITTED only.
   */
  advisoryLock?: boolean;
  /** Retries when racesafe owns the statements (outside your transaction) after a deadlock or a vanished winner (default 5 attempts). */
  retry?: RetryPolicy;
}

/**
 * Returns the row matching `where`, creating it with `defaults` if there is none:
 * `[instance, created]`. Unlike `Model.findOrCreate` it creates no temporary function,
 * holds one connection at a time, and never leaves your transaction aborted.
 *
 * SQL sent on PostgreSQL: `SELECT * FROM t WHERE "email" = $1 LIMIT 2` (found: one round
 * trip); then outside a transaction `INSERT ... ON CONFLICT ("email") DO NOTHING RETURNING *`,
 * inside one the INSERT between `SAVEPOINT` and `RELEASE SAVEPOINT`; a re-read only when a
 * concurrent caller won. With no hooks or custom validators of yours and no `defaults` function,
 * which statement goes first follows the table's last two calls (guide section 8): after two
 * misses the INSERT alone (`INSERT INTO t (...) VALUES (...) ON CONFLICT ("email") DO NOTHING
 * RETURNING *`, then the SELECT when it inserted nothing: a hit there draws one sequence value),
 * after one of each `WITH found AS (SELECT ...), made AS (INSERT ...)`, after two hits the SELECT.
 *
 * On the miss path it validates and runs the hooks as `Model.create` does (`beforeValidate`,
 * validators, `afterValidate`, `beforeCreate`, `beforeSave`, the INSERT, `afterCreate`,
 * `afterSave`; `hooks: false` / `validate: false` as there). With hooks defined, a miss
 * outside your transaction creates in a transaction of racesafe's own (`BEGIN` ... `COMMIT`),
 * as findOrCreate does; a validation failure is Sequelize's own `ValidationError`.
 *
 * @example
 * ```ts
 * const [user, created] = await User.getOrCreate({ where: { email }, defaults: { name }, transaction });
 * ```
 * @throws InvalidFieldError unknown attribute, `undefined`/operator lookup value, empty lookup (before any SQL)
 * @throws UniqueLookupRequiredError no unique constraint on exactly the `where` columns
 * @throws ConflictError another unique constraint than the lookup's rejected the row
 * @throws RetryableError the winner's row is invisible to this REPEATABLE READ / SERIALIZABLE transaction
 */
export function getOrCreate<M extends Model>(
  model: ModelStatic<M>,
  options: GetOrCreateOptions<Attributes<M>>,
): Promise<[M, boolean]> {
  const { where, transaction, ...rest } = options;
  return coreGetOrCreate(
    sequelizeGateway(model, transaction),
    where as Record<string, unknown>,
    rest as never,
  );
}
