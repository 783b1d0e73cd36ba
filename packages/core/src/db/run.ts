import type { ModelGateway, Session, StatementResult } from '../gateway';
import { keyNamed, keysKnown } from '../server/known-keys';
import { assertSupportedVersion } from '../server/server-version';
import { type LostOutcome, translateError } from '../server/translate-error';
import { refreshUniqueKeys, uniqueKeys } from '../server/unique-keys';

/**
 * Runs one statement; a driver error comes back as the matching {@link RaceSafeError}. The
 * first statement per connection configuration checks the database version first, where the
 * adapter has a minimum (see assertSupportedVersion).
 */
export function run(
  gateway: ModelGateway<unknown>,
  session: Session,
  sql: string,
  parameters: unknown[] = [],
): Promise<StatementResult> {
  const versionChecked = assertSupportedVersion(gateway, session);
  if (versionChecked) return versionChecked.then(() => run(gateway, session, sql, parameters));
  const prefix = gateway.dialect.returningStatementPrefix;
  const reads = /^\s*(SELECT|SET|PRAGMA)\b/i.test(sql);
  return session
    .query(prefix && sql.endsWith(' RETURNING *') ? prefix + sql : sql, parameters)
    .then(
      (result) => {
        // Outside a transaction an acknowledged write has committed: a later lost statement of this
        // call (MariaDB's read-back) cannot undo it.
        if (!session.inTransaction && !reads) committedWrites.add(session);
        return result;
      },
      async (error: unknown) => {
        await readKeysForViolation(gateway, session, error);
        throw translateError(gateway, error, lostOutcome(session, reads));
      },
    );
}

// Autocommit sessions (one per racesafe call attempt) on which a write has committed.
const committedWrites = new WeakSet<Session>();

/**
 * What a lost connection did to `session`'s work, by whether a write of this call could have
 * committed, not by whether one was acknowledged. Inside a transaction (the caller's, or racesafe's
 * own before its COMMIT, which is judged apart) nothing can have: the server rolls the whole
 * transaction back, whatever statement was in flight. Outside one, an autocommit write may have
 * committed: the lost statement itself, or an earlier write of this call (MariaDB's read-back).
 */
function lostOutcome(session: Session, reads: boolean): LostOutcome {
  if (session.inTransaction) return 'rolled-back';
  return reads && !committedWrites.has(session) ? 'rolled-back' : 'unknown';
}

/**
 * Reads the table's unique keys before a unique violation is translated, when the cache cannot
 * name its key's columns: SQLite names a key only by its columns, PostgreSQL and MySQL by a name
 * the catalog maps to columns (ConflictError.fields). Only on a session that can still run a
 * statement: outside a transaction, or on SQLite, whose transaction survives the error.
 */
async function readKeysForViolation(
  gateway: ModelGateway<unknown>,
  session: Session,
  error: unknown,
): Promise<void> {
  const { kind, constraint, columns } = gateway.dialect.classifyError(error);
  if (kind !== 'unique-violation') return;
  if (columns) {
    if (!keysKnown(gateway)) await uniqueKeys(gateway, session).catch(() => undefined);
    return;
  }
  if (constraint === undefined || keyNamed(gateway, constraint) || session.inTransaction) return;
  // A key created since the catalog was read (or never read: atomicUpdate) is looked up again.
  await refreshUniqueKeys(gateway, session).catch(() => undefined);
}
