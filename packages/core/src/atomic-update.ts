import { updateStatement } from './assignments';
import { InvalidFieldError } from './errors';
import type { ModelGateway, Session } from './gateway';
import { type RetryPolicy, withRetries } from './retry';
import { type Parameters, inCallerTransaction, lookupCondition, run, selectWhere } from './statements';
import { assertStrictArithmetic } from './strict-mode';
import { assertKnownFields, assertWritableValues } from './validate';

/** Options of atomicUpdate, shared by both packages. */
export interface AtomicUpdateCoreOptions {
  returning?: boolean;
  retry?: RetryPolicy;
  /** The ORM's code around the UPDATE on its session (TypeORM subscribers' beforeUpdate / afterUpdate), if any. */
  around?: <T>(session: Session, send: () => Promise<T>) => Promise<T>;
}

/**
 * Checks atomicUpdate's arguments before any statement, and before the ORM's validation and
 * hooks see them: every property of `values` and of each `where` object known (symbol keys
 * are ORM operators, the ORM's to check), no empty `where` (it would change every row), no
 * operator or undefined among `values`; `values` non-empty is checked by compileAssignments.
 */
export function checkAtomicUpdate(gateway: ModelGateway<unknown>, values: Record<string, unknown>, whereObjects: object[]): void {
  const groups = Object.fromEntries(whereObjects.map((where, i) => [whereObjects.length === 1 ? 'where' : `where[${i}]`, { ...where }]));
  assertKnownFields(gateway, { values, ...groups });
  if (whereObjects.length === 0 || whereObjects.some((where) => Reflect.ownKeys(where).length === 0)) {
    throw new InvalidFieldError(`atomicUpdate on ${gateway.modelName}: where is empty, which would update every row`);
  }
  assertWritableValues(gateway, 'values', values, true);
}

/**
 * True when `where` is plain equality on known properties (the common `{ id }` case): racesafe
 * then writes `col = $1 AND ...` itself (lookupCondition) and no ORM where-builder runs.
 * Operators, arrays and NULL are left to the ORM's own where syntax.
 */
export function isPlainEquality(gateway: ModelGateway<unknown>, where: unknown): where is Record<string, unknown> {
  if (typeof where !== 'object' || where === null || Object.getPrototypeOf(where) !== Object.prototype) return false;
  if (Object.getOwnPropertySymbols(where).length > 0) return false;
  return Object.entries(where).every(([property, value]) => gateway.column(property) !== undefined && isScalar(value));
}

function isScalar(value: unknown): boolean {
  return ['string', 'number', 'boolean', 'bigint'].includes(typeof value) || value instanceof Date;
}

/**
 * One `UPDATE t SET <values> WHERE <condition> [RETURNING *]`, no read before it. The
 * condition is built by the caller on the same Parameters (lookupCondition for plain
 * equality, or the ORM's where builder). Outside a transaction the UPDATE is racesafe's own, so a deadlock
 * (40P01) is retried; inside yours it surfaces as RetryableError.
 */
export async function atomicUpdate<Row>(
  gateway: ModelGateway<Row>,
  values: Record<string, unknown>,
  condition: (parameters: Parameters) => string,
  options: AtomicUpdateCoreOptions = {},
): Promise<number | Row[]> {
  if (options.returning && !gateway.dialect.supportsReturning) return updateAndReadBack(gateway, values, condition, options);
  const { sql, parameters } = updateStatement(gateway, values, condition, { returning: options.returning });
  const { around } = options;
  const execute = async (session: Session) => {
    await assertStrictArithmetic(gateway, session, values);
    return around ? around(session, () => run(gateway, session, sql, parameters)) : run(gateway, session, sql, parameters);
  };
  const caller = gateway.callerTransaction();
  const result = caller ? await inCallerTransaction(caller, execute) : await withRetries(options.retry, () => gateway.autocommit(execute));
  return options.returning ? result.rows.map((row) => gateway.hydrate(row)) : result.rowCount;
}

/**
 * atomicUpdate `returning` where the database has no `UPDATE ... RETURNING` (MariaDB 10.11,
 * MySQL 8), in one transaction (yours, or racesafe's own): lock the matching rows
 * (`SELECT pk ... FOR UPDATE`), update exactly those, read them back. The rows returned are
 * the ones written, as the database stored them; nothing is computed in JavaScript.
 */
async function updateAndReadBack<Row>(
  gateway: ModelGateway<Row>,
  values: Record<string, unknown>,
  condition: (parameters: Parameters) => string,
  options: AtomicUpdateCoreOptions,
): Promise<Row[]> {
  const primary = gateway.columns().filter((c) => c.primary);
  if (primary.length === 0) {
    throw new InvalidFieldError(`atomicUpdate on ${gateway.modelName}: returning needs a primary key on ${gateway.dialect.name}, which has no UPDATE ... RETURNING`);
  }
  const work = async (session: Session): Promise<Row[]> => {
    await assertStrictArithmetic(gateway, session, values);
    const locked = await selectWhere(gateway, session, condition, ` ${gateway.dialect.lockClause('update', {})}`);
    if (locked.length === 0) return [];
    const ids = locked.map((row) => Object.fromEntries(primary.map((c) => [c.property, row[c.column]])));
    const byIds = (parameters: Parameters) => ids.map((id) => `(${lookupCondition(gateway, id, parameters)})`).join(' OR ');
    const { sql, parameters } = updateStatement(gateway, values, (p) => `(${condition(p)}) AND (${byIds(p)})`);
    const send = () => run(gateway, session, sql, parameters);
    await (options.around ? options.around(session, send) : send());
    return (await selectWhere(gateway, session, byIds)).map((row) => gateway.hydrate(row));
  };
  const caller = gateway.callerTransaction();
  return caller ? inCallerTransaction(caller, work) : withRetries(options.retry, () => gateway.transaction(work));
}
