import { RetryableError } from '../errors';
import type { ModelGateway, OwnTransactionOptions, Session } from '../gateway';
import { takeTurn } from './turns';
import { run } from './run';

/**
 * Runs one racesafe call's statements on the caller's transaction, after the other racesafe
 * calls sharing its connection are done: savepoints are a stack per connection (issue 8).
 */
export function inCallerTransaction<T>(
  session: Session,
  work: (session: Session) => Promise<T>,
): Promise<T> {
  return session.shared ? takeTurn(session.shared, () => work(session)) : work(session);
}

/**
 * Where a call's statements run: the caller's transaction, racesafe's autocommit statements, or its
 * own transaction.
 */
export type SessionKind = 'caller' | 'autocommit' | 'transaction';

/** What racesafe opens when the caller has no transaction, and how it retries it. */
export interface OwnSession<T> {
  own: 'autocommit' | 'transaction';
  /** The BEGIN's lock wait, for `own: 'transaction'`. */
  begin?: OwnTransactionOptions;
  /** Runs one attempt again after a retryable error: withRetries, or withIdempotentRetries. */
  retry: (attempt: () => Promise<T>) => Promise<T>;
}

/**
 * Runs `work` on the caller's transaction when there is one (after the racesafe calls sharing its
 * connection; a retry belongs to the caller's transaction, so RetryableError surfaces), else on a
 * session of racesafe's own (`autocommit` statements or one `transaction`, `BEGIN` ... `COMMIT`),
 * each attempt retried: racesafe owns it, so a deadlock or a lost connection is retried.
 */
export function withSession<T>(
  gateway: ModelGateway<unknown>,
  caller: Session | undefined,
  how: OwnSession<T>,
  work: (session: Session, kind: SessionKind) => Promise<T>,
): Promise<T> {
  if (caller) return inCallerTransaction(caller, (session) => work(session, 'caller'));
  const { own } = how;
  return how.retry(() =>
    own === 'autocommit'
      ? gateway.autocommit((session) => work(session, own))
      : gateway.transaction((session) => work(session, own), how.begin),
  );
}

let savepointCounter = 0;

/**
 * Runs work inside a SAVEPOINT so that its failure (23505, 55P03...) rolls back only the
 * work and never leaves the surrounding transaction aborted (PostgreSQL 25P02:
 * docs/database-behaviours.md#postgresql-aborts-the-transaction-after-an-error).
 */
export async function inSavepoint<T>(
  gateway: ModelGateway<unknown>,
  session: Session,
  work: () => Promise<T>,
): Promise<T> {
  const name = `racesafe_${++savepointCounter}`;
  await run(gateway, session, `SAVEPOINT ${name}`);
  try {
    const result = await work();
    await run(gateway, session, `RELEASE SAVEPOINT ${name}`);
    return result;
  } catch (error) {
    // A MySQL deadlock has rolled back the whole transaction, savepoints included
    // (docs/database-behaviours.md#a-mysql-deadlock-ends-the-whole-transaction): a ROLLBACK TO
    // would only add 1305.
    if (
      error instanceof RetryableError &&
      gateway.dialect.deadlockEndsTransaction &&
      gateway.dialect.classifyError(error.cause).kind === 'deadlock'
    )
      throw error;
    for (const sql of gateway.dialect.rollbackToSavepoint(name)) await run(gateway, session, sql);
    throw error;
  }
}
