import {
  type ColumnInfo,
  type ModelGateway,
  type Session,
  beginOwnTransaction,
  bindOrRefuse,
  dialectFor,
  ownWorkError,
  takeTurnOnceKnown,
  translateError,
} from '@racesafe/core';
import {
  type Model,
  type ModelStatic,
  type QueryOptions,
  QueryTypes,
  Sequelize,
  Transaction,
  type TransactionOptions,
  Utils,
} from 'sequelize';
import { sequelizeLifecycle } from './lifecycle';

const integerTypes = new Set(['INTEGER', 'BIGINT', 'SMALLINT', 'TINYINT', 'MEDIUMINT']);
const numericTypes = new Set([
  ...integerTypes,
  'FLOAT',
  'DOUBLE',
  'DOUBLE PRECISION',
  'DECIMAL',
  'REAL',
  'NUMBER',
]);
// Types whose value is a whole array or JSON document (a RANGE is given as [lower, upper]).
const structuredTypes = new Set(['ARRAY', 'JSON', 'JSONB', 'RANGE']);

/** Sequelize internals racesafe relies on, typed in one place (stable across Sequelize 6 releases). */
export interface QueryGenerator {
  quoteIdentifier(name: string): string;
  quoteTable(table: unknown): string;
  escape(value: unknown, field: unknown, options: { context: string }): string;
  format(
    value: unknown,
    field: unknown,
    options: { context: string },
    bindParam: (value: unknown) => string,
  ): string;
  whereQuery(
    where: unknown,
    options: { model: unknown; bindParam: (value: unknown) => string },
  ): string;
}
interface ModelInternals {
  options: { paranoid?: boolean };
  _timestampAttributes: { createdAt?: string; updatedAt?: string; deletedAt?: string };
  _versionAttribute?: string;
  fieldRawAttributesMap: Record<string, { fieldName: string }>;
  /** The attribute types' `_sanitize`, which `instance.set` applies (a DATE's string to a Date, 'infinity' to Infinity). */
  _dataTypeSanitizers: Record<string, (this: unknown, value: unknown, options: object) => unknown>;
}

/**
 * A value as `Model.create` / `Model.update` hold it before formatting: their `set` applies the
 * type's sanitizer (`raw`: as build() of a stored row applies it).
 */
function sanitize(
  internals: ModelInternals,
  property: string,
  value: unknown,
  raw = false,
): unknown {
  const sanitizer = Object.hasOwn(internals._dataTypeSanitizers, property)
    ? internals._dataTypeSanitizers[property]
    : undefined;
  return sanitizer ? sanitizer.call(undefined, value, raw ? { raw } : {}) : value;
}

interface ModelInfo {
  columns: ColumnInfo[];
  byProperty: Map<string, ColumnInfo>;
  tableSql: string;
}

// Column maps are derived from the model definition once per model class.
const modelInfos = new WeakMap<ModelStatic<Model>, ModelInfo>();

/** The query generator of the model's Sequelize instance. */
export function queryGeneratorOf(model: ModelStatic<Model>): QueryGenerator {
  return (model.sequelize!.getQueryInterface() as unknown as { queryGenerator: QueryGenerator })
    .queryGenerator;
}

function modelInfo(model: ModelStatic<Model>): ModelInfo {
  let info = modelInfos.get(model);
  if (info) return info;
  const generator = queryGeneratorOf(model);
  const columns = Object.entries(model.getAttributes()).map(([property, attribute]): ColumnInfo => {
    const column = attribute.field ?? property;
    const typeKey = String((attribute.type as { key?: string }).key ?? '');
    const quoted = generator.quoteIdentifier(column);
    return {
      property,
      column,
      quoted,
      numeric: numericTypes.has(typeKey),
      integer: integerTypes.has(typeKey),
      primary: attribute.primaryKey === true,
      structured: structuredTypes.has(typeKey),
    };
  });
  info = {
    columns,
    byProperty: new Map(columns.map((c) => [c.property, c])),
    tableSql: generator.quoteTable(model.getTableName()),
  };
  modelInfos.set(model, info);
  return info;
}

/** How to declare a unique key on `columns` of model `name` in Sequelize, for UniqueLookupRequiredError. */
export function uniqueKeyAdvice(name: string, columns: string[]): string {
  const list = `[${columns.map((c) => `'${c}'`).join(', ')}]`;
  const single =
    columns.length === 1
      ? ` (or \`unique: true\` on the attribute; sequelize-typescript: \`@Unique\` on the property)`
      : '';
  return `Declare it in ${name}'s model options: \`indexes: [{ unique: true, fields: ${list} }]\`${single}; index fields are column names in Sequelize 6.`;
}

