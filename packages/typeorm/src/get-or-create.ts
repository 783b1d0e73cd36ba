import { getOrCreate as coreGetOrCreate } from '@racesafe/core';
import type { ObjectLiteral, Repository } from 'typeorm';
import { flattenGroups } from './flatten';
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
 *   between `SAVEPOINT` and `RELEASE SAVEPOINT`, so a failure never aborts the transaction;
 * - with no listeners or `defaults` function, which statement goes first follows the table's last
 *   two calls (guide section 8): after two misses the INSERT alone (`INSERT INTO t (...) VALUES (...)
 *   ON CONFLICT ("email") DO NOTHING RETURNING *`, then the SELECT when it inserted nothing: a hit
 *   there draws one sequence value), after one of each `WITH found AS (SELECT ...), made AS
 *   (INSERT ...)`, after two hits the SELECT.
 *
 * Entity listeners and subscribers run on the miss path as `save()` runs them
 * (`@BeforeInsert` / `beforeInsert`, the INSERT, `@AfterInsert` / `afterInsert`; `listeners: false`
 * skips them). With subscribers or after-listeners, a miss outside your transaction creates in
 * a transaction of racesafe's own (`BEGIN`, listeners, INSERT, listeners, `COMMIT`), as save() does.
 *
 * Relations and embedded columns are named as `findOneBy` takes them, in the lookup and in
 * `defaults`: a ManyToOne / owning OneToOne as the related entity or an object of its
 * referenced columns (`{ org, email }`, `{ org: { id: 5 }, email }` -> `"org_id" = $1 AND "email" = $2`;
 * a composite key `{ region: { code, country } }` -> both join columns; `null` -> NULL), an
 * embedded as an object (`{ address: { city, zip } }`) or by property paths (`'address.city'`).
 * The returned entity holds the relation id: `org: { id: 5 }` for a join column with no property
 * of its own (TypeORM's setEntityValue shape), else the declared property (`orgId: 5`, as
 * findOneBy sets it) and no `org` object, which save() would otherwise prefer over `orgId`.
 *
 * @example
 * ```ts
 * const users = raceSafe(dataSource.getRepository(User));
 * const [user, created] = await users.getOrCreate({ email }, { defaults: { name } });
 * const [member] = await members.getOrCreate({ org: { id: orgId }, email }); // member.org = { id: orgId }
 * ```
 * @throws InvalidFieldError unknown property, `undefined`/operator lookup value, empty lookup, a relation
 * object without its referenced columns, a to-many relation (before any SQL)
 * @throws ConflictError another unique constraint than the lookup's rejected the row
 * @throws RetryableError the winner's row is invisible to this REPEATABLE READ / SERIALIZABLE transaction
 */
export async function getOrCreate<Entity extends ObjectLiteral>(
  this: Repository<Entity>,
  lookup: Lookup<Entity>,
  options: GetOrCreateOptions<Entity> = {},
): Promise<[Entity, boolean]> {
  // Relations and embeddeds become their columns (`{ org }` -> `{ 'org.id' }`), as findOneBy reads them.
  const flat = flattenGroups(this.metadata, { lookup, defaults: options.defaults });
  return coreGetOrCreate(typeormGateway(this), flat.lookup as Record<string, unknown>, {
    ...options,
    defaults: flat.defaults,
  });
}
