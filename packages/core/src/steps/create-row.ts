import type { UniqueKey } from '../dialects';
import { ConflictError, DatabaseError, InvalidFieldError } from '../errors';
import type { ModelGateway, RowLifecycle, Session } from '../gateway';
import type { LookupCall } from './lookup-call';
import { inSavepoint } from '../db/transactions';
import { insertRaw, insertRow } from '../db/queries';
import { sameValue } from '../sql/same-value';

// The INSERT of a new row, plain or inside the ORM's create lifecycle; both yield undefined
// when a concurrent caller took the lookup's key first (the caller then reads the winner).

/**
 * The database refused a row for its values (a NOT NULL or CHECK constraint, another unique key,
 * a value out of range): racesafe's ConflictError or DatabaseError, not a lost connection or a
 * lock. PostgreSQL checks those before `ON CONFLICT` skips a row whose key is taken, so an INSERT
 * sent first can fail on a row that exists; getOrCreate's `insert-first` and updateOrCreate's
 * `insert-or-update` then take the path that reads (or locks) the row first.
 */
export function refusedForItsValues(error: unknown): boolean {
  return error instanceof ConflictError || error instanceof DatabaseError;
}

/**
 * INSERT that yields undefined, never an error, when the lookup's own key is already
 * taken. Inside a transaction it runs in a savepoint, so any other error (another
 * constraint, NOT NULL) leaves the caller's transaction usable.
 */
export async function insertUnlessTaken<Row>(
  gateway: ModelGateway<Row>,
  session: Session,
  values: Record<string, unknown>,
  key: UniqueKey,
): Promise<Row | undefined> {
  const insert = () =>
    insertRow(gateway, session, values, {
      key,
      skip: gateway.dialect.supportsInsertIgnoringConflictOn,
    });
  try {
    // Outside a transaction a failed INSERT aborts nothing, and ON CONFLICT DO NOTHING cannot fail
    // on the key: no savepoint.
    return await (session.inTransaction ? inSavepoint(gateway, session, insert) : insert());
  } catch (error) {
    // Without ON CONFLICT the loser sees a unique violation on the lookup's own key (23505 / 1062).
    if (error instanceof ConflictError && error.constraint === key.name) return undefined;
    throw error;
  }
}

/**
 * A lost insert race inside createWithHooks: unwinds the hooks' writes with the savepoint or
 * transaction.
 */
class LostRace extends Error {}

/**
 * The ORM's create lifecycle around one INSERT, all inside `atomically` (a savepoint, or
 * racesafe's own transaction): validation and before-create hooks, the INSERT of the values
 * as the hooks left them, after-create hooks. Undefined when a concurrent caller took the
 * lookup first: the hooks' writes are rolled back and no after-create hook runs for this caller.
 */
export async function createWithHooks<Row>(
  call: LookupCall<Row> & { lifecycle: RowLifecycle<Row> },
  values: Record<string, unknown>,
  atomically: (work: (session: Session) => Promise<Row>) => Promise<Row>,
): Promise<Row | undefined> {
  const { gateway, lookup, key, lifecycle } = call;
  const by = { key, skip: gateway.dialect.supportsInsertIgnoringConflictOn };
  try {
    return await atomically(async (session) => {
      const pending = await lifecycle.beforeCreate(values, session);
      assertLookupKept(gateway, lookup, pending.values);
      const raw = await insertRaw(gateway, session, pending.values, by);
      if (!raw) throw new LostRace();
      return pending.stored(raw);
    });
  } catch (error) {
    if (error instanceof LostRace) return undefined;
    if (error instanceof ConflictError && error.constraint === key.name) return undefined;
    throw error;
  }
}

/**
 * A hook that changed a lookup property (a beforeCreate that lowercases the email) would store
 * a row its own lookup never finds again, and loop on the lost-race path: refused, nothing written.
 */
export function assertLookupKept(
  gateway: ModelGateway<unknown>,
  lookup: Record<string, unknown>,
  values: Record<string, unknown>,
): void {
  const changed = Object.keys(lookup).filter(
    (property) => !sameValue(values[property], lookup[property]),
  );
  if (changed.length === 0) return;
  throw new InvalidFieldError(
    `${gateway.modelName}: a hook changed the lookup propert${changed.length === 1 ? 'y' : 'ies'} ` +
      `${changed.map((p) => `${p} (${JSON.stringify(lookup[p])} became ${JSON.stringify(values[p])})`).join(', ')}, ` +
      `so the row it would create could never be found by this lookup. Normalise the value before the call instead.`,
    { fields: changed },
  );
}

/**
 * Creates a row outside any caller's transaction: in a transaction of racesafe's own when the
 * ORM's hooks may write (their writes and the row stand or fall together), else autocommit.
 * Undefined when a concurrent caller took the key first.
 */
export function createOnItsOwn<Row>(
  call: LookupCall<Row>,
  values: Record<string, unknown>,
): Promise<Row | undefined> {
  const { gateway, key, lifecycle } = call;
  if (lifecycle?.atomic)
    return createWithHooks({ ...call, lifecycle }, values, (work) => gateway.transaction(work));
  // Without RETURNING the row is read back after the INSERT: in the INSERT's transaction it is
  // still the version written, not a later one.
  if (!gateway.dialect.supportsReturning) {
    return gateway.transaction((session) =>
      lifecycle
        ? createWithHooks({ ...call, lifecycle }, values, (work) =>
            inSavepoint(gateway, session, () => work(session)),
          )
        : insertUnlessTaken(gateway, session, values, key),
    );
  }
  return gateway.autocommit((session) =>
    lifecycle
      ? createWithHooks({ ...call, lifecycle }, values, (work) => work(session))
      : insertUnlessTaken(gateway, session, values, key),
  );
}