/** The caller's transaction: the `transaction` option, else the CLS one (`Sequelize.useCLS`); `null` means none. */
export function callerTransactionOf(
  transaction: Transaction | null | undefined,
): Transaction | undefined {
  if (transaction !== undefined) return transaction ?? undefined;
  const namespace = (
    Sequelize as unknown as { _cls?: { get(key: string): Transaction | undefined } }
  )._cls;
  return namespace?.get('transaction') ?? undefined;
}

function sessionOf(
  model: ModelStatic<Model>,
  transaction: Transaction | null,
  shared?: object,
): Session {
  return {
    inTransaction: transaction !== null,
    shared,
    native: transaction,
    async query(sql, parameters) {
      // Sequelize's sqlite Query runs a RAW statement through node-sqlite3's all(), which gives rows but no change count
      // (RETURNING statements arrive as `/* ... */ UPDATE`): an UPDATE whose count racesafe reads goes as BULKUPDATE, run() and its changes.
      const counted = runsThroughRunOrAll(model) && /^UPDATE /.test(sql);
      // transaction: null keeps Sequelize from picking a CLS transaction; useMaster reads from the primary.
      // tableNames: [] spares sqlite's Query a `PRAGMA table_info` per SELECT, read to type values a RAW query never types.
      const answer = await model.sequelize!.query(sql, {
        bind: parameters,
        transaction,
        type: counted ? QueryTypes.BULKUPDATE : QueryTypes.RAW,
        raw: true,
        useMaster: true,
        tableNames: [],
      } as QueryOptions);
      if (counted) return { rows: [], rowCount: Number(answer) };
      const [rows, result] = answer as unknown as [
        Record<string, unknown>[] | { affectedRows?: number },
        { rowCount?: number; affectedRows?: number } | undefined,
      ];
      // pg reports rowCount; mysql2 and the mariadb connector an OK packet with affectedRows (as data, or as metadata).
      const affected =
        result?.rowCount ??
        result?.affectedRows ??
        (Array.isArray(rows) ? undefined : rows.affectedRows);
      return { rows: Array.isArray(rows) ? rows : [], rowCount: affected ?? 0 };
    },
  };
}

/**
 * The attributes' value parsers, where Sequelize's Query for this dialect types the driver's rows itself
 * (sqlite: `applyParsers`, by declared column type, on a find() only): a RAW query's rows come as stored,
 * DATETIME and JSON as text, BOOLEAN as 0 / 1. Undefined where the driver types them (pg, mysql2).
 */
function parsersOf(
  model: ModelStatic<Model>,
): Map<string, (value: unknown) => unknown> | undefined {
  const { dialect, options } = model.sequelize as unknown as {
    dialect: { Query?: { prototype: { applyParsers?: unknown } } };
    options: { timezone?: string };
  };
  if (typeof dialect.Query?.prototype.applyParsers !== 'function') return undefined;
  const parsers = new Map<string, (value: unknown) => unknown>();
  for (const [property, attribute] of Object.entries(model.getAttributes())) {
    // The attribute's type is the dialect's own class (Sequelize's normalizeDataType), its static parse the one a find() applies.
    const parse = (
      attribute.type as { constructor?: { parse?: (value: unknown, options: object) => unknown } }
    ).constructor?.parse;
    if (typeof parse === 'function')
      parsers.set(property, (value) => parse(value, { timezone: options.timezone }));
  }
  return parsers;
}

/** Sequelize's Query for this dialect picks the driver's run() or all() per statement (sqlite: `getDatabaseMethod`). */
function runsThroughRunOrAll(model: ModelStatic<Model>): boolean {
  const { dialect } = model.sequelize as unknown as {
    dialect: { Query?: { prototype: { getDatabaseMethod?: unknown } } };
  };
  return typeof dialect.Query?.prototype.getDatabaseMethod === 'function';
}

/**
 * Adapts a Sequelize model to racesafe's algorithms: attribute names and `field` mapping
 * from the model, values formatted by Sequelize's query generator, statements on the
 * caller's transaction (explicit or CLS) or on the pool, always on the primary.
 */
export function sequelizeGateway<M extends Model>(
  model: ModelStatic<M>,
  transaction?: Transaction | null,
): ModelGateway<M> {
  let gateway = gateways.get(model);
  if (!gateway) gateways.set(model, (gateway = createGateway(model)));
  const caller = callerTransactionOf(transaction);
  const base = model as unknown as ModelStatic<Model>;
  // Savepoint transactions (`transaction: parent`) share their parent's connection: racesafe calls on it take turns.
  const shared = caller && ((caller as unknown as { connection?: object }).connection ?? caller);
  return {
    ...(gateway as ModelGateway<M>),
    callerTransaction: () => (caller ? sessionOf(base, caller, shared) : undefined),
  };
}

