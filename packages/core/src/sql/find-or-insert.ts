import type { ModelGateway } from '../gateway';
import { liveLookupCondition } from './conditions';
import { createdMarker, insertList } from './insert';
import { parametersFor } from './parameters';

/**
 * getOrCreate as one compound statement ({@link DialectAdapter.findOrInsert}, MariaDB), with its
 * bound parameters: the row found by `lookup`, or created from `values` (the ORM's insert defaults
 * applied):
 *
 *     BEGIN NOT ATOMIC
 *     DECLARE racesafe_found INT DEFAULT 0; DECLARE racesafe_made INT DEFAULT 0; DECLARE racesafe_lost INT DEFAULT 0;
 *     [DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END;
 *      SET TRANSACTION ISOLATION LEVEL READ COMMITTED; START TRANSACTION;]
 *     SELECT COUNT(*) INTO racesafe_found FROM t WHERE <lookup>;
 *     IF racesafe_found = 0 THEN BEGIN
 *       DECLARE EXIT HANDLER FOR 1062 BEGIN
 *         SELECT COUNT(*) INTO racesafe_lost FROM t WHERE <lookup> LOCK IN SHARE MODE;
 *         IF racesafe_lost = 0 THEN RESIGNAL; END IF;
 *       END;
 *       INSERT INTO t (<columns>) VALUES (<values>); SET racesafe_made = 1;
 *     END; END IF;
 *     IF racesafe_lost = 0 THEN SELECT racesafe_made AS `racesafe_created`, t.* FROM t WHERE <lookup> LIMIT 2;
 *     ELSE SELECT 0 AS `racesafe_created`, t.* FROM t WHERE <lookup> LIMIT 2 LOCK IN SHARE MODE; END IF;
 *     [COMMIT;]
 *     END
 *
 * The bracketed parts only in a transaction of its own (`ownTransaction`). On a soft-deleting
 * model every `<lookup>` reads live rows only.
 */
export function findOrInsertSql(
  gateway: ModelGateway<unknown>,
  write: { lookup: Record<string, unknown>; values: Record<string, unknown> },
  ownTransaction: boolean,
): { sql: string; parameters: unknown[] } {
  const { dialect, tableSql } = gateway;
  const parameters = parametersFor(gateway);
  const where = () => liveLookupCondition(gateway, write.lookup, parameters);
  const share = dialect.lockingReadAfterConflict;
  const lock = share ? ` ${dialect.lockClause(share, {})}` : '';
  const marker = dialect.quoteIdentifier(createdMarker);
  // Built in placeholder order: found's, winner's, insert's, select's, selectWinner's.
  const found = `${tableSql} WHERE ${where()}`;
  const winner = `${tableSql} WHERE ${where()}${lock}`;
  const { columns, placeholders } = insertList(gateway, write.values, parameters);
  const insert = `INSERT INTO ${tableSql} (${columns}) VALUES (${placeholders})`;
  const readBack = where();
  const select = (created: string) =>
    `SELECT ${created} AS ${marker}, ${tableSql}.* FROM ${tableSql} WHERE ${readBack} LIMIT 2`;
  const selectWinner = `SELECT 0 AS ${marker}, ${tableSql}.* FROM ${tableSql} WHERE ${where()} LIMIT 2${lock}`;
  const steps = { found, winner, insert, select, selectWinner };
  return {
    sql: dialect.findOrInsert!.statement(steps, ownTransaction),
    parameters: parameters.values,
  };
}
