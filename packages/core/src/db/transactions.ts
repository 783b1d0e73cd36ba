import { RetryableError } from '../errors';
import type { ModelGateway, Session } from '../gateway';
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

let savepointCounter = 0;

/**
 * Runs work inside a SAVEPOINT so that its failure (23505, 55P03...) rolls back only the
 * work and never leaves the surrounding transaction aborted (PostgreSQL 25P02: docs/database-behaviours.md#postgresql-aborts-the-transaction-after-an-error).
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
    // A MySQL deadlock has rolled back the whole transaction, savepoints included (docs/database-behaviours.md#a-mysql-deadlock-ends-the-whole-transaction): a ROLLBACK TO would only add 1305.
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
