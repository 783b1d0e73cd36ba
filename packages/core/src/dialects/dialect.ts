/** What a driver error means to racesafe, decided from its code, never its message. */
export type ErrorKind =
  | 'unique-violation'
  | 'deadlock'
  | 'serialization-failure'
  | 'lock-not-available'
  /** The session is gone (terminated backend, shutdown, reset socket): what it had not committed is rolled back. */
  | 'connection-lost'
  | 'other';

/** A driver error, classified. */
export interface ClassifiedError {
  kind: ErrorKind;
  /** SQLSTATE / errno / extended code as the driver reported it. */
  code?: string;
  /** The constraint or index the database named, if any. */
  constraint?: string;
  /** The columns of a violated unique key, where the database names columns instead (SQLite): server/translate-error.ts maps them to the key. */
  columns?: string[];
  /** The database's own message (the driver error's, not an ORM wrapper's generic text). */
  message?: string;
  /** connection-lost only: the connection could not be opened, so no statement reached the server. */
  beforeSending?: boolean;
}

/** A unique constraint or unique index as the catalog describes it. */
export interface UniqueKey {
  /** Index name: what the database reports as `constraint` on a violation. */
  name: string;
  /** Column names (database names, not properties), in index order. */
  columns: string[];
  /** True when NULLs compare equal for this key (PostgreSQL 15+ NULLS NOT DISTINCT). */
  nullsNotDistinct: boolean;
  /** Expression and deferrable keys cannot stop duplicates of a plain lookup (partial ones: see `predicate`). */
  usableForLookup: boolean;
  /** A partial key's predicate as SQL (`("deletedAt" IS NULL)`); undefined for a key on every row. */
  predicate?: string;
}

/** Row-lock strengths a locking read may ask for. */
export type LockStrength = 'update' | 'no-key-update' | 'share';

/**
 * Everything racesafe needs to know about one database. Operations ask these
 * questions; they never look at the dialect's name.
 */
