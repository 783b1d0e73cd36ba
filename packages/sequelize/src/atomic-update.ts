import {
  InvalidFieldError,
  type Parameters,
  type RetryPolicy,
  atomicUpdate as coreAtomicUpdate,
  checkAtomicUpdate,
  isFExpression,
  isPlainEquality,
  lookupCondition,
} from '@racesafe/core';
import { type Attributes, type Model, type ModelStatic, Utils, type WhereOptions } from 'sequelize';
import { queryGeneratorOf, sequelizeGateway } from './gateway';
import type { LifecycleOptions } from './lifecycle';
import type { AtomicValues, TransactionOptions } from './types';

/** Options of {@link atomicUpdate}. */
export interface AtomicUpdateOptions<A> extends TransactionOptions, LifecycleOptions {
  /** Sequelize's own where syntax, operators included (`{ id, stock: { [Op.gte]: 1 } }`). */
  where: WhereOptions<A>;
  /** Return the changed instances as the database stored them (RETURNING) instead of their count. */
  returning?: boolean;
  /** Retries of the UPDATE after a deadlock when it runs outside your transaction (default 5 attempts). */
  retry?: RetryPolicy;
}

/**
 * One UPDATE, no read before it: `values` may hold F expressions computed by the database
 * from the row's current values, so concurrent callers never lose each other's changes.
 * A guard in `where` (`stock: { [Op.gte]: 1 }`) makes a decrement that cannot oversell.
 *
 * SQL sent on PostgreSQL: `UPDATE t SET "views" = ("views" + $1) WHERE "id" = $2`
 * (`RETURNING *` with `returning: true`), every value bound. Returns the number of rows
 * changed, or with `returning: true` the changed instances (not Sequelize's `[count, rows]`).
 *
 * @example
 * ```ts
 * await Page.atomicUpdate({ views: F('views').plus(1) }, { where: { id } });
 * ```
 * @throws InvalidFieldError unknown attribute, empty values or where, bad F operand (before any SQL)
 * @throws DatabaseError division by zero, overflow...: the row is unchanged
 */
export function atomicUpdate<M extends Model>(
  model: ModelStatic<M>,
  values: AtomicValues<Attributes<M>>,
  options: AtomicUpdateOptions<Attributes<M>> & { returning: true },
): Promise<M[]>;
export function atomicUpdate<M extends Model>(
  model: ModelStatic<M>,
  values: AtomicValues<Attributes<M>>,
  options: AtomicUpdateOptions<Attributes<M>> & { returning?: false },
): Promise<number>;
export async function atomicUpdate<M extends Model>(
  model: ModelStatic<M>,
  values: AtomicValues<Attributes<M>>,
  options: AtomicUpdateOptions<Attributes<M>>,
): Promise<number | M[]> {
  const gateway = sequelizeGateway(model, options.transaction);
  checkAtomicUpdate(gateway, values, [options.where ?? {}]);
  // Model.update's lifecycle: validation of the plain values, then beforeBulkUpdate, which may change values and where.
  const bulk = {
    ...options,
    transaction: gateway.callerTransaction()?.native,
    attributes: values as Record<string, unknown>,
    model,
  };
  if (options.validate !== false) await validatePlainValues(model, bulk.attributes, bulk);
  if (options.hooks !== false) await runHooks(model, 'beforeBulkUpdate', bulk);
  // What the hooks left is checked as the caller's values were: an unknown key they added is refused, not dropped.
  if (options.hooks !== false) checkAtomicUpdate(gateway, bulk.attributes, [bulk.where ?? {}]);
  const where = bulk.where as object;
  // Plain equality (`{ id }`) needs no where builder; operators go through Sequelize's own, bound on the same parameters.
  const plainWhere = isPlainEquality(gateway, where) ? where : undefined;
  const condition = (parameters: Parameters) => {
    const sql = plainWhere
      ? lookupCondition(gateway, plainWhere, parameters)
      : sequelizeWhere(model, where, parameters);
    // A paranoid model's soft-deleted rows are skipped, as Model.update skips them.
    const deleted = gateway.softDeleteColumn;
    return deleted ? `(${sql}) AND ${deleted.quoted} IS NULL` : sql;
  };
  const result = await coreAtomicUpdate(gateway, bulk.attributes, condition, {
    ...options,
    plainWhere,
  });
  if (options.hooks !== false) await runHooks(model, 'afterBulkUpdate', bulk);
  return result;
}

function runHooks(model: ModelStatic<Model>, name: string, options: object): Promise<void> {
  return (model as unknown as { runHooks(name: string, options: object): Promise<void> }).runHooks(
    name,
    options,
  );
}

/** Model.update validates the values it writes on a built instance, every other attribute skipped; F expressions are the database's. */
async function validatePlainValues(
  model: ModelStatic<Model>,
  values: Record<string, unknown>,
  options: object,
): Promise<void> {
  const plain = Object.fromEntries(
    Object.entries(values).filter(([, value]) => !isFExpression(value)),
  );
  if (Object.keys(plain).length === 0) return;
  const skip = Object.keys(model.getAttributes()).filter(
    (attribute) => !Object.hasOwn(plain, attribute),
  );
  await model.build(plain).validate({ ...options, skip, hooks: false });
}

/** Sequelize's where syntax compiled by its own query generator, attribute names mapped to fields, values bound. */
function sequelizeWhere(model: ModelStatic<Model>, where: object, parameters: Parameters): string {
  const mapped = Utils.mapOptionFieldNames({ where } as never, model) as { where: unknown };
  const condition = queryGeneratorOf(model)
    .whereQuery(mapped.where, { model, bindParam: parameters.add })
    .replace(/^WHERE /, '');
  if (!condition)
    throw new InvalidFieldError(`atomicUpdate on ${model.name}: where matches every row`);
  return condition;
}
