/**
 * Every error racesafe throws. Each class extends {@link RaceSafeError}; errors that come
 * from the database carry the driver error as `cause` and the database's own `code`.
 *
 * @example
 * ```ts
 * try {
 *   await users.getOrCreate({ email });
 * } catch (error) {
 *   if (error instanceof RetryableError) return retryWholeTransaction();
 *   if (error instanceof ConflictError) return reply409(error.constraint);
 *   throw error;
 * }
 * ```
 */

/** Structured fields an error may carry. */
export interface RaceSafeErrorDetails {
  /** The driver error that caused this one. */
  cause?: unknown;
  /** The database's error code (PostgreSQL SQLSTATE, MySQL errno, SQLite extended code). */
  code?: string;
  /** The constraint or index the database named. */
  constraint?: string;
  /** Entity/model property names the error is about. */
  fields?: string[];
}

/** Base class of every racesafe error. `instanceof RaceSafeError` catches them all. */
export class RaceSafeError extends Error {
  /** The database's error code, when the error came from the database. */
  readonly code?: string;
  /** The constraint or index the database named, when it named one. */
  readonly constraint?: string;
  /** Property names the error is about (unknown fields, lookup columns). */
  readonly fields: string[];

  constructor(message: string, details: RaceSafeErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.code = details.code;
    this.constraint = details.constraint;
    this.fields = details.fields ?? [];
  }
}

/**
 * A property name that the entity/model does not have, or a value racesafe cannot use
 * (an `undefined` or operator value in a lookup, an empty lookup, a bad F operand).
 * Thrown before any statement is sent. `fields` lists every offending name at once.
 */
export class InvalidFieldError extends RaceSafeError {}

/**
 * Binds one value with the ORM's own conversion (`bind`); a value it cannot convert (a bigint
 * inside JSON, an invalid date for a driver that throws) is an {@link InvalidFieldError}
 * naming the property, the ORM's error as `cause`, never the ORM's raw error.
 *
 * @example
 * bindValue: (property, value, add) => bindOrRefuse(modelName, property, () => add(driver.preparePersistentValue(value, column)))
 */
export function bindOrRefuse(modelName: string, property: string, bind: () => string): string {
  try {
    return bind();
  } catch (error) {
    if (error instanceof RaceSafeError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new InvalidFieldError(
      `${modelName}: the value of ${property} cannot be written: ${reason}`,
      { fields: [property], cause: error },
    );
  }
}

/**
 * The lookup is not backed by a unique constraint or unique index on exactly its
 * columns, so the database cannot stop two callers from inserting the same row.
 * Add the constraint, or opt out explicitly with `{ advisoryLock: true }`.
 */
export class UniqueLookupRequiredError extends RaceSafeError {}

/** More than one row matched a lookup that must identify at most one row. */
export class MultipleRowsError extends RaceSafeError {}

/**
 * The INSERT violated a unique constraint other than the lookup's own (say `username`
 * while looking up by `email`). The row was not found and was not created;
 * `constraint` names what fired.
 */
export class ConflictError extends RaceSafeError {}

/**
 * The row lock could not be taken at once (`nowait`) or within `lockTimeoutMs`; on SQLite,
 * which has no row locks, the database's write lock at the BEGIN of racesafe's own transaction.
 * The caller's transaction is left usable.
 */
export class LockNotAvailableError extends RaceSafeError {}

/**
 * A deadlock or serialization failure, or a row that won the race but is invisible to
 * this transaction's snapshot (REPEATABLE READ / SERIALIZABLE). Inside a caller's
 * transaction racesafe cannot retry: roll back and retry the whole transaction.
 */
export class RetryableError extends RaceSafeError {}

/**
 * Any other database error raised while racesafe ran a statement (division by zero,
 * numeric overflow, NOT NULL violation...). The statement changed nothing.
 */
export class DatabaseError extends RaceSafeError {}

/**
 * The connection to the database was lost (terminated by an administrator or a failover:
 * PostgreSQL 57P01 / 57P02 / 57P03, class 08, a reset socket, a server that refused the
 * connection) at a point where the database had committed nothing of this call: it rolled
 * back what was sent. Safe to retry, so it is a {@link RetryableError}.
 *
 * Outside a transaction racesafe retries it itself on a fresh connection (within `retry`);
 * you see it when the retries ran out. Inside your transaction racesafe never retries: the
 * database rolled back your whole transaction, so retry the whole transaction
 * (what Django reports as `OperationalError`, Sequelize as `ConnectionError`).
 */
export class ConnectionLostError extends RetryableError {}

/**
 * The connection was lost after a statement that commits was sent (an autocommit UPDATE or
 * INSERT, racesafe's own COMMIT) and before its answer came back: it may or may not have been
 * applied, and nothing on this side can tell. racesafe never retries a call that is not
 * idempotent after this (atomicUpdate, updateOrCreate): a retry could apply it twice.
 * Read the data back to learn what happened, or treat the work as possibly done.
 *
 * getOrCreate, which is idempotent, retries it on a fresh connection: a row created by the
 * retry is returned with `created = true`; a row found may be the lost attempt's own, so
 * getOrCreate throws this error with that row in {@link IndeterminateError.row}.
 */
export class IndeterminateError extends RaceSafeError {
  /** getOrCreate only: the row, which exists now; whether this call created it is unknown. */
  readonly row?: unknown;

  constructor(message: string, details: RaceSafeErrorDetails & { row?: unknown } = {}) {
    super(message, details);
    this.row = details.row;
  }
}
