import { RetryableError } from '@racesafe/core';
import { isMysqlUrl, isSqliteUrl } from './sql-client';

/**
 * Runs `transaction` (one whole transaction of the caller's) again when racesafe throws
 * RetryableError inside it, as the guide tells callers to: racesafe never retries a
 * transaction it does not own. On SQLite this is the normal outcome under contention: a
 * deferred transaction that read first cannot take the write lock once another process
 * committed (SQLITE_BUSY_SNAPSHOT: docs/database-behaviours.md#sqlite-a-reader-cannot-become-a-writer-after-another-commit). `onRetry` counts the retries.
 */
export async function retryingCallerTransaction<T>(
  transaction: () => Promise<T>,
  onRetry: () => void,
  attempts = 20,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await transaction();
    } catch (error) {
      if (!(error instanceof RetryableError) || attempt >= attempts) throw error;
      onRetry();
      await new Promise((resolve) =>
        setTimeout(resolve, Math.random() * Math.min(100, 2 ** attempt)),
      );
    }
  }
}

/**
 * Runs the calls given to it one after another. TypeORM's SQLite drivers have one connection
 * per data source, shared by every caller: a second `dataSource.transaction()` while one is
 * open would become a savepoint inside it. An application on SQLite runs its transactions
 * one at a time per process; the processes still race each other.
 */
export function oneAtATime(): <T>(work: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return (work) => {
    const run = tail.then(work, work);
    tail = run.catch(() => undefined);
    return run;
  };
}

/** The name a race worker gives an error of the caller's own BEGIN / COMMIT (the ORM's statements, not a racesafe call). */
export const callerStatementErrorName = 'CallerStatementError';

/**
 * Runs one caller's transaction whose body passes racesafe's call through `inside`. An error that
 * did not come through `inside` (the ORM's own BEGIN or COMMIT failed: under a fault its
 * connection was cut) is rethrown named {@link callerStatementErrorName}, code and cause kept, so a
 * fault run tells the caller's own statements from racesafe's calls (issue 13).
 */
export async function taggingCallerStatements<T>(
  transaction: (inside: <U>(call: Promise<U>) => Promise<U>) => Promise<T>,
): Promise<T> {
  const fromInside = new WeakSet<object>();
  const inside = <U>(call: Promise<U>) =>
    call.catch((error: unknown) => {
      if (typeof error === 'object' && error !== null) fromInside.add(error);
      throw error;
    });
  try {
    return await transaction(inside);
  } catch (error) {
    if (typeof error !== 'object' || error === null || fromInside.has(error)) throw error;
    const { message, code } = error as { message?: string; code?: unknown };
    throw Object.assign(
      new Error(`the caller's own transaction statement failed: ${message}`, { cause: error }),
      { name: callerStatementErrorName, code },
    );
  }
}

/**
 * One more round trip of the caller's inside its transaction (about 5 ms on a server), so a row
 * lock is held while a process may be killed: `pg_sleep` on PostgreSQL, `SLEEP` on MariaDB, a
 * plain SELECT on SQLite (which has no sleep function; the write lock is held all the same).
 */
export function holdSql(url: string): string {
  if (isSqliteUrl(url)) return 'SELECT 1';
  return isMysqlUrl(url) ? 'SELECT SLEEP(0.005)' : 'SELECT pg_sleep(0.005)';
}
