import { InvalidFieldError, Parameters, type RetryPolicy, type Session, withRetries, assertKnownFields, compileAssignments, run, setClause } from '@racesafe/core';
import { type Attributes, type Model, type ModelStatic, Utils, type WhereOptions } from 'sequelize';
import { queryGeneratorOf, sequelizeGateway } from './gateway';
import type { AtomicValues, TransactionOptions } from './types';

/** Options of {@link atomicUpdate}. */
export interface AtomicUpdateOptions<A> extends TransactionOptions {
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
export function atomicUpdate<M extends Model>(model: ModelStatic<M>, values: AtomicValues<Attributes<M>>, options: AtomicUpdateOptions<Attributes<M>> & { returning: true }): Promise<M[]>;
export function atomicUpdate<M extends Model>(model: ModelStatic<M>, values: AtomicValues<Attributes<M>>, options: AtomicUpdateOptions<Attributes<M>> & { returning?: false }): Promise<number>;
export async function atomicUpdate<M extends Model>(
  model: ModelStatic<M>,
  values: AtomicValues<Attributes<M>>,
  options: AtomicUpdateOptions<Attributes<M>>,
): Promise<number | M[]> {
  const gateway = sequelizeGateway(model, options.transaction);
  const where = (options.where ?? {}) as Record<string | symbol, unknown>;
  assertKnownFields(gateway, { values: values as Record<string, unknown>, where: stringKeyed(where) });
  if (Reflect.ownKeys(where).length === 0) {
    throw new InvalidFieldError(`atomicUpdate on ${gateway.modelName}: where is empty, which would update every row`);
  }
  const parameters = new Parameters(gateway.dialect.placeholder);
  const assignments = compileAssignments(gateway, values as Record<string, unknown>, parameters.add);
  const mapped = Utils.mapOptionFieldNames({ where } as never, model as never) as { where: unknown };
  const whereSql = queryGeneratorOf(model as never).whereQuery(mapped.where, { model, bindParam: parameters.add });
  const returning = options.returning ? ' RETURNING *' : '';
  const sql = `UPDATE ${gateway.tableSql} SET ${setClause(assignments)} ${whereSql}${returning}`;
  const execute = (session: Session) => run(gateway, session, sql, parameters.values);
  const caller = gateway.callerTransaction();
  // Outside a transaction the UPDATE is racesafe's own: a deadlock (40P01) is retried, inside yours it surfaces.
  const result = caller ? await execute(caller) : await withRetries(options.retry, () => gateway.autocommit(execute));
  return options.returning ? result.rows.map((row) => gateway.hydrate(row)) : result.rowCount;
}

/** Attribute keys of a where object; operator (symbol) keys such as Op.or are Sequelize's to check. */
function stringKeyed(where: Record<string | symbol, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(where));
}
