import type { ClassifiedError, DialectAdapter, ErrorKind, LockStrength, UniqueKey } from './dialect';

// SQLSTATEs: https://www.postgresql.org/docs/current/errcodes-appendix.html
const kindsBySqlState: Record<string, ErrorKind> = {
  '23505': 'unique-violation',
  '40P01': 'deadlock',
  '40001': 'serialization-failure',
  '55P03': 'lock-not-available',
};

const lockClauses: Record<LockStrength, string> = {
  update: 'FOR UPDATE',
  // Weaker than FOR UPDATE: does not block foreign-key checks (FOR KEY SHARE) from other sessions.
  'no-key-update': 'FOR NO KEY UPDATE',
  share: 'FOR SHARE',
};

/** The driver error itself, or the one an ORM wrapped (TypeORM QueryFailedError, Sequelize DatabaseError). */
function driverError(error: unknown): Record<string, unknown> | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const candidate = error as Record<string, unknown>;
  // A server error has a SQLSTATE and a severity; a socket error's code (EPIPE) is no SQLSTATE.
  if (typeof candidate.code === 'string' && /^[0-9A-Z]{5}$/.test(candidate.code) && typeof candidate.severity === 'string') return candidate;
  const inner = candidate.driverError ?? candidate.original ?? candidate.parent;
  return inner === error ? undefined : driverError(inner);
}

/** PostgreSQL (node-postgres driver), 12 and later. */
export const postgresDialect: DialectAdapter = {
  name: 'postgres',
  placeholder: (index) => `$${index}`,
  quoteIdentifier: (name) => `"${name.replace(/"/g, '""')}"`,
  supportsInsertIgnoringConflictOn: true,
  supportsReturning: true,
  // READ COMMITTED: a new statement sees the committed winner; REPEATABLE READ cannot see it at all (T3).
  lockingReadAfterConflict: null,
  lockClause: (strength, { nowait }) => lockClauses[strength] + (nowait ? ' NOWAIT' : ''),
  // set_config(..., true) is SET LOCAL: it ends with the transaction, and is restored by us before that.
  setLockTimeoutSql: () =>
    `SELECT current_setting('lock_timeout') AS previous, set_config('lock_timeout', $1 || 'ms', true) AS current`,
  restoreLockTimeoutSql: () => `SELECT set_config('lock_timeout', $1, true) AS current`,
  advisoryLockSql: () => `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`,
  uniqueKeysSql: () => `
    SELECT c.relname AS name,
           ARRAY(SELECT a.attname::text FROM unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                 ORDER BY k.n) AS columns,
           COALESCE((to_jsonb(i) ->> 'indnullsnotdistinct')::boolean, false) AS nulls_not_distinct,
           (i.indpred IS NULL AND i.indexprs IS NULL AND i.indimmediate) AS usable
      FROM pg_index i
      JOIN pg_class c ON c.oid = i.indexrelid
     WHERE i.indrelid = to_regclass($1) AND i.indisunique AND i.indisvalid`,
  parseUniqueKey: (row): UniqueKey => ({
    name: String(row.name),
    columns: parseTextArray(row.columns),
    nullsNotDistinct: row.nulls_not_distinct === true,
    usableForLookup: row.usable === true,
  }),
  classifyError(error): ClassifiedError {
    const driver = driverError(error);
    if (!driver) return { kind: 'other' };
    const code = driver.code as string;
    const constraint = typeof driver.constraint === 'string' ? driver.constraint : undefined;
    return { kind: kindsBySqlState[code] ?? 'other', code, constraint };
  },
};

/** node-postgres parses text[] into an array; other paths may hand back `{a,b}`. */
function parseTextArray(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  const text = String(value ?? '');
  return text.replace(/^\{|\}$/g, '').split(',').filter(Boolean).map((s) => s.replace(/^"|"$/g, ''));
}
