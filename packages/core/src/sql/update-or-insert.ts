import { isFExpression } from '../expressions';
import type { ModelGateway } from '../gateway';
import { updateStatement } from './assignments';
import { liveLookupCondition, lookupCondition } from './conditions';
import { createdMarker, insertList } from './insert';
import { type Parameters, parametersFor } from './parameters';

/** What updateOrCreate's compound statement writes: found by `lookup`, or created from `values`. */
export interface CompoundWrite {
  lookup: Record<string, unknown>;
  /** Written to a found row (plain values, F expressions, ORM SQL values); empty: left as it is. */
  defaults: Record<string, unknown>;
  /** The new row's values, the ORM's insert defaults applied. */
  values: Record<string, unknown>;
  /** The locking clause of the read (`FOR UPDATE [NOWAIT]`). */
  lock: string;
  /** The longest wait for the row lock, in whole milliseconds (lockTimeoutMs). */
  lockWaitMs?: number;
}

/**
 * updateOrCreate as one compound statement ({@link DialectAdapter.updateOrInsert}, MariaDB), with
 * its bound parameters:
 *
 *     BEGIN NOT ATOMIC
 *     DECLARE racesafe_found INT DEFAULT 0; DECLARE racesafe_made INT DEFAULT 0;
 *     [DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END;
 *      SET TRANSACTION ISOLATION LEVEL READ COMMITTED; START TRANSACTION;]
 *     [SET STATEMENT innodb_lock_wait_timeout = <s> FOR ]SELECT COUNT(*) INTO racesafe_found FROM t WHERE <lookup> FOR UPDATE [NOWAIT];
 *     IF racesafe_found > 0 THEN UPDATE t SET <defaults> WHERE <lookup> AND NOT (BINARY col <=> BINARY ? AND ...);
 *     ELSE INSERT INTO t (<columns>) VALUES (<values>); SET racesafe_made = 1; END IF;
 *     SELECT racesafe_made AS `racesafe_created`, t.* FROM t WHERE <lookup>;
 *     [COMMIT;]
 *     END
 *
 * The bracketed parts only in a transaction of its own (`ownTransaction`). The UPDATE's guard
 * (only when every default is a plain value) skips a row they would leave as it is; no defaults:
 * no UPDATE. The read-back matches deleted rows too: the lookup's key covers them (MySQL has no
 * partial keys), and the defaults may soft-delete the row.
 */
export function updateOrInsertSql(
  gateway: ModelGateway<unknown>,
  write: CompoundWrite,
  ownTransaction: boolean,
): { sql: string; parameters: unknown[] } {
  const compound = gateway.dialect.updateOrInsert!;
  const { tableSql } = gateway;
  const parameters = parametersFor(gateway);
  const locking = `${tableSql} WHERE ${liveLookupCondition(gateway, write.lookup, parameters)} ${write.lock}`;
  const update =
    Object.keys(write.defaults).length === 0
      ? undefined
      : updateStatement(
          gateway,
          write.defaults,
          (bound) => updateCondition(gateway, write, bound),
          { group: 'defaults', parameters },
        ).sql;
  const { columns, placeholders } = insertList(gateway, write.values, parameters);
  const insert = `INSERT INTO ${tableSql} (${columns}) VALUES (${placeholders})`;
  const readBack = lookupCondition(gateway, write.lookup, parameters);
  const marker = gateway.dialect.quoteIdentifier(createdMarker);
  const select = (created: string) =>
    `SELECT ${created} AS ${marker}, ${tableSql}.* FROM ${tableSql} WHERE ${readBack}`;
  const steps = { locking, lockWaitMs: write.lockWaitMs, update, insert, select };
  return { sql: compound.statement(steps, ownTransaction), parameters: parameters.values };
}

/**
 * The UPDATE's WHERE: the live row of the lookup, and unless a default is computed (an F
 * expression or ORM SQL value, always a change) or bound as a value the comparison cannot read
 * faithfully (comparesBoundValue: a bound Infinity compares as 0), one that some plain default
 * changes.
 */
function updateCondition(
  gateway: ModelGateway<unknown>,
  write: CompoundWrite,
  parameters: Parameters,
): string {
  const where = liveLookupCondition(gateway, write.lookup, parameters);
  const entries = Object.entries(write.defaults);
  if (entries.some(([, value]) => isFExpression(value) || gateway.isSqlValue(value))) return where;
  const compound = gateway.dialect.updateOrInsert!;
  if (
    !entries.every(([property, value]) =>
      compound.comparesBoundValue(bound(gateway, property, value)),
    )
  )
    return where;
  const same = entries.map(([property, value]) =>
    compound.sameStoredValue(
      gateway.column(property)!.quoted,
      gateway.bindValue(property, value, parameters.add),
    ),
  );
  return `${where} AND NOT (${same.join(' AND ')})`;
}

/** What the ORM binds for a plain value (its conversion applied), bound nowhere. */
function bound(gateway: ModelGateway<unknown>, property: string, value: unknown): unknown {
  let sent: unknown;
  gateway.bindValue(property, value, (parameter) => {
    sent = parameter;
    return '?';
  });
  return sent;
}
