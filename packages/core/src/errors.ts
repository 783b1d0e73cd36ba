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
 * The row lock could not be taken at once (`nowait`) or within `lockTimeoutMs`.
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
