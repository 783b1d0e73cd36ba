import type { ModelGateway } from '../gateway';
import { ScopeStore } from './scope-store';

/**
 * What a table's last two calls at one site did, the input of the operations' plans:
 * - `finding`: both found their row (a plan then sends the SELECT, or the UPDATE, first);
 * - `creating`: both created theirs (an INSERT first);
 * - `mixed`: one of each, or not yet known (the one statement that answers both in 1 round trip,
 *   at a higher planning cost: PostgreSQL plans a data-modifying WITH on every call; no ORM
 * prepares).
 * A guess only: every plan is correct, the settled ones are cheaper when the guess holds.
 */
export type Recent = 'finding' | 'creating' | 'mixed';

// Per connection configuration, then per table and call site: the last two outcomes (true = found
// an existing row), newest last.
const outcomes = new ScopeStore<[boolean | undefined, boolean | undefined]>();

/**
 * What racesafe remembers to pick the cheaper statement for the next call on a table at `site`
 * (e.g. "getOrCreate outside a transaction"): `recent`, what its last two calls did (see
 * {@link Recent}), and `remember`, called with whether this call found an existing row.
 */
export function lastOutcome(
  gateway: ModelGateway<unknown>,
  site: string,
): { recent: Recent; remember: (foundExisting: boolean) => void } {
  const key = `${site}: ${gateway.tableSql}`;
  const [previous, last] = outcomes.peek(gateway, key) ?? [undefined, undefined];
  const recent: Recent =
    previous === undefined || previous !== last ? 'mixed' : last ? 'finding' : 'creating';
  return {
    recent,
    remember: (foundExisting) => outcomes.keep(gateway, key, [last, foundExisting]),
  };
}
