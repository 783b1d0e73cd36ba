import { RetryableError } from './errors';

/** How often racesafe retries a transaction of its own after a deadlock or serialization failure. */
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
export async function withRetries<T>(policy: RetryPolicy | undefined, attempt: () => Promise<T>): Promise<T> {
  const attempts = Number.isFinite(policy?.attempts) ? Math.max(1, policy!.attempts!) : 5;
  const base = policy?.baseDelayMs ?? 5;
  const max = policy?.maxDelayMs ?? 250;
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof RetryableError) || n >= attempts) throw error;
      await sleep(Math.random() * Math.min(max, base * 2 ** (n - 1)));
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
