import type { UniqueKey } from '../dialects';
import { ConflictError, RetryableError } from '../errors';
import type { ModelGateway, Session } from '../gateway';
import { findOne } from '../db/queries';

/** The row that won the insert race, read on the same connection (the primary). */
export async function readWinner<Row>(
  gateway: ModelGateway<Row>,
  session: Session,
  lookup: Record<string, unknown>,
  key: UniqueKey,
): Promise<Row> {
  const strength = gateway.dialect.lockingReadAfterConflict;
  const winner = await findOne(gateway, session, lookup, strength ? { strength } : null);
  if (winner) return winner;
  await assertNoDeletedRowHolds(gateway, session, lookup, key);
  // REPEATABLE READ / SERIALIZABLE snapshot predates the winner's commit
  // (docs/database-behaviours.md#a-snapshot-cannot-see-the-winner), or it was deleted since.
  throw new RetryableError(
    `${gateway.modelName}: another transaction created this row, but it is not visible in this transaction's snapshot ` +
      `(REPEATABLE READ / SERIALIZABLE) or was deleted since. Roll back and retry the whole transaction.`,
    { fields: Object.keys(lookup) },
  );
}

/**
 * ConflictError when a soft-deleted row holds the lookup under a full unique key (MySQL and
 * MariaDB have no other kind): the INSERT was refused and no live row will ever be found, so
 * retrying cannot help. Called where an INSERT lost its key and no live row turned up.
 */
export async function assertNoDeletedRowHolds(
  gateway: ModelGateway<unknown>,
  session: Session,
  lookup: Record<string, unknown>,
  key: UniqueKey,
): Promise<void> {
  if (
    gateway.softDeleteColumn &&
    key.predicate === undefined &&
    (await findOne(gateway, session, lookup, null, true))
  ) {
    throw new ConflictError(
      `${gateway.modelName}: a soft-deleted row holds this lookup, and unique key ${key.name} covers deleted rows too, so no live row can be created. ` +
        `Restore the deleted row, or make the key a partial unique index WHERE ${gateway.softDeleteColumn.column} IS NULL.`,
      { constraint: key.name, fields: Object.keys(lookup) },
    );
  }
}
