// Issue 13, item 1: Jepsen-style histories. Every call of a race is an invocation and a
// completion: ok (with its result), failed (a definite error: nothing of it was applied), or
// indeterminate (the connection was lost before the outcome was known). Checkers test the whole
// history against a model of the operation and the final state of the database, so that a fault
// run is judged by what was acknowledged, not only by the final row count.
import type { CallRecord } from './race-protocol';

/** How a call completed. */
export type Completion = 'ok' | 'failed' | 'indeterminate';

/** One call: invocation and completion on the race's shared clock (ms since 'go'). */
export interface HistoryEvent {
  call: number;
  process: number;
  invokeMs: number;
  completeMs: number;
  completion: Completion;
  value?: unknown;
  error?: CallRecord['error'];
}

/** A checker's judgement of one history. */
export interface Verdict {
  valid: boolean;
  ok: number;
  failed: number;
  indeterminate: number;
  anomalies: string[];
}

/** Every error class racesafe throws (issue 13: a fault never surfaces as a raw driver or ORM error). */
export const raceSafeErrorNames = new Set([
  'RaceSafeError',
  'InvalidFieldError',
  'UniqueLookupRequiredError',
  'MultipleRowsError',
  'ConflictError',
  'LockNotAvailableError',
  'RetryableError',
  'ConnectionLostError',
  'IndeterminateError',
  'DatabaseError',
]);

/**
 * The completion of a failed call. racesafe's errors say it: IndeterminateError is unknown, any
 * other racesafe error is definite (nothing applied). Any other error (a naive approach's raw
 * driver error, a lost connection the ORM reports as QueryFailedError) is indeterminate, as
 * Jepsen treats an unknown failure: the checker must then allow it either way.
 */
export function completionOf(error: NonNullable<CallRecord['error']>): Completion {
  if (error.name === 'IndeterminateError') return 'indeterminate';
  return raceSafeErrorNames.has(error.name) ? 'failed' : 'indeterminate';
}

/**
 * The race's call records as a history, in invocation order. `unanswered`: calls of a killed
 * process that never answered (RaceReport.unanswered), indeterminate with unknown times.
 */
export function historyOf(
  calls: readonly CallRecord[],
  unanswered: readonly number[] = [],
): HistoryEvent[] {
  const crashed = unanswered.map((call): HistoryEvent => ({
    call,
    process: -1,
    invokeMs: Number.NaN,
    completeMs: Number.NaN,
    completion: 'indeterminate',
  }));
  return [...calls]
    .sort((a, b) => a.startMs - b.startMs)
    .map((c): HistoryEvent => ({
      call: c.call,
      process: c.process,
      invokeMs: c.startMs,
      completeMs: c.endMs,
      completion: c.ok ? 'ok' : completionOf(c.error!),
      value: c.value,
      error: c.error,
    }))
    .concat(crashed);
}

function verdict(history: readonly HistoryEvent[], anomalies: string[]): Verdict {
  const count = (completion: Completion) =>
    history.filter((e) => e.completion === completion).length;
  return {
    valid: anomalies.length === 0,
    ok: count('ok'),
    failed: count('failed'),
    indeterminate: count('indeterminate'),
    anomalies,
  };
}

/** One line: `history ok 950 failed 30 indeterminate 20: valid` or `... INVALID: <anomalies>`. */
export function formatVerdict(v: Verdict): string {
  const counts = `history ok ${v.ok} failed ${v.failed} indeterminate ${v.indeterminate}`;
  return v.valid ? `${counts}: valid` : `${counts}: INVALID: ${v.anomalies.join('; ')}`;
}

/** Anomaly when a racesafe run let a non-racesafe error through (a raw QueryFailedError, SequelizeDatabaseError...). */
export function untypedErrors(history: readonly HistoryEvent[]): string[] {
  const raw = history.filter((e) => e.error && !raceSafeErrorNames.has(e.error.name));
  if (raw.length === 0) return [];
  const names = [
    ...new Set(raw.map((e) => `${e.error!.name}${e.error!.code ? `:${e.error!.code}` : ''}`)),
  ];
  return [`${raw.length} failed calls with an error that is not racesafe's (${names.join(', ')})`];
}

/** A getOrCreate result as the workers return it. */
export interface GetOrCreateValue {
  key: string;
  id: number;
  created: boolean;
}

/**
 * getOrCreate, per key: every ok call returned the same id, the id of the one row the table
 * holds for it; `created = true` among ok calls exactly once, or never only if an
 * indeterminate call of that key could have created it; no key with more than one row.
 * `keyOf` gives the key of a call (also of calls that returned nothing).
 */
