/**
 * The statements among `statements` that define or change schema objects: DDL verbs
 * (CREATE, ALTER, DROP, TRUNCATE, COMMENT ON, GRANT, REVOKE), a function, procedure, trigger or
 * table created anywhere in a statement (Sequelize's findOrCreate sends
 * `CREATE OR REPLACE FUNCTION pg_temp.testfunc() ... ; SELECT ...; DROP FUNCTION ...` as one
 * query), and anonymous `DO $$` blocks. racesafe must send none (issue 14): DDL per call breaks
 * logical replication and distributed PostgreSQL-wire databases.
 *
 * @example
 * expect(ddlIn(log.statements)).toEqual([]);
 */
export function ddlIn(statements: readonly string[]): string[] {
  return statements.filter(
    (sql) => DDL_VERB.test(sql) || CREATES_OBJECT.test(sql) || ANONYMOUS_BLOCK.test(sql),
  );
}

// A leading comment skipped, as StatementLog.verbs() does (SQLite's RETURNING statements carry one).
const DDL_VERB =
  /^\s*(\/\*[\s\S]*?\*\/\s*)?(CREATE|ALTER|DROP|TRUNCATE|COMMENT\s+ON|GRANT|REVOKE)\b/i;
const CREATES_OBJECT =
  /\b(CREATE|DROP)\s+(OR\s+REPLACE\s+)?(TEMP(ORARY)?\s+)?(FUNCTION|PROCEDURE|TRIGGER|TABLE|INDEX|VIEW)\b/i;
const ANONYMOUS_BLOCK = /(^|;)\s*DO\s+(\$|')/i;