export interface DialectAdapter {
  /** The name the ORMs use for this database (`postgres`). */
  readonly name: string;
  /** Other names the ORMs use for the same adapter (`mariadb`). */
  readonly aliases?: readonly string[];
  /** Placeholder for the n-th (1-based) bound parameter. */
  readonly placeholder: (index: number) => string;
  /** Quotes an identifier (used only when the ORM offers no quoting of its own). */
  quoteIdentifier(name: string): string;
  /** `INSERT ... ON CONFLICT (lookup) DO NOTHING RETURNING *` exists: no savepoint needed outside a transaction. */
  readonly supportsInsertIgnoringConflictOn: boolean;
  /** The clause after an INSERT's VALUES that skips a row whose `key` is taken (`ON CONFLICT (...) [WHERE ...] DO NOTHING`). */
  skipConflictClause(key: UniqueKey): string;
  /** True when a partial key's predicate is exactly "`column` IS NULL": the key of a soft-deleting model's live rows. */
  isNotDeletedPredicate(predicate: string, column: string): boolean;
  /** `UPDATE ... RETURNING *` exists. */
  readonly supportsReturning: boolean;
  /**
   * Without `UPDATE ... RETURNING`: an UPDATE and the SELECT reading back what it wrote, sent as
   * one compound statement (MariaDB's `BEGIN NOT ATOMIC ... END`), so atomicUpdate `returning`
   * costs one round trip. `availableSql` (no parameter) answers in column `available` whether
   * this server runs them (MySQL 8 has no compound statement outside stored programs).
   */
  readonly updateThenSelect?: {
    readonly availableSql: string;
    /**
     * The compound statement: count and lock the rows `locking` names (`t WHERE <where> FOR
     * UPDATE`, the rest of a `SELECT COUNT(*) FROM`), run `update`, then `select` only when that
     * count was not 0 (its WHERE gets `AND <matched>`); in a transaction of its own that a
     * failure rolls back before the error is raised again (`ownTransaction`), else in the caller's.
     * Placeholders appear in that order: locking's, update's, select's.
     */
    statement(
      steps: { locking: string; update: string; select: (matched: string) => string },
      ownTransaction: boolean,
    ): string;
  };
  /**
   * updateOrCreate as one compound statement (MariaDB's `BEGIN NOT ATOMIC ... END`), so it costs one
   * round trip without `UPDATE ... RETURNING` or data-modifying WITH: lock the lookup's row, UPDATE
   * it or INSERT it, read it back with whether it was created. `availableSql` (no parameter)
   * answers in column `available` whether this server runs compound statements (MySQL 8 does not
   * outside stored programs).
   */
  readonly updateOrInsert?: {
    readonly availableSql: string;
    /**
     * The compound statement: count and lock the lookup's live row (`locking`, the rest of a
     * `SELECT COUNT(*) FROM`: `t WHERE <lookup> FOR UPDATE`, no NOWAIT), waiting at most `lockWaitMs`
     * when given, 0 not at all (a whole number racesafe has checked, written as digits: the wait is
     * a server variable);
     * if it was there run `update` (none: leave it), else `insert`; then `select`, given the SQL of
     * "this statement created the row" (0 or 1). In a transaction of its own that a failure rolls
     * back before the error is raised again, at READ COMMITTED so that the locking read of a missing
     * row locks no gap (`ownTransaction`), else in the caller's. Placeholders appear in that order:
     * locking's, update's, insert's, select's.
     */
    statement(
      steps: {
        locking: string;
        lockWaitMs?: number;
        update?: string;
        insert: string;
        select: (created: string) => string;
      },
      ownTransaction: boolean,
    ): string;
    /**
     * SQL true when a column already holds a bound value byte for byte, NULL included (`BINARY col
     * <=> BINARY ?`): the UPDATE skips a row its plain defaults would not change, as the locking
     * path sends no UPDATE then. Collation-blind, so 'Bob' over 'bob' is a change, as in JavaScript.
     */
    sameStoredValue(column: string, placeholder: string): string;
    /**
     * sameStoredValue compares this value, as bound, faithfully. MariaDB reads a bound non-finite
     * double (Infinity, -Infinity, NaN) as 0 where it compares text (`BINARY ?` is '0'): an
     * Infinity would be "the same" as a stored 0 and the UPDATE that refuses it (1264, as the ORM's
     * own update does) would be skipped. The UPDATE then goes unguarded.
     */
    comparesBoundValue(value: unknown): boolean;
  };
  /**
   * getOrCreate as one compound statement (MariaDB's `BEGIN NOT ATOMIC ... END`), so a miss costs one
   * round trip without `RETURNING` or data-modifying WITH: count the lookup's live row with a plain
   * read, INSERT it if there was none, read it back with whether it was created. A 1062 from the
   * INSERT is caught inside: if the lookup's row is now there (a concurrent creator committed it
   * first), it is read with a locking read, which sees it under REPEATABLE READ too; if not (another
   * key's conflict), the 1062 is raised again. `availableSql` (no parameter) answers in column
   * `available` whether this server runs compound statements (MySQL 8 does not outside stored programs).
   */
  readonly findOrInsert?: {
    readonly availableSql: string;
    /**
     * The compound statement: `SELECT COUNT(*) INTO <found> FROM <found>` (`t WHERE <lookup>`); if 0,
     * `insert`, with a handler for its 1062 that counts `winner` (`t WHERE <lookup> <locking read>`)
     * and raises the error again when that count is 0; then `select` given the SQL of "this
     * statement created the row" (0 or 1), or `selectWinner` after a lost race. In a transaction of
     * its own that a failure rolls back before the error is raised again, at READ COMMITTED
     * (`ownTransaction`), else in the caller's. Placeholders appear in that order: found's,
     * winner's, insert's, select's, selectWinner's.
     */
    statement(
      steps: {
        found: string;
        winner: string;
        insert: string;
        select: (created: string) => string;
        selectWinner: string;
      },
      ownTransaction: boolean,
    ): string;
  };
  /**
   * getOrCreateMany's INSERT of a chunk's missing rows and the SELECT reading them back, as one
   * compound statement (MariaDB's `BEGIN NOT ATOMIC ... END`): without `RETURNING` the rows are read
   * back under the INSERT's locks, in one round trip. `availableSql` as for updateOrInsert.
   */
  readonly insertThenSelect?: {
    readonly availableSql: string;
    /**
     * `insert`, then `select`, in a transaction of its own that a failure rolls back before the
     * error is raised again (`ownTransaction`), else in the caller's, where an error ends only
     * that statement. Placeholders appear in that order.
     */
    statement(steps: { insert: string; select: string }, ownTransaction: boolean): string;
  };
  /**
   * `INSERT ... ON CONFLICT (<key>) DO UPDATE SET ... RETURNING *` that also tells a row it inserted
   * from one it updated (PostgreSQL: `(xmax = 0)`, the new row version carries the updating
   * transaction's lock as its xmax), so updateOrCreate on a new key costs one statement that cannot
   * lose the insert race. Undefined where the database has no such marker.
   */
  readonly insertOrUpdate?: {
    /** The clause after an INSERT's VALUES that updates the row holding `key` with `set` instead. */
    conflictClause(key: UniqueKey, set: string): string;
    /** SQL, in the RETURNING list, true when this statement inserted the row. */
    readonly createdSql: string;
  };
  /**
   * A WITH query may hold `INSERT` / `UPDATE ... RETURNING` (PostgreSQL's data-modifying CTEs):
   * getOrCreate finds or creates, and updateOrCreate updates or creates, in one statement.
   */
  readonly writesInWith: boolean;
  /**
   * A batch bound as one array per column and read back as typed rows (PostgreSQL
   * `unnest($1::text[], $2::integer[]) WITH ORDINALITY`): getOrCreateMany then inserts only the
   * keys no row has in one statement per chunk. Undefined where the database has no array parameters.
   */
  readonly arrayRows?: {
    /**
     * SQL (one placeholder, the quoted table name) listing the table's columns as rows `name`,
     * `type` (the SQL type whose array a column's values are cast to, without length or precision,
     * so that the INSERT checks those as it checks a scalar value) and `arrayable` (true when a
     * value survives the array text form exactly as a scalar parameter: no array, JSON or composite type).
     */
    columnTypesSql(placeholder: string): string;
    /** The FROM item of the rows: each array cast to its type's array, unnested side by side, named `alias(columns..., ordinal)`. */
    source(
      arrays: { placeholder: string; type: string }[],
      alias: string,
      columns: string[],
      ordinal: string,
    ): string;
  };
  /** Most bound parameters one statement may carry (getOrCreateMany chunks its lookups under it). */
  readonly maxBoundParameters: number;
  /**
   * The driver binds a plain object or an array as ONE parameter (node-postgres: JSON or array
   * text). The SQLite drivers take an object's keys as named parameters and spread an array over
   * several placeholders, and mysql2's client-side formatting writes both into the SQL as lists:
   * there such a value would shift or break the statement's other values (TypeORM's own insert
   * stores them one column off), so the TypeORM gateway refuses one left by the column's
   * conversion with InvalidFieldError before any statement. Sequelize's validation refuses them.
   */
  readonly bindsObjectsAsOneValue: boolean;
  /**
   * Most lookups one `(...) OR (...)` condition may join, where the parser nests each OR one level
   * deeper and limits the depth (SQLite: SQLITE_MAX_EXPR_DEPTH, 1000); undefined: no such limit.
   */
  readonly maxOrTerms?: number;
  /**
   * An UPDATE's SET assignments apply left to right, each seeing the columns assigned before
   * it (MySQL, MariaDB without SIMULTANEOUS_ASSIGNMENT). racesafe then orders them so that
   * every F expression still reads the row as it was, as in standard SQL.
   */
  readonly sequentialAssignments: boolean;
  /**
   * A bound whole-number F operand as SQL. MySQL computes `big + ?` with a string or a
   * double parameter in floating point (exact only to 2^53), so it casts: `CAST(? AS SIGNED)`.
   */
  readonly integerOperand: (placeholder: string) => string;
  /** `left / right` of two whole numbers, truncating as PostgreSQL's integer `/` (MySQL: `DIV`; its `/` is exact division). */
  readonly integerDivision: (left: string, right: string) => string;
  /**
   * Lock strength of the re-read after a lost insert race, or null for a plain read.
   * MySQL REPEATABLE READ needs FOR SHARE to see the winner's row; PostgreSQL does not.
   */
  readonly lockingReadAfterConflict: LockStrength | null;
  /**
   * A locking read that finds no row locks the gap where it would be (MySQL REPEATABLE
   * READ), so two transactions that both read a missing key and then insert it deadlock
   * (docs/database-behaviours.md#mysql-gap-locks-deadlock-two-inserts): racesafe's own updateOrCreate then creates the row outside its locking transaction.
   */
  readonly missingRowLockBlocksInserts: boolean;
  // The SQL builders below take their one parameter's placeholder: it is the ORM's to number (`?`, `$1`).
  /** The locking clause appended to a SELECT. */
  lockClause(strength: LockStrength, options: { nowait?: boolean }): string;
  /** SQL (with one placeholder for milliseconds) returning the previous lock timeout and setting a new one for this transaction. */
  setLockTimeoutSql(placeholder: string): string;
  /** SQL (one placeholder, the value returned by setLockTimeoutSql) restoring the lock timeout. */
  restoreLockTimeoutSql(placeholder: string): string;
  /**
   * The lock timeout set by setLockTimeoutSql outlives a failed statement and a ROLLBACK TO
   * SAVEPOINT (MySQL's session variable), so racesafe restores it after a lock wait that
   * failed too; false where the rollback undoes it (PostgreSQL's SET LOCAL).
   */
  readonly lockTimeoutOutlivesRollback: boolean;
  /**
   * SQL (no parameter) answering whether this session fails, rather than silently truncates,
   * a division by zero or an out-of-range result: one row, `strict` 1 or 0, and `mode`.
   * Undefined where the database always fails them (PostgreSQL).
   */
  readonly strictArithmeticSql?: string;
  /**
   * SQL (one placeholder, a text key) taking a transaction-scoped advisory lock, or
   * undefined where the database has none (MySQL's GET_LOCK is held by the session, not the
   * transaction: a pooled connection would keep it).
   */
  advisoryLockSql(placeholder: string): string | undefined;
  /**
   * A deadlock rolls back the whole transaction and erases its savepoints (MySQL: docs/database-behaviours.md#a-mysql-deadlock-ends-the-whole-transaction):
   * racesafe then sends no ROLLBACK TO SAVEPOINT (it would fail with 1305) and reports the
   * transaction as rolled back.
   */
  readonly deadlockEndsTransaction: boolean;
  /** The statements that roll back to a savepoint and release it, as few round trips as the driver allows. */
  rollbackToSavepoint(name: string): string[];
  /** SQL (one placeholder, bound to {@link DialectAdapter.catalogTable} of the quoted table name) listing its unique keys as UniqueKey rows. */
  uniqueKeysSql(placeholder: string): string;
  /**
   * The value the catalog reads bind for a table, from its quoted (possibly schema-qualified) name:
   * PostgreSQL the quoted name itself (to_regclass parses it), MySQL its schema and name, SQLite its bare name.
   */
  catalogTable(tableSql: string): string;
  /** Parses one row of uniqueKeysSql. */
  readonly parseUniqueKey: (row: Record<string, unknown>) => UniqueKey;
  /** Classifies a driver error by code. */
  classifyError(error: unknown): ClassifiedError;
  /**
   * The BEGIN mode of racesafe's own transactions (SQLite `BEGIN IMMEDIATE`, Sequelize
   * `Transaction.TYPES.IMMEDIATE`), or undefined for the ORM's plain BEGIN. With no row locks
   * the database write lock is the lock: taken at BEGIN, a read is never followed by an upgrade
   * that fails at once, whatever the busy timeout (SQLITE_BUSY_SNAPSHOT: docs/database-behaviours.md#sqlite-a-reader-cannot-become-a-writer-after-another-commit).
   */
  readonly ownTransactionType?: 'IMMEDIATE';
  /**
   * Put before a statement whose rows racesafe reads (`... RETURNING *`), where drivers pick
   * how to run a statement from its first word (node-sqlite3's run() returns no rows).
   */
  readonly returningStatementPrefix?: string;
  /**
   * No row locks: the lock updateOrCreate waits for is the database's write lock, taken by the BEGIN
   * of racesafe's own transaction (SQLite `BEGIN IMMEDIATE`, see ownTransactionType). `nowait` and
   * `lockTimeoutMs` then bound that BEGIN's wait through these statements (SQLite's busy timeout),
   * and the read sends no lock clause and no setLockTimeoutSql. Undefined where rows are locked.
   */
  readonly beginLockWait?: {
    /** SQL (no parameter) returning the connection's current wait in milliseconds as one row, `previous`. */
    readonly readSql: string;
    /** SQL setting the wait to `ms`, a whole number racesafe has checked: written as digits (a PRAGMA takes no bound parameter). */
    setSql(ms: number): string;
  };
  /**
   * An integer column keeps a fractional value as given (SQLite's type affinity stores 3.6 in an
   * INTEGER column): racesafe refuses, before any statement, an F expression whose value is not a
   * whole number for an integer column (a fractional operand, a REAL column in the chain).
   */
  readonly integerColumnsKeepFractions?: boolean;
  /** SQL (no parameter) returning the database's version as one row, `version`, checked once per connection configuration. */
  readonly serverVersionSql?: string;
  /** The oldest version racesafe runs on (`3.35.0`); older ones are refused by name before any other statement. */
  readonly minimumServerVersion?: string;
}
