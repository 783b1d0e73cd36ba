// Issue 13, item 1: the history checkers, on hand-made histories (each one both ways).
import {
  type HistoryEvent,
  checkCounterHistory,
  checkGetOrCreateHistory,
  checkGuardedDecrementHistory,
  completionOf,
  historyOf,
  untypedErrors,
} from '../harness/history';
import type { CallRecord } from '../harness/race-protocol';

let next = 0;
const ok = (value: unknown): CallRecord => ({
  call: next++,
  process: 0,
  caller: 0,
  startMs: next,
  endMs: next + 1,
  ok: true,
  value,
});
const failed = (name: string, code?: string): CallRecord => ({
  call: next++,
  process: 0,
  caller: 0,
  startMs: next,
  endMs: next + 1,
  ok: false,
  error: { name, code, message: name },
});
const got = (id: number, created: boolean) => ok({ key: 'k', id, created });

describe('completionOf', () => {
  it("IndeterminateError and errors that are not racesafe's are indeterminate; other racesafe errors are definite", () => {
    expect(completionOf({ name: 'IndeterminateError', message: '' })).toBe('indeterminate');
    expect(completionOf({ name: 'QueryFailedError', code: '57P01', message: '' })).toBe(
      'indeterminate',
    );
    expect(completionOf({ name: 'ConnectionLostError', message: '' })).toBe('failed');
    expect(completionOf({ name: 'RetryableError', message: '' })).toBe('failed');
  });
});

describe('checkGetOrCreateHistory', () => {
  const rows = [{ key: 'k', id: 1, n: 1 }];
  const check = (calls: CallRecord[], table = rows) =>
    checkGetOrCreateHistory(historyOf(calls), table, () => 'k');

  it('accepts one creator and one id', () => {
    expect(check([got(1, true), got(1, false), failed('ConnectionLostError')])).toMatchObject({
      valid: true,
      ok: 2,
      failed: 1,
      indeterminate: 0,
    });
  });
  it('accepts no creator among ok calls only when an indeterminate call could have created the row', () => {
    expect(check([got(1, false), failed('IndeterminateError')]).valid).toBe(true);
    expect(check([got(1, false), failed('ConnectionLostError')]).anomalies).toEqual([
      expect.stringMatching(/no created=true/),
    ]);
  });
  it('catches two creators, split ids, duplicates and a missing row', () => {
    expect(check([got(1, true), got(2, true)], [{ key: 'k', id: 1, n: 2 }]).anomalies).toEqual([
      '1 duplicate rows',
      '1 keys where ok calls got different ids',
      '1 keys with more than one created=true',
    ]);
    expect(check([got(1, true)], []).anomalies).toEqual([
      '1 keys an ok call returned are missing from the table',
    ]);
  });
});

describe('checkCounterHistory', () => {
  const history = historyOf([
    ok({}),
    ok({}),
    failed('IndeterminateError'),
    failed('ConnectionLostError'),
  ]);
  it('accepts a total between the ok calls and ok + indeterminate', () => {
    expect(checkCounterHistory(history, 2).valid).toBe(true);
    expect(checkCounterHistory(history, 3).valid).toBe(true);
  });
  it('catches a lost acknowledged increment, and one nobody could have made', () => {
    expect(checkCounterHistory(history, 1).anomalies).toEqual([
      '1 acknowledged increments lost (stored 1, ok 2)',
    ]);
    expect(checkCounterHistory(history, 4).anomalies).toEqual([
      '1 increments applied that no call could have made (stored 4, at most 3)',
    ]);
  });
});

describe('checkGuardedDecrementHistory', () => {
  const sold = (e: HistoryEvent) => (e.value as { sold: number }).sold;
  it('accepts sales within stock', () => {
    expect(
      checkGuardedDecrementHistory(
        historyOf([ok({ sold: 1 }), ok({ sold: 0 }), failed('IndeterminateError')]),
        2,
        0,
        sold,
      ).valid,
    ).toBe(true);
  });
  it('catches overselling and a negative stock', () => {
    const oversold = checkGuardedDecrementHistory(
      historyOf([ok({ sold: 1 }), ok({ sold: 1 }), ok({ sold: 1 })]),
      2,
      -1,
      sold,
    );
    expect(oversold.anomalies).toEqual([
      'stock -1, below 0',
      '3 sales acknowledged of 2 in stock (oversold 1)',
    ]);
  });
});

describe('untypedErrors', () => {
  it('names the raw errors a racesafe run let through', () => {
    expect(
      untypedErrors(historyOf([failed('QueryFailedError', '57P01'), failed('IndeterminateError')])),
    ).toEqual(["1 failed calls with an error that is not racesafe's (QueryFailedError:57P01)"]);
  });
});
