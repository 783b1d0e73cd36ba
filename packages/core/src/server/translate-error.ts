import {
  ConflictError,
  ConnectionLostError,
  DatabaseError,
  IndeterminateError,
  LockNotAvailableError,
  RaceSafeError,
  RetryableError,
} from '../errors';
import type { ModelGateway } from '../gateway';
import { keyNamed, keyOnColumns } from './known-keys';

/**
 * What a lost connection did to the work sent: `rolled-back` when nothing could have committed
 * (a statement inside a transaction, which dies with the session; a SELECT; a BEGIN), `unknown`
 * when a statement that commits (an autocommit write, a COMMIT) was sent and its answer lost.
 */
export type LostOutcome = 'rolled-back' | 'unknown';

/**
 * The racesafe error for a driver error, classified by code
 * (docs/database-behaviours.md#errors-are-classified-by-code).
 */
export function translateError(
  gateway: ModelGateway<unknown>,
  error: unknown,
  lost: LostOutcome = 'rolled-back',
): unknown {
  if (error instanceof RaceSafeError) return error;
  const { kind, code, columns, beforeSending, message, ...named } =
    gateway.dialect.classifyError(error);
  // A key reported by its columns is named after the index the catalog has on exactly them.
  const constraint = named.constraint ?? (columns && keyOnColumns(gateway, columns)?.name);
  const keyColumns =
    columns ?? (constraint === undefined ? undefined : keyNamed(gateway, constraint)?.columns);
  const fields = keyColumns?.map(
    (column) => gateway.columns().find((c) => c.column === column)?.property ?? column,
  );
  const details = { cause: error, code, constraint, fields };
  // The database's own words: an ORM's wrapper may say only "Validation error" (Sequelize's
  // UniqueConstraintError).
  const reason = message ?? (error instanceof Error ? error.message : String(error));
  switch (kind) {
    case 'unique-violation':
      return new ConflictError(conflictMessage(gateway, constraint, fields, reason), details);
    case 'deadlock':
    case 'serialization-failure':
      return new RetryableError(
        `${gateway.modelName}: ${kind} (${code}); roll back and retry the whole transaction: ${reason}`,
        details,
      );
    case 'lock-not-available':
      return new LockNotAvailableError(
        `${gateway.modelName}: the row is locked by another transaction (${code}): ${reason}`,
        details,
      );
    case 'connection-lost':
      if (lost === 'unknown' && !beforeSending) {
        return new IndeterminateError(
          `${gateway.modelName}: the connection was lost before the database answered; the statement may or may not have been applied: ${reason}`,
          details,
        );
      }
      return new ConnectionLostError(
        `${gateway.modelName}: the connection was lost and nothing of this call was committed; retry (the whole transaction, when yours): ${reason}`,
        details,
      );
    default:
      return code || isOrmQueryError(error)
        ? new DatabaseError(`${gateway.modelName}: ${reason}`, details)
        : error;
  }
}

/**
 * The ORM's wrapper of a statement it sent that failed (TypeORM's QueryFailedError: `query` and
 * `driverError`; Sequelize's DatabaseError: `sql` and `original`), also with no SQLSTATE (the
 * driver could not serialise a value): a racesafe error with its cause kept. Other errors pass as
 * they are: user code's, and the ORM's own before any statement (Sequelize's connection acquire
 * timeout, a ConnectionError with `original` but no `sql`).
 */
function isOrmQueryError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  return ('driverError' in error && 'query' in error) || ('original' in error && 'sql' in error);
}

/** "User: username is taken (unique constraint UQ_1 on (username)): <the database's message>". */
function conflictMessage(
  gateway: ModelGateway<unknown>,
  constraint: string | undefined,
  fields: string[] | undefined,
  reason: string,
): string {
  const key = `unique constraint ${constraint ?? '(unnamed)'}${fields?.length ? ` on (${fields.join(', ')})` : ''}`;
  const taken = fields?.length
    ? `${fields.join(' + ')} ${fields.length > 1 ? 'are' : 'is'} taken`
    : 'a unique value is taken';
  return `${gateway.modelName}: ${taken}, so ${key} rejected the row (database: ${reason})`;
}
