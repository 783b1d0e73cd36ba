import { ConflictError, RetryableError, withRetries } from '@racesafe/core';

/** An attempt that fails with the given errors in turn, then succeeds; counts its calls. */
function attemptFailingWith(...errors: Error[]) {
  const attempt = async () => {
    attempt.calls++;
    const error = errors[attempt.calls - 1];
    if (error) throw error;
    return `done after ${attempt.calls}`;
  };
  attempt.calls = 0;
  return attempt;
}
const retryable = (n: number) =>
  Array.from({ length: n }, (_, i) => new RetryableError(`deadlock ${i + 1}`, { code: '40P01' }));
const fast = { baseDelayMs: 0.1, maxDelayMs: 1 };

describe('withRetries', () => {
  it('returns the first success after retryable failures', async () => {
    const attempt = attemptFailingWith(...retryable(2));
    await expect(withRetries({ ...fast, attempts: 3 }, attempt)).resolves.toBe('done after 3');
    expect(attempt.calls).toBe(3);
  });

  it('stops after `attempts` calls and rethrows the last error', async () => {
    const errors = retryable(10);
    const attempt = attemptFailingWith(...errors);
    await expect(withRetries({ ...fast, attempts: 4 }, attempt)).rejects.toBe(errors[3]);
    expect(attempt.calls).toBe(4);
  });

  it('makes 5 attempts by default', async () => {
    const attempt = attemptFailingWith(...retryable(10));
    await expect(withRetries(fast, attempt)).rejects.toBeInstanceOf(RetryableError);
    expect(attempt.calls).toBe(5);
  });

  it('always makes at least one attempt', async () => {
    const attempt = attemptFailingWith();
    await expect(withRetries({ attempts: 0 }, attempt)).resolves.toBe('done after 1');
  });

  it.each([
    ['ConflictError', new ConflictError('taken', { code: '23505' })],
    ['a plain Error', new Error('boom')],
  ])('does not retry %s', async (_, error) => {
    const attempt = attemptFailingWith(error);
    await expect(withRetries({ ...fast, attempts: 5 }, attempt)).rejects.toBe(error);
    expect(attempt.calls).toBe(1);
  });
});
