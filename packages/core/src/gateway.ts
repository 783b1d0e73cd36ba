import type { DialectAdapter } from './dialects';

/** One mapped column of an entity/model. */
export interface ColumnInfo {
  /** Entity/model property name. */
  property: string;
  /** Database column name, unquoted. */
  column: string;
  /** Column SQL as the ORM quotes it. */
  quoted: string;
  /** The column holds numbers (F expressions allowed). */
  numeric: boolean;
  /** The column holds whole numbers (int, bigint...): F division on it truncates, as integer division in PostgreSQL. */
  integer: boolean;
  /** Part of the primary key. */
  primary: boolean;
  /**
   * Holds an array or a JSON document as one value (PostgreSQL arrays, json/jsonb, TypeORM
   * simple-array / simple-json): an array given for it is the column's value, so a lookup may
   * compare it whole (`tags = $1`); for any other column an array in a lookup is refused.
   */
  structured: boolean;
}

/** Rows and affected-row count of one statement. */
export interface StatementResult {
  rows: Record<string, unknown>[];
  rowCount: number;
}

/**
 * One database connection's worth of statements: the caller's transaction, a transaction
 * of racesafe's own, or autocommit statements. Holds at most one pooled connection.
 */
export interface Session {
  query(sql: string, parameters: unknown[]): Promise<StatementResult>;
  /** Statements run inside a transaction (SAVEPOINT is possible, locks are held). */
  readonly inTransaction: boolean;
  /**
   * The connection (TypeORM query runner, Sequelize transaction connection) when the
   * caller shares it with racesafe: racesafe calls on it take turns (see takeTurn).
   */
  readonly shared?: object;
  /** The ORM's own handle of these statements, handed to its hooks: TypeORM QueryRunner, Sequelize Transaction (null outside one). */
  readonly native?: unknown;
}

/** Values about to be written, as the ORM's hooks and validation left them, and what runs once they are stored. */
export interface PendingWrite<Row> {
  /** Property values to write. */
  values: Record<string, unknown>;
  /** Hydrates the stored row (raw, keyed by column), runs the ORM's after-hooks, and returns the row for the caller. */
  stored(raw: Record<string, unknown>): Promise<Row>;
}

/**
 * What the ORM runs around writing one row as its own `create()` / `save()` would:
 * validation, hooks, entity listeners, subscribers. Every hook receives `session.native`.
 */
export interface RowLifecycle<Row> {
  /**
   * Hooks may write, or run after the statement and fail: the write then runs in a savepoint,
   * or outside a transaction in one of racesafe's own, so that the hooks' writes and the
   * row stand or fall together (TypeORM's save() and Model.findOrCreate open one too).
   */
  readonly atomic: boolean;
  /**
   * beforeCreate may run code of the user's (hooks, custom validators, setters): it then runs
   * only once racesafe knows the row is missing. When false (built-in checks only, as
   * Sequelize's allowNull and type validation) racesafe may run it before its one
   * find-or-insert statement and drop the result on a hit.
   */
  readonly runsUserCode: boolean;
  /**
   * Checks the changes an UPDATE will write without the row at hand (plain values; F
   * expressions are the database's), where `runsUserCode` is false: lets updateOrCreate update
   * or create in one statement. Throws what the ORM's validation throws.
   */
  validateChanges?(changes: Record<string, unknown>, session: Session): Promise<void>;
  /** Before an INSERT (only on the miss path): validation and before-create hooks on the new row's values. */
  beforeCreate(values: Record<string, unknown>, session: Session): Promise<PendingWrite<Row>>;
  /**
   * Before the UPDATE of a locked `row` with `changes` (plain values and F expressions):
   * validation of the changed properties and before-update hooks, which may change more.
   */
  beforeUpdate(
    row: Row,
    changes: Record<string, unknown>,
    session: Session,
  ): Promise<PendingWrite<Row>>;
}

/**
 * What the algorithms need from an ORM: its model metadata, value conversion, hydration,
 * and the three ways of running statements. Each package implements one per call.
 */
