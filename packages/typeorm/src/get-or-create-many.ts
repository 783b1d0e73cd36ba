import { getOrCreateMany as coreGetOrCreateMany } from '@racesafe/core';
import type { ObjectLiteral, Repository } from 'typeorm';
import { flattenGroups } from './flatten';
import { typeormGateway } from './gateway';
import type { ListenerOptions } from './lifecycle';
import type { Lookup, RetryPolicy, Values } from './types';

/** Options of {@link getOrCreateMany}. */
export interface GetOrCreateManyOptions<Entity> extends ListenerOptions {
  /** Values for each new row besides its lookup: an object, or a function of the lookup called only for rows about to be created. */
  defaults?: Values<Entity> | ((lookup: Lookup<Entity>) => Values<Entity>);
  /** Retries when racesafe owns the statements (outside your transaction) after a deadlock or a vanished winner (default 5 attempts). */
  retry?: RetryPolicy;
}

/**
 * getOrCreate for many lookups of one unique key at once: `[entity, created][]` in the order
 * of `lookups`. A lookup given twice gets the same entity, reported created at most once (at
 * its first place). Safe against concurrent getOrCreate and getOrCreateMany callers on
 * overlapping keys: no duplicate, and no deadlock between batches (rows are inserted in key order).
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
 * Entity listeners and subscribers run per created row, as getOrCreate runs them (one INSERT each).
 *
 * @example
 * ```ts
 * const tags = raceSafe(dataSource.getRepository(Tag));
 * const results = await tags.getOrCreateMany(names.map((name) => ({ name })), { defaults: { color: 'grey' } });
 * const created = results.filter(([, created]) => created).length;
 * ```
 * @throws InvalidFieldError unknown property, lookups naming different properties, `undefined` or operator values (before any SQL)
 * @throws UniqueLookupRequiredError no unique constraint on exactly the lookups' columns
 * @throws ConflictError another unique constraint rejected a row: nothing of the call is written
 */
export async function getOrCreateMany<Entity extends ObjectLiteral>(
  this: Repository<Entity>,
  lookups: Lookup<Entity>[],
  options: GetOrCreateManyOptions<Entity> = {},
): Promise<[Entity, boolean][]> {
  // Relations and embeddeds become their columns, as in getOrCreate; a defaults function still sees the lookup as given.
  const given = new Map<Record<string, unknown>, Lookup<Entity>>();
  const flatLookups = (Array.isArray(lookups) ? lookups : []).map((lookup) => {
    const flat = flattenGroups(this.metadata, { lookup }).lookup as Record<string, unknown>;
    given.set(flat, lookup);
    return flat;
  });
  const { defaults } = options;
  const flatDefaults =
    typeof defaults === 'function'
      ? (flat: Record<string, unknown>) =>
          flattenGroups(this.metadata, {
            defaults: defaults(given.get(flat) ?? (flat as Lookup<Entity>)),
          }).defaults as Record<string, unknown>
      : (flattenGroups(this.metadata, { defaults }).defaults as
          Record<string, unknown> | undefined);
  return coreGetOrCreateMany(typeormGateway(this), Array.isArray(lookups) ? flatLookups : lookups, {
    ...options,
    defaults: flatDefaults,
  });
}
