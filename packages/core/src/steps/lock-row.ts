import type { LockStrength } from '../dialects';
import type { ModelGateway, Session } from '../gateway';
import { findOne } from '../db/queries';
import { run } from '../db/run';
import { inSavepoint } from '../db/transactions';
import { onlyPlaceholder } from '../sql/parameters';

/**
 * FOR NO KEY UPDATE does not block foreign-key inserts elsewhere; writing a key column needs FOR
 * UPDATE.
 */
export function lockStrengthFor(
  gateway: ModelGateway<unknown>,
  defaults: Record<string, unknown>,
  keyColumns: string[],
): LockStrength {
  const writesKey = Object.keys(defaults).some((property) => {
    const column = gateway.column(property);
    return column !== undefined && (column.primary || keyColumns.includes(column.column));
  });
  return writesKey ? 'update' : 'no-key-update';
}

/**
 * SELECT ... FOR [NO KEY] UPDATE [NOWAIT], bounded by lockTimeoutMs. A lock failure (55P03)
 * would abort the transaction, so those variants run in a savepoint. Without row locks
 * (dialect.beginLockWait, SQLite) a plain SELECT: the write lock is the lock, and its wait was
 * bounded at the BEGIN of racesafe's own transaction.
 */
export async function lockRowForUpdate<Row>(
  gateway: ModelGateway<Row>,
  session: Session,
  lookup: Record<string, unknown>,
  strength: LockStrength,
  options: { nowait?: boolean; lockTimeoutMs?: number },
): Promise<Row | undefined> {
  const lock = { strength, nowait: options.nowait };
  if (gateway.dialect.beginLockWait || (!options.nowait && options.lockTimeoutMs === undefined))
    return findOne(gateway, session, lookup, lock);
  return inSavepoint(gateway, session, async () => {
    if (options.lockTimeoutMs === undefined) return findOne(gateway, session, lookup, lock);
    const { dialect } = gateway;
    const { rows } = await run(
      gateway,
      session,
      dialect.setLockTimeoutSql(onlyPlaceholder(gateway)),
      [String(options.lockTimeoutMs)],
    );
    // PostgreSQL returns the previous setting; MySQL keeps it in a session variable (null here).
    const restore = () =>
      run(gateway, session, dialect.restoreLockTimeoutSql(onlyPlaceholder(gateway)), [
        rows[0]?.previous ?? null,
      ]);
    let row: Row | undefined;
    try {
      row = await findOne(gateway, session, lookup, lock);
    } catch (error) {
      // MySQL: 1205 ends only the statement
      // (docs/database-behaviours.md#a-mysql-lock-wait-timeout-ends-only-the-statement) and the
      // session variable stays set, on a pooled connection too.
      if (dialect.lockTimeoutOutlivesRollback) await restore();
      throw error;
    }
    await restore();
    return row;
  });
}