export function checkGetOrCreateHistory(
  history: readonly HistoryEvent[],
  rows: readonly { key: string; id: number; n: number }[],
  keyOf: (call: number) => string,
): Verdict {
  const anomalies: string[] = [];
  const byKey = new Map<string, HistoryEvent[]>();
  for (const event of history)
    byKey.set(keyOf(event.call), [...(byKey.get(keyOf(event.call)) ?? []), event]);
  let split = 0;
  let missing = 0;
  let tooManyCreated = 0;
  let noneCreated = 0;
  for (const [key, events] of byKey) {
    const ok = events.filter((e) => e.completion === 'ok').map((e) => e.value as GetOrCreateValue);
    const row = rows.find((r) => r.key === key);
    if (ok.length > 0 && !row) missing++;
    if (ok.some((v) => v.id !== ok[0].id) || (row && ok.some((v) => v.id !== row.id))) split++;
    const created = ok.filter((v) => v.created).length;
    if (created > 1) tooManyCreated++;
    if (ok.length > 0 && created === 0 && !events.some((e) => e.completion === 'indeterminate'))
      noneCreated++;
  }
  const duplicates = rows.reduce((sum, r) => sum + r.n - 1, 0);
  if (duplicates > 0) anomalies.push(`${duplicates} duplicate rows`);
  if (missing > 0) anomalies.push(`${missing} keys an ok call returned are missing from the table`);
  if (split > 0) anomalies.push(`${split} keys where ok calls got different ids`);
  if (tooManyCreated > 0) anomalies.push(`${tooManyCreated} keys with more than one created=true`);
  if (noneCreated > 0)
    anomalies.push(
      `${noneCreated} keys with no created=true and no indeterminate call that could have created them`,
    );
  return verdict(history, anomalies);
}

/**
 * A counter every call adds `amount(value)` to: the stored total is at least the ok calls' and
 * at most that plus what the indeterminate calls could have added (failed calls added nothing).
 * Used for atomicUpdate +1 (`amount` 1) and updateOrCreate with an F increment.
 */
export function checkCounterHistory(
  history: readonly HistoryEvent[],
  stored: number,
  initial = 0,
  amount: (event: HistoryEvent) => number = () => 1,
): Verdict {
  const anomalies: string[] = [];
  const sum = (completion: Completion) =>
    history.filter((e) => e.completion === completion).reduce((s, e) => s + amount(e), 0);
  const low = initial + sum('ok');
  const high = low + sum('indeterminate');
  if (stored < low)
    anomalies.push(
      `${low - stored} acknowledged increments lost (stored ${stored}, ok ${low - initial})`,
    );
  if (stored > high)
    anomalies.push(
      `${stored - high} increments applied that no call could have made (stored ${stored}, at most ${high})`,
    );
  return verdict(history, anomalies);
}

/**
 * Guarded decrement (stock >= 1, minus 1): stock never below 0, sales acknowledged never more
 * than the initial stock, and the stock taken between the ok sales and ok + indeterminate calls.
 * `sold(event)` is 1 for an ok call that sold, 0 for one the guard refused.
 */
export function checkGuardedDecrementHistory(
  history: readonly HistoryEvent[],
  initial: number,
  left: number,
  sold: (event: HistoryEvent) => number,
): Verdict {
  const anomalies: string[] = [];
  const acknowledged = history
    .filter((e) => e.completion === 'ok')
    .reduce((s, e) => s + sold(e), 0);
  const maybe = history.filter((e) => e.completion === 'indeterminate').length;
  const taken = initial - left;
  if (left < 0) anomalies.push(`stock ${left}, below 0`);
  if (acknowledged > initial)
    anomalies.push(
      `${acknowledged} sales acknowledged of ${initial} in stock (oversold ${acknowledged - initial})`,
    );
  if (taken < acknowledged)
    anomalies.push(`${acknowledged - taken} acknowledged sales not taken from stock`);
  if (taken > acknowledged + maybe)
    anomalies.push(`${taken - acknowledged - maybe} units taken that no call could have sold`);
  return verdict(history, anomalies);
}

/** Several verdicts of one history (say getOrCreate's and the untyped-error check) as one. */
export function combine(
  history: readonly HistoryEvent[],
  ...parts: (Verdict | string[])[]
): Verdict {
  return verdict(
    history,
    parts.flatMap((p) => (Array.isArray(p) ? p : p.anomalies)),
  );
}
