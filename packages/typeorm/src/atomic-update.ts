import {
  InvalidFieldError,
  type RetryPolicy,
  type Session,
  atomicUpdate as coreAtomicUpdate,
  checkAtomicUpdate,
  compileAssignments,
  isPlainEquality,
  lookupCondition,
  run,
  takeTurn,
  translateError,
  updateLockedAndReadBack,
  withRetries,
} from '@racesafe/core';
import type { FindOptionsWhere, ObjectLiteral, QueryRunner, Repository } from 'typeorm';
import { updateSet } from './columns';
import { flattenGroups } from './flatten';
import { boundQueryRunner, sessionOf, typeormGateway, withQueryRunner } from './gateway';
import { type ListenerOptions, bulkUpdateListeners } from './lifecycle';
import type { AtomicValues } from './types';

/** Options of {@link atomicUpdate}. */
export interface AtomicUpdateOptions extends ListenerOptions {
  /** Return the changed rows as the database stored them (PostgreSQL RETURNING) instead of their count. */
  returning?: boolean;
  /** Retries of the UPDATE after a deadlock when it runs outside your transaction (default 5 attempts). */
  retry?: RetryPolicy;
}

/**
 * One UPDATE, no read before it: `values` may hold F expressions that the database
 * computes from the row's current values, so concurrent callers never lose each other's
 * changes. `where` is TypeORM's own `FindOptionsWhere` (operators such as
 * `MoreThanOrEqual` included); a guard like `{ stock: MoreThanOrEqual(1) }` makes a
 * decrement that cannot oversell.
 *
 * In `values`, a relation is its join columns and an embedded its columns, as in getOrCreate
 * (`{ org: { id: 7 } }` -> `SET "org_id" = $1`); in `where`, relations and embeddeds go to
 * TypeORM's own where builder unless the where is plain equality on column property paths.
 *
 * SQL sent on PostgreSQL: `UPDATE t SET "views" = ("views" + $1) WHERE "id" = $2`
 * (`RETURNING *` with `{ returning: true }`). Returns the number of rows changed, or the
 * changed entities.
 *
 * @example
 * ```ts
 * await pages.atomicUpdate({ id }, { views: F('views').plus(1) });
 * const [item] = await items.atomicUpdate({ id, stock: MoreThanOrEqual(1) }, { stock: F('stock').minus(1) }, { returning: true });
 * ```
 * @throws InvalidFieldError unknown property, empty values or where, `null` / `undefined` in where (use `IsNull()`), bad F operand (before any SQL)
 * @throws DatabaseError division by zero, overflow...: the row is unchanged
 */
