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
export { beginOwnTransaction, ownWorkError } from './own-transaction';
export { getOrCreate } from './get-or-create';
export type { Defaults } from './defaults';
export type { GetOrCreateCoreOptions } from './get-or-create';
export { updateOrCreate } from './update-or-create';
export type { UpdateOrCreateCoreOptions } from './update-or-create';
export { getOrCreateMany } from './get-or-create-many';
export type { GetOrCreateManyCoreOptions, ManyDefaults } from './get-or-create-many';
export {
  atomicUpdate,
  checkAtomicUpdate,
  isPlainEquality,
  updateLockedAndReadBack,
} from './atomic-update';
export type { AtomicUpdateCoreOptions, ReadBackOptions } from './atomic-update';
export { compileAssignments, setClause } from './assignments';
export type { Assignment } from './assignments';
export { Parameters, lookupCondition, run, translateError } from './statements';
export { withIdempotentRetries, withRetries } from './retry';
export { sameValue } from './statements';
export { takeTurn, takeTurnOnceKnown } from './turns';
export type { RetryPolicy } from './retry';
export { assertKnownFields } from './validate';
export { pgWithErrorListener } from './pg-error-listener';
export type { PgClientEvents, PgModule } from './pg-error-listener';
