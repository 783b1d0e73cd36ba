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
  /** Part of the primary key. */
  primary: boolean;
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
}

/**
 * What the algorithms need from an ORM: its model metadata, value conversion, hydration,
 * and the three ways of running statements. Each package implements one per call.
 */
export interface ModelGateway<Row> {
  readonly dialect: DialectAdapter;
  /** Model name, for messages. */
  readonly modelName: string;
  /** Quoted, schema-qualified table name. */
  readonly tableSql: string;
  /** Cache key for catalog information: one per database connection configuration. */
  readonly catalogScope: object;
  columns(): readonly ColumnInfo[];
  column(property: string): ColumnInfo | undefined;
  /** Binds a property value the way the ORM stores it; returns the placeholder. */
  bindValue(property: string, value: unknown, addParameter: (value: unknown) => string): string;
  /** True for a value that is an ORM operator or query object, not a plain value. */
  isOperator(value: unknown): boolean;
  /** Values the ORM adds on INSERT (version = 1, createdAt, model defaults), merged under the caller's. */
  insertValues(values: Record<string, unknown>): Record<string, unknown>;
  /** Assignments the ORM adds to every UPDATE (`updatedAt = CURRENT_TIMESTAMP`, `version = version + 1`), as constant SQL. */
  updateAssignments(): { property: string; sql: string }[];
  /** A property's value on a hydrated row, for change detection. */
  readValue(row: Row, property: string): unknown;
  /** Builds an entity/model instance from a raw row keyed by column name. */
  hydrate(raw: Record<string, unknown>): Row;
  /** The caller's transaction, if the call runs inside one; its `shared` names the connection. */
  callerTransaction(): Session | undefined;
  /** Runs autocommit statements (no transaction of racesafe's own). */
  autocommit<T>(work: (session: Session) => Promise<T>): Promise<T>;
  /** Runs work in a transaction of racesafe's own, committed when it resolves. */
  transaction<T>(work: (session: Session) => Promise<T>): Promise<T>;
}
