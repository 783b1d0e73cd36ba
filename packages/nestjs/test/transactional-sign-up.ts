// The contract each CLS transaction library's test checks, written once: a service method under
// the library's @Transactional() runs getOrCreate, updateOrCreate and atomicUpdate, then throws
// or not. racesafe's calls join that transaction: they roll back with it and commit with it.

/** A service whose `signUp` runs under the library's `@Transactional()` and throws 'payment refused' when `fail`. */
export interface SignUpService {
  signUp(email: string, fail: boolean): Promise<unknown>;
}

/** The two tests: a rollback leaves no row; concurrent commits make one row and count every increment. */
export function itJoinsTheTransaction(
  service: () => SignUpService,
  rows: () => Promise<unknown>,
): void {
  it("joins the transaction: a thrown error rolls back racesafe's writes", async () => {
    await expect(service().signUp('ann@x', true)).rejects.toThrow('payment refused');
    expect(await rows()).toEqual([]);
  });

  it('commits with it, and concurrent @Transactional() calls still make one row and count every increment', async () => {
    await Promise.all(Array.from({ length: 12 }, () => service().signUp('bob@x', false)));
    const failed = await Promise.allSettled(
      Array.from({ length: 4 }, () => service().signUp('bob@x', true)),
    );
    expect(
      failed.every(
        (outcome) =>
          outcome.status === 'rejected' && /payment refused/.test(String(outcome.reason)),
      ),
    ).toBe(true);
    expect(await rows()).toEqual([{ email: 'bob@x', plan: 'pro', logins: 12 }]);
  });
}
