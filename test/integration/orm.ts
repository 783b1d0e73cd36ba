/** A row as plain property values (entity or model instance, flattened). */
export type Row = Record<string, unknown>;
/** The caller's transaction handle: a TypeORM EntityManager or a Sequelize Transaction. */
export type Tx = unknown;
/** Tables of test/schema/tables.ts; each package maps them to its entities/models. */
export type Table =
  | 'users'
  | 'naive_users'
  | 'memberships'
  | 'counters'
  | 'items'
  | 'accounts'
  | 'audit'
  | 'posts'
  | 'notes'
  | 'documents';

/** Options as racesafe takes them; each adapter passes them the way its ORM does. */
export interface OperationOptions {
  defaults?: unknown;
  createDefaults?: unknown;
  advisoryLock?: boolean;
  nowait?: boolean;
  lockTimeoutMs?: number;
  retry?: { attempts?: number; baseDelayMs?: number };
  returning?: boolean;
  /** false: no hooks / listeners / subscribers (Sequelize `hooks: false`, TypeORM `listeners: false`). */
  hooks?: boolean;
  /** false: no validation (Sequelize `validate: false`; TypeORM does not validate). */
  validate?: boolean;
}

/**
 * One ORM package seen through a common shape, so that integration suites are written once
 * (test/integration/*.suite.ts) and run against both packages, each call made in that
 * ORM's own idiom (TypeORM: `raceSafe(repo)` / `manager.withRepository`; Sequelize:
 * model statics with the `transaction` option).
 */
export interface TestOrm {
  readonly name: 'typeorm' | 'sequelize';
  getOrCreate(
    table: Table,
    lookup: Row,
    options?: OperationOptions,
    tx?: Tx,
  ): Promise<[Row, boolean]>;
  /** TypeORM `repo.getOrCreateMany(lookups, options)`, Sequelize `Model.getOrCreateMany({ where: lookups, ...options })`. */
  getOrCreateMany(
    table: Table,
    lookups: Row[],
    options?: OperationOptions,
    tx?: Tx,
  ): Promise<[Row, boolean][]>;
  updateOrCreate(
    table: Table,
    lookup: Row,
    options?: OperationOptions,
    tx?: Tx,
  ): Promise<[Row, boolean]>;
  /** `where` in the ORM's own syntax, built with `guard`. */
  atomicUpdate(
    table: Table,
    where: unknown,
    values: Row,
    options?: OperationOptions,
    tx?: Tx,
  ): Promise<number | Row[]>;
  /** A transaction of the ORM's own, committed when `work` resolves. */
  transaction<T>(work: (tx: Tx) => Promise<T>, isolation?: 'REPEATABLE READ'): Promise<T>;
  /** The ORM's own insert (a caller's "earlier write"). */
  insert(table: Table, values: Row, tx?: Tx): Promise<void>;
  /** The ORM's own update (TypeORM `repository.update`, Sequelize `Model.update`). */
  update(table: Table, where: Row, values: Row, tx?: Tx): Promise<void>;
  /** The driver's connection under the caller's transaction `tx` (a node-postgres Client, a mysql2 Connection), to cut it in a test. */
  driverConnection(tx: Tx): unknown;
  /** Raw SQL through the ORM (in `tx` when given). */
  query(sql: string, tx?: Tx): Promise<Row[]>;
  /** The ORM's own read (TypeORM `findOneBy`, Sequelize `findOne`): on a read replica when one is configured. */
  findOne(table: Table, where: Row): Promise<Row | null>;
  /** Where clauses in the ORM's own syntax. */
  readonly guard: {
    gte(value: number): unknown;
    gt(value: string): unknown;
    lt(value: number): unknown;
    or(...clauses: Row[]): unknown;
  };
  close(): Promise<void>;
  /** The ORM's pool as it counts itself: connections open, and of those idle (PostgreSQL). */
  poolCounts?(): { total: number; idle: number };
  /** The ORM's own SQL value for the database's `now()`: Sequelize `fn('now')`, TypeORM `() => 'now()'` (SQLite: `datetime('now')`). */
  sqlNow(): unknown;
}

/** How an ORM's connections behave on a database, known before it is opened: the suites choose their tests by it. */
export interface OrmConnections {
  /**
   * Every transaction of one instance runs on one connection (TypeORM's SQLite drivers: one
   * query runner per DataSource). Two of its transactions never wait for each other in the
   * database: one opened while another is open nests in it as a savepoint (TypeORM's own doing).
   */
  oneConnection: boolean;
  /**
   * A statement that waits for another connection's lock stops this process until it gets it
   * (better-sqlite3 is synchronous: its busy wait holds the event loop), so no connection in this
   * process can release that lock meanwhile: such waits are tested across processes (test/race).
   */
  waitBlocksProcess: boolean;
}

/** How to open a TestOrm: its own pool of `poolSize`, every statement sent to `onQuery`. */
export interface OpenTestOrmOptions {
  poolSize?: number;
  onQuery?: (sql: string) => void;
  /** PostgreSQL URLs of read replicas of `url`, given to the ORM's own replication configuration (its reads go there). */
  readReplicas?: string[];
  /** How long a call waits for a pooled connection before the ORM's own acquire timeout (TypeORM pg `extra.connectionTimeoutMillis`, Sequelize `pool.acquire`); unset: TypeORM waits as long as it takes, Sequelize 60 s. */
  acquireTimeoutMs?: number;
}

/** Opens a TestOrm on a database (see {@link OpenTestOrmOptions}). */
export type OpenTestOrm = ((url: string, options?: OpenTestOrmOptions) => Promise<TestOrm>) & {
  /** Its connections on `dialect`; absent: a pool of connections that wait without blocking. */
  connectionsOn?(dialect: 'postgres' | 'mysql' | 'sqlite'): OrmConnections;
};

/** {@link OrmConnections} of `open` on `dialect`. */
export function connectionsOf(
  open: OpenTestOrm,
  dialect: 'postgres' | 'mysql' | 'sqlite',
): OrmConnections {
  return open.connectionsOn?.(dialect) ?? { oneConnection: false, waitBlocksProcess: false };
}
