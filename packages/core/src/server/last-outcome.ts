import type { ModelGateway } from '../gateway';
import { ScopeStore } from './scope-store';

/**
 * Which statement a call on a table sends first, from its last two outcomes there:
 * - `find-first`: the last two found their row: SELECT (or UPDATE) first, 1 statement for a found row;
 * - `create-first`: the last two created theirs: the guarded INSERT first, 1 statement for a new row;
 * - `either`: mixed or not yet known: the one statement that answers both in 1 round trip, at a
 *   higher planning cost (PostgreSQL plans a data-modifying WITH on every call; no ORM prepares).
 * A guess only: every choice is correct, the settled ones are cheaper when the guess holds.
 */
export type FirstStatement = 'find-first' | 'create-first' | 'either';

// Per connection configuration, then per table and call site: the last two outcomes (true = found an existing row), newest last.
const outcomes = new ScopeStore<[boolean | undefined, boolean | undefined]>();

/**
 * What racesafe remembers to pick the cheaper statement for the next call on a table at `site`
 * (e.g. "getOrCreate outside a transaction"): `next`, the statement to send first (see
 * {@link FirstStatement}), and `remember`, called with whether this call found an existing row.
 */
export function lastOutcome(
  gateway: ModelGateway<unknown>,
  site: string,
): { next: FirstStatement; remember(foundExisting: boolean): void } {
  const key = `${site}: ${gateway.tableSql}`;
  const [previous, last] = outcomes.peek(gateway, key) ?? [undefined, undefined];
  const next: FirstStatement =
    previous === undefined || previous !== last ? 'either' : last ? 'find-first' : 'create-first';
  return { next, remember: (foundExisting) => outcomes.keep(gateway, key, [last, foundExisting]) };
}