// The per-model part of the gateway; the caller's transaction is added per call.
const gateways = new WeakMap<ModelStatic<Model>, ModelGateway<Model>>();

function createGateway<M extends Model>(model: ModelStatic<M>): ModelGateway<M> {
  const base = model as unknown as ModelStatic<Model>;
  const internals = model as unknown as ModelInternals;
  const info = modelInfo(base);
  const generator = queryGeneratorOf(base);
  const attributes = model.getAttributes() as Record<string, unknown>;
  const parsers = parsersOf(base);
  /** A stored row's values by attribute name, parsed as Sequelize's own query parses them. */
  const storedValues = (raw: Record<string, unknown>): Record<string, unknown> =>
    Object.fromEntries(
      Object.entries(raw).map(([field, value]) => {
        const property =
          (Object.hasOwn(internals.fieldRawAttributesMap, field)
            ? internals.fieldRawAttributesMap[field].fieldName
            : undefined) ?? field;
        const parse = value === null || value === undefined ? undefined : parsers?.get(property);
        return [property, parse ? parse(value) : value];
      }),
    );
  const hydrate = (raw: Record<string, unknown>): M =>
    model.build(storedValues(raw) as never, { isNewRecord: false, raw: true });
  /** One property of storedValues, as the built row's getDataValue reads it (sanitized, raw). */
  const storedValue = (raw: Record<string, unknown>, property: string): unknown => {
    const value = raw[info.byProperty.get(property)?.column ?? property];
    const parse = value === null || value === undefined ? undefined : parsers?.get(property);
    return sanitize(internals, property, parse ? parse(value) : value, true);
  };

  return {
    dialect: dialectFor(model.sequelize!.getDialect()),
    // Sequelize's `bind` takes $1, $2... on every database and rewrites them for the driver.
    placeholder: (index) => `$${index}`,
    modelName: model.name,
    tableSql: info.tableSql,
    catalogScope: model.sequelize!,
    columns: () => info.columns,
    column: (property) => info.byProperty.get(property),
    uniqueKeyAdvice: (properties) =>
      uniqueKeyAdvice(
        model.name,
        properties.map((p) => info.byProperty.get(p)?.column ?? p),
      ),
    // As Sequelize's insertQuery / updateQuery write a value: a SequelizeMethod escaped to its SQL, anything else formatted by its type and bound.
    bindValue: (property, value, addParameter) =>
      value instanceof Utils.SequelizeMethod
        ? generator.escape(value, attributes[property], { context: 'INSERT' })
        : bindOrRefuse(model.name, property, () =>
            generator.format(
              sanitize(internals, property, value),
              attributes[property],
              { context: 'INSERT' },
              addParameter,
            ),
          ),
    isOperator: holdsOperator,
    isSqlValue: (value) => value instanceof Utils.SequelizeMethod,
    insertValues(values) {
      // build() applies the model's defaultValue's, as Model.create would.
      const built = model.build(values as never).get({ plain: true }) as Record<string, unknown>;
      const now = new Date();
      const { createdAt, updatedAt } = internals._timestampAttributes;
      if (createdAt && built[createdAt] == null) built[createdAt] = now;
      if (updatedAt && built[updatedAt] == null) built[updatedAt] = now;
      if (internals._versionAttribute && built[internals._versionAttribute] == null)
        built[internals._versionAttribute] = 0;
      return Object.fromEntries(
        Object.entries(built).filter(
          ([property, value]) =>
            value !== undefined && !(value === null && isAutoIncrement(attributes[property])),
        ),
      );
    },
    updateAssignments() {
      const assignments: { property: string; sql: string }[] = [];
      const { updatedAt } = internals._timestampAttributes;
      if (updatedAt) assignments.push({ property: updatedAt, sql: 'CURRENT_TIMESTAMP' });
      const version = internals._versionAttribute;
      if (version)
        assignments.push({ property: version, sql: `${info.byProperty.get(version)!.quoted} + 1` });
      return assignments;
    },
    readValue: (row, property): unknown => row.getDataValue(property as never),
    lifecycle: (options) => sequelizeLifecycle(model, options, storedValues),
    softDeleteColumn:
      internals.options.paranoid && internals._timestampAttributes.deletedAt
        ? info.byProperty.get(internals._timestampAttributes.deletedAt)
        : undefined,
    hydrate,
    storedValue,
    callerTransaction: () => undefined,
    autocommit: (work) => work(sessionOf(base, null)),
    transaction(work, options = {}) {
      // SQLite: BEGIN IMMEDIATE (Transaction.TYPES.IMMEDIATE), see DialectAdapter.ownTransactionType.
      const type = this.dialect.ownTransactionType as Transaction.TYPES | undefined;
      // A bounded wait for the lock taken at BEGIN is the caller's bound: Sequelize's own retry of a busy BEGIN (5 attempts on SQLite) would stretch it.
      const bounded = this.dialect.beginLockWait !== undefined && options.lockWaitMs !== undefined;
      const transactionOptions = {
        ...(type ? { type } : {}),
        ...(bounded ? { retry: { max: 1 } } : {}),
      } as TransactionOptions;
      let phase: 'begin' | 'work' | 'commit' = 'begin';
      const begin = (transaction: Transaction, send: () => Promise<unknown>) =>
        beginOwnTransaction(this, sessionOf(base, transaction), send, options);
      const own = ownTransaction(
        model.sequelize!,
        transactionOptions,
        begin,
        async (transaction) => {
          phase = 'work';
          const result = await work(sessionOf(base, transaction));
          phase = 'commit';
          return result;
        },
      );
      // A BEGIN that did not get the lock (SQLITE_BUSY) is racesafe's to retry; errors of the work pass as they are, but a lost
      // connection (a hook's own statement too) is ConnectionLostError; a connection lost during COMMIT leaves the outcome unknown (IndeterminateError).
      return own.catch((error: unknown) =>
        Promise.reject(
          phase === 'work'
            ? ownWorkError(this, error)
            : translateError(this, error, phase === 'commit' ? 'unknown' : 'rolled-back'),
        ),
      );
    },
  };
}

