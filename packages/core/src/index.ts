/**
 * @racesafe/core: the ORM-independent part of racesafe. Applications import
 * `@racesafe/typeorm` or `@racesafe/sequelize`, which re-export what they need from here.
 * @packageDocumentation
 */
export * from './errors';
export { F, FExpression, isFExpression, compileExpression, checkExpression } from './expressions';
export type {
  FName,
  FOn,
  FOperand,
  FOperator,
  FStep,
  FCompileContext,
  NumericProperties,
  UncheckedName,
} from './expressions';
export {
  dialectFor,
  duplicateKeyName,
  mysqlDialect,
  postgresDialect,
  sqliteDialect,
  sqliteUniqueViolation,
} from './dialects';
export type {
  ClassifiedError,
  DialectAdapter,
  ErrorKind,
  LockStrength,
  UniqueKey,
} from './dialects';
export type {
  ColumnInfo,
  ModelGateway,
  OwnTransactionOptions,
  PendingWrite,
  RowLifecycle,
  Session,
  StatementResult,
} from './gateway';
export { beginOwnTransaction, ownWorkError } from './db/own-transaction';
export { getOrCreate } from './operations/get-or-create';
export type { Defaults } from './steps/defaults';
export type { GetOrCreateCoreOptions } from './operations/get-or-create';
export { updateOrCreate } from './operations/update-or-create';
export type { UpdateOrCreateCoreOptions } from './operations/update-or-create';
export { getOrCreateMany } from './operations/get-or-create-many';
export type { GetOrCreateManyCoreOptions } from './operations/get-or-create-many';
export type { ManyDefaults } from './steps/defaults';
export {
  atomicUpdate,
  checkAtomicUpdate,
  isPlainEquality,
  updateLockedAndReadBack,
} from './operations/atomic-update';
export type { AtomicUpdateCoreOptions, ReadBackOptions } from './operations/atomic-update';
export { compileAssignments, setClause } from './sql/assignments';
export type { Assignment } from './sql/assignments';
export { Parameters } from './sql/parameters';
export { lookupCondition } from './sql/conditions';
export { run } from './db/run';
export { translateError } from './server/translate-error';
export { withIdempotentRetries, withRetries } from './db/retry';
export { sameValue } from './sql/same-value';
export { takeTurn, takeTurnOnceKnown } from './db/turns';
export type { RetryPolicy } from './db/retry';
export { assertKnownFields, isPlainObject } from './validate';
export { pgWithErrorListener } from './db/pg-error-listener';
export type { PgClientEvents, PgModule } from './db/pg-error-listener';
