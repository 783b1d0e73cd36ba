import { RaceSafeError } from '../errors';
import { isFExpression } from '../expressions';
import type { ModelGateway, Session } from '../gateway';
import { translateError } from '../db/statements';

// Answers per connection configuration, like the unique keys: read on the first F write.
const checked = new WeakMap<object, Promise<void>>();
const passed = new WeakSet<object>();

/**
 * Refuses an F write where the session would store a silently truncated value instead of
 * failing (MySQL / MariaDB without a STRICT_ sql_mode: `n / 0` and out-of-range results become
 * 0 or the column's limit with a warning: docs/database-behaviours.md#division-by-zero-and-out-of-range-values). Read once per connection configuration
 * ({@link DialectAdapter.strictArithmeticSql}); synchronous, and free, once it has passed.
 */
export function assertStrictArithmetic(
  gateway: ModelGateway<unknown>,
  session: Session,
  values: Record<string, unknown>,
): void | Promise<void> {
  const sql = gateway.dialect.strictArithmeticSql;
  if (!sql || passed.has(gateway.catalogScope) || !Object.values(values).some(isFExpression))
    return;
  let check = checked.get(gateway.catalogScope);
  if (!check) {
    check = session.query(sql, []).then(
      ({ rows }) => {
        if (Number(rows[0]?.strict) === 1) return void passed.add(gateway.catalogScope);
        throw new RaceSafeError(
          `${gateway.modelName}: the session's sql_mode (${(rows[0]?.mode ?? '') as string}) has neither STRICT_TRANS_TABLES nor STRICT_ALL_TABLES, ` +
            `so a division by zero or an out-of-range F result would be stored as a truncated value with only a warning. ` +
            `racesafe refuses F writes there: run the connection with sql_mode including STRICT_TRANS_TABLES (the server default).`,
        );
      },
      (error: unknown) => Promise.reject(translateError(gateway, error, 'rolled-back')),
    );
    // A failed read is asked again on the next call, not remembered: a connection lost during it must not fail every later F write (issue 13).
    const scope = gateway.catalogScope;
    check.catch(() => checked.delete(scope));
    checked.set(scope, check);
  }
  return check;
}
