import { RaceSafeError } from '../errors';
import { isFExpression } from '../expressions';
import type { ModelGateway, Session } from '../gateway';
import { ScopeCache } from './scope-cache';

// Per connection configuration: read on the first F write.
const strictModes = new ScopeCache<true>({ sharing: 'all' });

/**
 * Refuses an F write where the session would store a silently truncated value instead of
 * failing (MySQL / MariaDB without a STRICT_ sql_mode: `n / 0` and out-of-range results become
 * 0 or the column's limit with a warning:
 * docs/database-behaviours.md#division-by-zero-and-out-of-range-values).
 * Read once per connection configuration ({@link DialectAdapter.strictArithmeticSql}, MySQL:
 * `SELECT @@SESSION.sql_mode ...`); synchronous, and free, once it has passed. A failed read is
 * asked again on the next call: a connection lost during it must not fail every later F write
 * (issue 13).
 */
export function assertStrictArithmetic(
  gateway: ModelGateway<unknown>,
  session: Session,
  values: Record<string, unknown>,
): void | Promise<void> {
  const sql = gateway.dialect.strictArithmeticSql;
  if (!sql || strictModes.store.has(gateway, sql) || !Object.values(values).some(isFExpression))
    return;
  const strict = strictModes.get(gateway, session, sql, () =>
    session.query(sql, []).then(({ rows }) => strictOrRefused(gateway, rows[0])),
  );
  return strict === true ? undefined : strict.then(() => undefined);
}

/** True when the sql_mode has STRICT_TRANS_TABLES or STRICT_ALL_TABLES; the refusal otherwise. */
function strictOrRefused(
  gateway: ModelGateway<unknown>,
  row: Record<string, unknown> | undefined,
): true {
  if (Number(row?.strict) === 1) return true;
  throw new RaceSafeError(
    `${gateway.modelName}: the session's sql_mode (${(row?.mode ?? '') as string}) has neither STRICT_TRANS_TABLES nor STRICT_ALL_TABLES, ` +
      `so a division by zero or an out-of-range F result would be stored as a truncated value with only a warning. ` +
      `racesafe refuses F writes there: run the connection with sql_mode including STRICT_TRANS_TABLES (the server default).`,
  );
}
