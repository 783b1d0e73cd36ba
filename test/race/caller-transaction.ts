import { RetryableError } from '@racesafe/core';

/**
 * Runs `transaction` (one whole transaction of the caller's) again when racesafe throws
 * RetryableError inside it, as the guide tells callers to: racesafe never retries a
 * transaction it does not own. On SQLite this is the normal outcome under contention: a
 * deferred transaction that read first cannot take the write lock once another process
 * committed (SQLITE_BUSY_SNAPSHOT, TRAPS T18). `onRetry` counts the retries.
 */
export async function retryingCallerTransaction<T>(transaction: () => Promise<T>, onRetry: () => void, attempts = 20): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await transaction();
    } catch (error) {
      if (!(error instanceof RetryableError) || attempt >= attempts) throw error;
      onRetry();
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(100, 2 ** attempt)));
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
