import { getOrCreateMany as coreGetOrCreateMany } from '@racesafe/core';
import type { Attributes, Model, ModelStatic } from 'sequelize';
import { sequelizeGateway } from './gateway';
import type { LifecycleOptions } from './lifecycle';
import type { Lookup, RetryPolicy, TransactionOptions, Values } from './types';

/** Options of {@link getOrCreateMany}. */
export interface GetOrCreateManyOptions<A> extends TransactionOptions, LifecycleOptions {
  /** The lookups: each the attribute values of one and the same unique constraint (plain values, no operators). */
  where: Lookup<A>[];
  /** Values for each new row besides its lookup: an object, or a function of the lookup called only for rows about to be created. */
  defaults?: Values<A> | ((lookup: Lookup<A>) => Values<A>);
  /** Retries when racesafe owns the statements (outside your transaction) after a deadlock or a vanished winner (default 5 attempts). */
  retry?: RetryPolicy;
}

/**
 * getOrCreate for many lookups of one unique key at once: `[instance, created][]` in the order
 * of `where`. A lookup given twice gets the same instance, reported created at most once (at
 * its first place). Safe against concurrent getOrCreate and getOrCreateMany callers on
 * overlapping keys: no duplicate, and no deadlock between batches (rows are inserted in key order).
 * Unlike `bulkCreate({ ignoreDuplicates: true })` it tells which rows were created and returns the existing ones.
 *
 * SQL sent on PostgreSQL, per chunk of lookups (as many as fit under 65,535 parameters):
 * `SELECT * FROM t WHERE ("tag" = $1) OR ("tag" = $2) ...` (1 round trip when all exist), then for
 * the missing ones `INSERT INTO t (...) VALUES (...), (...) ON CONFLICT ("tag") DO NOTHING RETURNING *`
 * (2), and one re-read of the keys a concurrent caller took meanwhile. One chunk outside a transaction
 * runs as these autocommit statements; more chunks run in a transaction of racesafe's own;
 * inside yours, in one savepoint: a failure (another unique key: `ConflictError`) writes nothing.
 * MariaDB / MySQL: the INSERT without ON CONFLICT in a savepoint, the rows read back by key; a
 * concurrent caller's 1062 falls back to one row at a time.
 *
 * Validation runs per new row before the INSERT, as `Model.create` does; with create hooks
 * defined, each new row is created on its own (hooks, INSERT, hooks), as getOrCreate does.
 *
 * @example
 * ```ts
 * const results = await Tag.getOrCreateMany({ where: names.map((name) => ({ name })), defaults: { color: 'grey' }, transaction });
 * ```
 * @throws InvalidFieldError unknown attribute, lookups naming different attributes, `undefined` or operator values (before any SQL)
 * @throws UniqueLookupRequiredError no unique constraint on exactly the lookups' columns
 * @throws ConflictError another unique constraint rejected a row: nothing of the call is written
 */
export function getOrCreateMany<M extends Model>(model: ModelStatic<M>, options: GetOrCreateManyOptions<Attributes<M>>): Promise<[M, boolean][]> {
  const { where, transaction, ...rest } = options;
  return coreGetOrCreateMany(sequelizeGateway(model, transaction), where as Record<string, unknown>[], rest as never);
}
