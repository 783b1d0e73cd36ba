/**
 * racesafe's error classes, shared with `@racesafe/sequelize`: catch them by class.
 * See {@link RaceSafeError} for the common fields (`code`, `constraint`, `fields`, `cause`).
 */
export {
  RaceSafeError,
  InvalidFieldError,
  UniqueLookupRequiredError,
  MultipleRowsError,
  ConflictError,
  LockNotAvailableError,
  RetryableError,
  ConnectionLostError,
  IndeterminateError,
  DatabaseError,
} from '@racesafe/core';
export type { RaceSafeErrorDetails } from '@racesafe/core';