/** Sequelize's Transaction steps that ownTransaction runs itself (Sequelize 6, lib/transaction.js). */
interface TransactionSteps {
  connection?: object;
  begin(): Promise<unknown>;
  prepareEnvironment(useCLS: boolean): Promise<unknown>;
}

/**
 * `sequelize.transaction(options, work)` as Sequelize 6 runs it (a CLS context where CLS is on,
 * prepareEnvironment, work, then commit, or rollback on error), with two additions:
 * - the BEGIN goes through `begin` on the transaction's connection, once that is acquired
 *   (beginOwnTransaction: SQLite's busy timeout around BEGIN IMMEDIATE for nowait / lockTimeoutMs);
 * - racesafe's transactions take turns on that connection (takeTurnOnceKnown): on SQLite
 *   `:memory:` Sequelize hands every transaction the same one, where two at once would send
 *   BEGIN inside BEGIN. Elsewhere each transaction has a connection of its own and never waits.
 */
function ownTransaction<T>(
  sequelize: Sequelize,
  options: TransactionOptions,
  begin: (transaction: Transaction, send: () => Promise<unknown>) => Promise<void>,
  work: (transaction: Transaction) => Promise<T>,
): Promise<T> {
  // Sequelize's own CLS context for a managed transaction (runs fn as it is where CLS is off).
  const withCls = sequelize.constructor as unknown as { _clsRun<R>(fn: () => R): R };
  return takeTurnOnceKnown((claim) =>
    withCls._clsRun(async () => {
      const transaction = new Transaction(sequelize, options);
      const steps = transaction as unknown as TransactionSteps;
      const send = steps.begin.bind(transaction);
      // prepareEnvironment acquires the connection, then calls begin().
      steps.begin = async () => {
        await claim(steps.connection!);
        await begin(transaction, send);
      };
      await steps.prepareEnvironment(true);
      let result: T;
      try {
        result = await work(transaction);
      } catch (error) {
        await transaction.rollback().catch(() => undefined);
        throw error;
      }
      await transaction.commit();
      return result;
    }),
  );
}

/**
 * Sequelize's operators are symbol keys (`{ [Op.gt]: 1 }`), at any depth of a JSON value:
 * Sequelize's where reads `{ meta: { a: { [Op.gt]: 1 } } }` as a JSON path condition, never a value.
 */
function holdsOperator(value: unknown, seen: Set<object> = new Set()): boolean {
  if (typeof value !== 'object' || value === null) return false;
  // A circular value is refused by racesafe's validation (assertWritableValues); here it must only not be walked for ever.
  if (seen.has(value)) return false;
  if (Array.isArray(value))
    return withSeen(seen, value, () => value.some((item) => holdsOperator(item, seen)));
  if (Object.getPrototypeOf(value) !== Object.prototype) return false;
  return (
    Object.getOwnPropertySymbols(value).length > 0 ||
    withSeen(seen, value, () => Object.values(value).some((item) => holdsOperator(item, seen)))
  );
}

/** `work` with `value` on the path being walked (a shared, non-circular sub-object is seen twice and is fine). */
function withSeen(seen: Set<object>, value: object, work: () => boolean): boolean {
  seen.add(value);
  try {
    return work();
  } finally {
    seen.delete(value);
  }
}

function isAutoIncrement(attribute: unknown): boolean {
  return (attribute as { autoIncrement?: boolean } | undefined)?.autoIncrement === true;
}
