import { LockNotAvailableError, RaceSafeError } from '../errors';
import type { ModelGateway, OwnTransactionOptions, Session } from '../gateway';
import { run } from './run';
import { translateError } from '../server/translate-error';

/**
 * Sends the BEGIN of a transaction of racesafe's own (`begin`, the ORM's way of sending it) on
 * `session`, the connection it will run on. A driver error at BEGIN becomes the matching
 * racesafe error (SQLITE_BUSY: RetryableError, which racesafe retries).
 *
 * Where the dialect's lock is taken by that BEGIN (DialectAdapter.beginLockWait, SQLite's
 * `BEGIN IMMEDIATE` and the database's write lock) and the call bounds its wait
 * (`lockWaitMs`: `nowait` is 0, `lockTimeoutMs` its value), the wait is set for the BEGIN only:
 *
 *     SELECT timeout AS previous FROM pragma_busy_timeout
 *     PRAGMA busy_timeout = <lockWaitMs>
 *     BEGIN IMMEDIATE
 *     PRAGMA busy_timeout = <previous>          -- also when BEGIN failed
 *
 * and a lock not granted in that time is {@link LockNotAvailableError}, never retried.
 *
 * @example
 * await beginOwnTransaction(gateway, sessionOf(runner, false), () => runner.query('BEGIN
 * IMMEDIATE'), { lockWaitMs: 0 });
 */
export async function beginOwnTransaction(
  gateway: ModelGateway<unknown>,
  session: Session,
  begin: () => Promise<unknown>,
  options: OwnTransactionOptions = {},
): Promise<void> {
  const wait = gateway.dialect.beginLockWait;
  if (!wait || options.lockWaitMs === undefined) return sendBegin(gateway, begin);
  const { rows } = await run(gateway, session, wait.readSql);
  const previous = Number(rows[0]?.previous);
  await run(gateway, session, wait.setSql(options.lockWaitMs));
  try {
    await sendBegin(gateway, begin);
  } catch (error) {
    throw lockNotGranted(gateway, error, options.lockWaitMs);
  } finally {
    await run(gateway, session, wait.setSql(previous));
  }
}

async function sendBegin(
  gateway: ModelGateway<unknown>,
  begin: () => Promise<unknown>,
): Promise<void> {
  try {
    await begin();
  } catch (error) {
    throw translateError(gateway, error);
  }
}

/**
 * An error of the work inside a transaction of racesafe's own, as the caller gets it: a lost
 * connection, also one met by a hook's own statement (a subscriber writing an audit row), is
 * {@link ConnectionLostError}: the transaction died with its session, so nothing of it committed
 * and racesafe may retry it (issue 13). Any other error of the user's code passes as it is.
 *
 * @example
 * try { result = await work(session); } catch (error) { await rollback(); throw
 * ownWorkError(gateway, error); }
 */
export function ownWorkError(gateway: ModelGateway<unknown>, error: unknown): unknown {
  if (error instanceof RaceSafeError) return error;
  return gateway.dialect.classifyError(error).kind === 'connection-lost'
    ? translateError(gateway, error, 'rolled-back')
    : error;
}

/**
 * The lock was not granted within the bound the caller set (SQLITE_BUSY at BEGIN IMMEDIATE):
 * LockNotAvailableError, not a retry.
 */
function lockNotGranted(
  gateway: ModelGateway<unknown>,
  error: unknown,
  lockWaitMs: number,
): unknown {
  if (
    !(error instanceof RaceSafeError) ||
    gateway.dialect.classifyError(error.cause).kind !== 'serialization-failure'
  )
    return error;
  const waited = lockWaitMs === 0 ? 'at once (nowait)' : `within lockTimeoutMs (${lockWaitMs} ms)`;
  return new LockNotAvailableError(
    `${gateway.modelName}: another connection holds the database's write lock, which was not granted ${waited} (${error.code}): ${(error.cause as Error)?.message ?? error.message}`,
    { cause: error.cause, code: error.code },
  );
}
