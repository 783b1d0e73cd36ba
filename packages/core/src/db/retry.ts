import { IndeterminateError, RetryableError } from '../errors';

/**
 * How often racesafe retries a transaction of its own after a deadlock or serialization failure.
 */
export interface RetryPolicy {
  /** Total attempts, the first included (default 5). */
  attempts?: number;
  /** First backoff in ms; doubles each attempt, with full jitter (default 5). */
  baseDelayMs?: number;
  /** Largest backoff in ms (default 250). */
  maxDelayMs?: number;
}

/**
 * Runs `attempt` (one whole transaction) again after a {@link RetryableError}, with bounded,
 * jittered exponential backoff so that racing retries spread out. Only for transactions
 * racesafe owns: inside a caller's transaction the retry belongs to the caller.
 */
export async function withRetries<T>(
  policy: RetryPolicy | undefined,
  attempt: () => Promise<T>,
): Promise<T> {
  return retrying(policy, attempt, (error) => error instanceof RetryableError);
}

/**
 * withRetries for getOrCreate outside a transaction, which is idempotent: after an
 * {@link IndeterminateError} (the connection was lost while its INSERT may have committed) it
 * runs again on a fresh connection. A row that attempt creates is truthfully `created`; a row it
 * finds may be the lost attempt's own, so the call throws IndeterminateError holding that row.
 * A {@link ConnectionLostError} (nothing committed) is retried like any RetryableError.
 */
export async function withIdempotentRetries<Row>(
  policy: RetryPolicy | undefined,
  attempt: () => Promise<[Row, boolean]>,
): Promise<[Row, boolean]> {
  let lost: IndeterminateError | undefined;
  const retryable = (error: unknown) => {
    if (error instanceof IndeterminateError) lost = error;
    return error instanceof RetryableError || error instanceof IndeterminateError;
  };
  // Retries used up after a lost INSERT: a later definite failure does not undo what that INSERT
  // may have done.
  const [row, created] = await retrying(policy, attempt, retryable).catch((error: unknown) =>
    Promise.reject(lost ?? error),
  );
  if (!lost || created) return [row, created];
  throw new IndeterminateError(
    `${lost.message} (retried: the row exists now, but whether this call's lost attempt created it is unknown; the row is in error.row)`,
    { cause: lost.cause, code: lost.code, fields: lost.fields, row },
  );
}

async function retrying<T>(
  policy: RetryPolicy | undefined,
  attempt: () => Promise<T>,
  retryable: (error: unknown) => boolean,
): Promise<T> {
  const attempts = Number.isFinite(policy?.attempts) ? Math.max(1, policy!.attempts!) : 5;
  const base = policy?.baseDelayMs ?? 5;
  const max = policy?.maxDelayMs ?? 250;
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (!retryable(error) || n >= attempts) throw error;
      await sleep(Math.random() * Math.min(max, base * 2 ** (n - 1)));
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