export function atomicUpdate<Entity extends ObjectLiteral>(
  this: Repository<Entity>,
  where: FindOptionsWhere<Entity> | FindOptionsWhere<Entity>[],
  values: AtomicValues<Entity>,
  options: AtomicUpdateOptions & { returning: true },
): Promise<Entity[]>;
export function atomicUpdate<Entity extends ObjectLiteral>(
  this: Repository<Entity>,
  where: FindOptionsWhere<Entity> | FindOptionsWhere<Entity>[],
  values: AtomicValues<Entity>,
  options?: AtomicUpdateOptions & { returning?: false },
): Promise<number>;
export async function atomicUpdate<Entity extends ObjectLiteral>(
  this: Repository<Entity>,
  where: FindOptionsWhere<Entity> | FindOptionsWhere<Entity>[],
  values: AtomicValues<Entity>,
  options: AtomicUpdateOptions = {},
): Promise<number | Entity[]> {
  const gateway = typeormGateway(this);
  const whereList = Array.isArray(where) ? where : [where];
  // Relations and embeddeds in values become their columns; in where only their names are checked: TypeORM's where builder reads them.
  const whereNames = whereList.map((_, i) => `where[${i}]`);
  const groups: Record<string, unknown> = {
    values,
    ...Object.fromEntries(whereNames.map((name, i) => [name, whereList[i]])),
  };
  const flat = flattenGroups(this.metadata, groups, { where: whereNames });
  const flatValues = flat.values as Record<string, unknown>;
  checkAtomicUpdate(
    gateway,
    flatValues,
    whereNames.map((name) => flat[name] as object),
  );
  refuseNullInWhere(this.metadata.name, whereList);
  // Subscribers' beforeUpdate / afterUpdate, as repository.update() broadcasts them (listeners: false skips them).
  const listeners = bulkUpdateListeners(this.metadata, options, values);
  const around =
    listeners &&
    (<T>(session: Session, send: () => Promise<T>) =>
      listeners(session.native as QueryRunner, send));
  // Plain equality (`{ id }`): racesafe writes the UPDATE itself, skipping TypeORM's query builder.
  if (isPlainEquality(gateway, where)) {
    return coreAtomicUpdate(
      gateway,
      flatValues,
      (parameters) => lookupCondition(gateway, where, parameters),
      { ...options, around, plainWhere: where },
    );
  }
  if (options.returning && !gateway.dialect.supportsReturning) {
    // No UPDATE ... RETURNING: lock the rows TypeORM's where matches, update exactly those, read them back, in one transaction.
    return updateLockedAndReadBack(gateway, flatValues, {
      ...options,
      around,
      lockMatching: (session) => lockMatching(this, session.native as QueryRunner, where),
    });
  }
  // Operators (MoreThanOrEqual...) and OR-lists: TypeORM's own where builder, racesafe's SET.
  const parameters: Record<string, unknown> = {};
  const addParameter = (value: unknown) => {
    const name = `racesafe_${Object.keys(parameters).length}`;
    parameters[name] = value;
    return `:${name}`;
  };
  const assignments = compileAssignments(gateway, flatValues, addParameter);
  // TypeORM's SQLite drivers refuse .returning() on UPDATE (ReturningStatementNotSupportedError), though SQLite 3.35+ has it:
  // racesafe then sends the builder's own statement with RETURNING * itself.
  const builderReturns = this.manager.connection.driver.isReturningSqlSupported('update');
  const updateOn = (runner: QueryRunner) => {
    const query = this.manager
      .createQueryBuilder(runner)
      .update(this.metadata.target)
      .set(updateSet(assignments))
      .where(where)
      .setParameters(parameters)
      .callListeners(false)
      .updateEntity(false);
    if (options.returning && builderReturns) query.returning('*');
    const send = async (): Promise<{ affected?: number; raw: unknown }> => {
      if (!options.returning || builderReturns)
        return query
          .execute()
          .catch((error: unknown) =>
            Promise.reject(
              translateError(
                gateway,
                error,
                runner.isTransactionActive ? 'rolled-back' : 'unknown',
              ),
            ),
          );
      const [sql, values] = query.getQueryAndParameters();
      const { rows } = await run(
        gateway,
        sessionOf(runner, runner.isTransactionActive),
        `${sql} RETURNING *`,
        values,
      );
      return { affected: rows.length, raw: rows };
    };
    return listeners ? listeners(runner, send) : send();
  };
  const bound = boundQueryRunner(this);
  // On your query runner, or on one of racesafe's own, it takes turns with the other racesafe calls on it: savepoints are a
  // stack per connection, and TypeORM's SQLite drivers hand every caller the same runner (one connection).
  const execute = bound
    ? () => takeTurn(bound, () => updateOn(bound))
    : () => withQueryRunner(this, (own) => takeTurn(own, () => updateOn(own)));
  // Outside a transaction the UPDATE is racesafe's own: a deadlock (40P01) is retried, inside yours it surfaces.
  const result = bound?.isTransactionActive
    ? await execute()
    : await withRetries(options.retry, execute);
  if (!options.returning) return result.affected ?? 0;
  const rows = (Array.isArray(result.raw) ? result.raw : []) as Record<string, unknown>[];
  return rows.map((row) => gateway.hydrate(row));
}

/**
 * Locks the rows `where` matches (TypeORM's where builder, operators and OR-lists included,
 * soft-deleted rows too, as the UPDATE would change them) and returns their primary keys.
 * SQL (MariaDB): `SELECT ... FROM t WHERE <where> FOR UPDATE`.
 */
async function lockMatching<Entity extends ObjectLiteral>(
  repository: Repository<Entity>,
  runner: QueryRunner,
  where: FindOptionsWhere<Entity> | FindOptionsWhere<Entity>[],
): Promise<Record<string, unknown>[]> {
  const { metadata } = repository;
  const rows = await repository.manager
    .createQueryBuilder(metadata.target, 'racesafe', runner)
    .withDeleted()
    .where(where)
    .setLock('pessimistic_write')
    .getMany();
  return rows.map((row) =>
    Object.fromEntries(
      metadata.primaryColumns.map((column) => [column.propertyPath, column.getEntityValue(row)]),
    ),
  );
}

/**
 * null / undefined in a where: TypeORM's where builder would bind NULL to `=` (matching nothing)
 * or drop the condition; TypeORM 1.x's own update() refuses them ("Undefined/Null value encountered").
 */
function refuseNullInWhere(entityName: string, whereList: object[]): void {
  const fields = [
    ...new Set(
      whereList.flatMap((where) =>
        Object.entries(where)
          .filter(([, value]) => value === null || value === undefined)
          .map(([property]) => property),
      ),
    ),
  ];
  if (fields.length > 0) {
    throw new InvalidFieldError(
      `atomicUpdate on ${entityName}: where ${fields.map((f) => `"${f}"`).join(', ')} is null or undefined, which matches no row; use IsNull() to match NULL`,
      { fields },
    );
  }
}