export interface ModelGateway<Row> {
  readonly dialect: DialectAdapter;
  /**
   * How the ORM's query method numbers bound parameters, when that is not the dialect's own
   * way (Sequelize's `bind` takes `$1` on every database and rewrites it for the driver).
   */
  readonly placeholder?: (index: number) => string;
  /** Model name, for messages. */
  readonly modelName: string;
  /** Quoted, schema-qualified table name. */
  readonly tableSql: string;
  /** Cache key for catalog information: one per database connection configuration. */
  readonly catalogScope: object;
  columns(): readonly ColumnInfo[];
  /**
   * How to declare a unique key on exactly these properties in the ORM's own terms (TypeORM
   * `@Unique([...])`, Sequelize `indexes: [{ unique: true, fields: [...] }]`), one or two
   * sentences for UniqueLookupRequiredError's message.
   */
  uniqueKeyAdvice?(properties: string[]): string;
  column(property: string): ColumnInfo | undefined;
  /**
   * The SQL of a value to write, as the ORM's own insert / update writes it: a plain value
   * (arrays and JSON objects included) converted the way the ORM stores it and bound through
   * `addParameter`, which returns its placeholder; an ORM SQL value ({@link isSqlValue}) compiled
   * by the ORM to its SQL text, with no parameter (Sequelize `fn('now')` -> `now()`).
   */
  bindValue(property: string, value: unknown, addParameter: (value: unknown) => string): string;
  /**
   * True for an ORM operator or condition (TypeORM `MoreThan(1)`, Sequelize `{ [Op.gt]: 1 }`),
   * told by what the ORM makes it, never by its JavaScript shape: arrays and plain objects are
   * values. Operators are refused in lookups and in values to write; they belong in `where`.
   */
  isOperator(value: unknown): boolean;
  /**
   * True for an ORM SQL value (Sequelize `fn` / `literal` / `col` / `cast`, TypeORM
   * `() => 'now()'`): accepted in values to write, where the ORM's own create / update take it,
   * and written as its SQL by {@link bindValue}; refused in lookups, which compare plain values.
   */
  isSqlValue(value: unknown): boolean;
  /** Values the ORM adds on INSERT (version = 1, createdAt, model defaults), merged under the caller's. */
  insertValues(values: Record<string, unknown>): Record<string, unknown>;
  /** Assignments the ORM adds to every UPDATE (`updatedAt = CURRENT_TIMESTAMP`, `version = version + 1`), as constant SQL. */
  updateAssignments(): { property: string; sql: string }[];
  /** A property's value on a hydrated row, for change detection. */
  readValue(row: Row, property: string): unknown;
  /** Builds an entity/model instance from a raw row keyed by column name. */
  hydrate(raw: Record<string, unknown>): Row;
  /**
   * `readValue(hydrate(raw), property)` without building the row, where the ORM allows (Sequelize:
   * the column's parser and the type's sanitizer, as build() of a stored row applies them):
   * getOrCreateMany matches the rows an INSERT returned to their lookups by it, so a created row is
   * built once, by its lifecycle.
   */
  storedValue?(raw: Record<string, unknown>, property: string): unknown;
  /**
   * The ORM's write lifecycle for one call with these options (`hooks`, `validate`,
   * `listeners`), or undefined when the ORM would run nothing: racesafe then writes with no
   * extra work or round trip.
   */
  lifecycle(options: object): RowLifecycle<Row> | undefined;
  /** The column whose NULL means "not deleted" on a soft-deleting model (Sequelize paranoid, TypeORM @DeleteDateColumn). */
  readonly softDeleteColumn?: ColumnInfo;
  /** The caller's transaction, if the call runs inside one; its `shared` names the connection. */
  callerTransaction(): Session | undefined;
  /** Runs autocommit statements (no transaction of racesafe's own). */
  autocommit<T>(work: (session: Session) => Promise<T>): Promise<T>;
  /**
   * Runs work in a transaction of racesafe's own, committed when it resolves. Its BEGIN goes
   * through beginOwnTransaction (own-transaction.ts), which bounds the wait for a lock taken there (`options`).
   */
  transaction<T>(
    work: (session: Session) => Promise<T>,
    options?: OwnTransactionOptions,
  ): Promise<T>;
}

/** How a transaction of racesafe's own begins. */
export interface OwnTransactionOptions {
  /**
   * Where the dialect's lock is taken at BEGIN (DialectAdapter.beginLockWait: SQLite's write lock),
   * wait at most this many milliseconds for it (0: `nowait`), then LockNotAvailableError.
   */
  lockWaitMs?: number;
}
