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
 * SQL sent on PostgreSQL, per chunk of lookups (as many as fit under 65,535 parameters), rows in key
 * order. SELECT first (the usual case; always with a `defaults` function or create hooks):
 * `SELECT * FROM t WHERE "tag" IN ($1, $2, ...)` (1 round trip when all exist), then for the missing
 * ones `INSERT INTO t (...) VALUES (...), (...) ON CONFLICT ("tag") DO NOTHING RETURNING *` (2).
 * After two calls on the table that created most of their keys, one guarded INSERT first, each
 * column's values bound as one array:
 * `INSERT INTO t (...) SELECT ... FROM unnest($1::text[], ...) WITH ORDINALITY AS v WHERE NOT EXISTS
 * (SELECT 1 FROM t WHERE t."tag" = v."tag" OFFSET 0) ORDER BY <position> ON CONFLICT ("tag") DO NOTHING RETURNING *`
 * (1 round trip when all are new; no sequence value drawn for a key that has a row, though a key taken
 * concurrently between the guard and the insert can still draw one), then one SELECT of the keys it
 * did not insert (2). Either way one more SELECT reads keys a concurrent caller took meanwhile. One chunk
 * outside a transaction runs as these autocommit statements; more chunks run in a transaction of
 * racesafe's own; inside yours, in one savepoint: a failure (another unique key: `ConflictError`) writes nothing.
 * MariaDB / MySQL: the INSERT without ON CONFLICT in a savepoint, the rows read back by key; a
 * concurrent caller's 1062 falls back to one row at a time.
 *
 * Validation runs per new row before the INSERT, as `Model.create` does; with create hooks
 * defined, each new row is created on its own (hooks, INSERT, hooks), as getOrCreate does.
 * Before the guarded INSERT, built-in validation runs for every row of the chunk (found or not);
 * a row it refuses sends the chunk down the SELECT-first path, so only a new row raises `ValidationError`.
 *
 * @example
 * ```ts
 * const results = await Tag.getOrCreateMany({ where: names.map((name) => ({ name })), defaults: { color: 'grey' }, transaction });
 * ```
 * @throws InvalidFieldError unknown attribute, lookups naming different attributes, `undefined` or operator values (before any SQL)
 * @throws UniqueLookupRequiredError no unique constraint on exactly the lookups' columns
 * @throws ConflictError another unique constraint rejected a row: nothing of the call is written
 */
export function getOrCreateMany<M extends Model>(
  model: ModelStatic<M>,
  options: GetOrCreateManyOptions<Attributes<M>>,
): Promise<[M, boolean][]> {
  const { where, transaction, ...rest } = options;
  return coreGetOrCreateMany(
    sequelizeGateway(model, transaction),
    where as Record<string, unknown>[],
    rest as never,
  );
}
