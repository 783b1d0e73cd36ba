import { getOrCreate as coreGetOrCreate } from '@racesafe/core';
import type { ObjectLiteral, Repository } from 'typeorm';
import { typeormGateway } from './gateway';
import type { Lookup, RetryPolicy, Values, ValuesOrFactory } from './types';
import type { ListenerOptions } from './lifecycle';

/** Options of {@link getOrCreate}. */
export interface GetOrCreateOptions<Entity> extends ListenerOptions {
  /** Values for a new row besides the lookup: an object, or a function called only when a row is created. */
  defaults?: ValuesOrFactory<Values<Entity>>;
  /**
   * Explicit opt-out for a lookup that no unique constraint backs: callers of the same
   * lookup queue on a PostgreSQL transaction-scoped advisory lock. READ COMMITTED only.
   */
  advisoryLock?: boolean;
  /** Retries when racesafe owns the statements (outside your transaction) after a deadlock or a vanished winner (default 5 attempts). */
  retry?: RetryPolicy;
}

/**
 * Returns the row matching `lookup`, creating it with `defaults` if there is none:
 * `[row, created]`. Safe under concurrency, like Django's `get_or_create`.
 *
 * The lookup must be exactly the columns of a unique constraint or unique index
 * (else {@link UniqueLookupRequiredError}). SQL sent on PostgreSQL:
 * - found: `SELECT * FROM t WHERE "email" = $1 LIMIT 2` (one round trip);
 * - outside a transaction, not found: `INSERT ... ON CONFLICT ("email") DO NOTHING RETURNING *`,
 *   and a re-read only when a concurrent caller won;
 * - inside the caller's transaction (`manager.withRepository(repo)`): the INSERT runs
 *   between `SAVEPOINT` and `RELEASE SAVEPOINT`, so a failure never aborts the transaction.
 *
 * @example
 * ```ts
 * const users = raceSafe(dataSource.getRepository(User));
 * const [user, created] = await users.getOrCreate({ email }, { defaults: { name } });
 * ```
 * @throws InvalidFieldError unknown property, `undefined`/operator lookup value, empty lookup (before any SQL)
 * @throws ConflictError another unique constraint than the lookup's rejected the row
 * @throws RetryableError the winner's row is invisible to this REPEATABLE READ / SERIALIZABLE transaction
 */
export function getOrCreate<Entity extends ObjectLiteral>(
  this: Repository<Entity>,
  lookup: Lookup<Entity>,
  options: GetOrCreateOptions<Entity> = {},
): Promise<[Entity, boolean]> {
  return coreGetOrCreate(typeormGateway(this), lookup as Record<string, unknown>, options as never);
}
