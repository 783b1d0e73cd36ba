import { errorChain, socketLoss } from './connection-loss';
import type {
  ClassifiedError,
  DialectAdapter,
  ErrorKind,
  LockStrength,
  UniqueKey,
} from './dialect';

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
  if (
    typeof candidate.code === 'string' &&
    /^[0-9A-Z]{5}$/.test(candidate.code) &&
    typeof candidate.severity === 'string'
  )
    return candidate;
  const inner = candidate.driverError ?? candidate.original ?? candidate.parent;
  return inner === error ? undefined : driverError(inner);
}

// The server ended the session: class 08 (connection exception), 57P01 terminated by an administrator
// (pg_terminate_backend, smart/fast shutdown), 57P02 crash of another backend, 57P05 idle session timeout,
// 25P03 idle-in-transaction timeout. 57P03 (starting up / shutting down) and 08001 / 08004 refuse a new connection.
const sessionEndedSqlState = /^(08[0-9A-Z]{3}|57P0[1235]|25P03)$/;
const refusedSqlStates = new Set(['57P03', '08001', '08004']);
// node-postgres raises these with no code at all, so their fixed text is the only evidence (pg/lib/client.js).
const pgLostMessages = new Set(['Connection terminated unexpectedly', 'Connection terminated']);
const pgNotSentMessages = new Set([
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
  'Connection terminated due to connection timeout',
]);

/** A lost or refused connection, told by SQLSTATE, socket code, or (only where pg gives no code) pg's own text. */
function connectionLoss(error: unknown): ClassifiedError | undefined {
  for (const e of errorChain(error)) {
    const code = typeof e.code === 'string' ? e.code : undefined;
    if (code && typeof e.severity === 'string' && sessionEndedSqlState.test(code))
      return {
        kind: 'connection-lost',
        code,
        beforeSending: refusedSqlStates.has(code) || undefined,
      };
    const socket = socketLoss(e);
    if (socket) return socket;
    if (code === undefined && typeof e.message === 'string' && pgLostMessages.has(e.message))
      return { kind: 'connection-lost' };
    if (code === undefined && typeof e.message === 'string' && pgNotSentMessages.has(e.message))
      return { kind: 'connection-lost', beforeSending: true };
  }
  return undefined;
}

/**
 * `ON CONFLICT (<key columns>) [WHERE <predicate>]`: a partial unique index is an arbiter only when
 * its predicate is repeated (index_predicate).
 */
function conflictTarget(key: UniqueKey): string {
  return `ON CONFLICT (${key.columns.map(postgresQuote).join(', ')})${key.predicate ? ` WHERE ${key.predicate}` : ''}`;
}

/** PostgreSQL (node-postgres driver), 12 and later. */
export const postgresDialect: DialectAdapter = {
  name: 'postgres',
  placeholder: (index) => `$${index}`,
  quoteIdentifier: postgresQuote,
  supportsInsertIgnoringConflictOn: true,
  skipConflictClause: (key) => `${conflictTarget(key)} DO NOTHING`,
  // pg_get_expr prints `(deleted_at IS NULL)` or `("deletedAt" IS NULL)`.
  isNotDeletedPredicate: (predicate, column) =>
    predicate.replace(/^\(+|\)+$/g, '').trim() === `${postgresQuoteIfNeeded(column)} IS NULL`,
  supportsReturning: true,
  insertOrUpdate: {
    conflictClause: (key, set) => `${conflictTarget(key)} DO UPDATE SET ${set}`,
    // An updated row's new version keeps the updater's row lock in xmax; an inserted one has none.
    createdSql: '(xmax = 0)',
  },
  writesInWith: true,
  // node-postgres writes a JS array as an array literal, each element converted as a scalar parameter (Dates, Buffers, bigints).
  arrayRows: {
    // format_type(oid, NULL): no typmod, so varchar(n) / bit(n) are checked on assignment (an explicit cast would truncate).
    columnTypesSql: (p) => `
      SELECT a.attname AS name, format_type(a.atttypid, NULL) AS type,
             (t.typtype = 'e' OR (t.typtype = 'b' AND t.typcategory IN ('B', 'D', 'I', 'N', 'S', 'T', 'V')) OR t.typname IN ('uuid', 'bytea')) AS arrayable
        FROM pg_attribute a
        JOIN pg_type t ON t.oid = a.atttypid
       WHERE a.attrelid = to_regclass(${p}) AND a.attnum > 0 AND NOT a.attisdropped`,
    source: (arrays, alias, columns, ordinal) =>
      `unnest(${arrays.map((a) => `${a.placeholder}::${a.type}[]`).join(', ')}) WITH ORDINALITY AS ${alias}(${[...columns, ordinal].join(', ')})`,
  },
  // The wire protocol counts parameters in 16 bits.
  maxBoundParameters: 65535,
  bindsObjectsAsOneValue: true,
  sequentialAssignments: false,
  // The parameter takes the other operand's type.
  integerOperand: (p) => p,
  integerDivision: (left, right) => `(${left} / ${right})`,
  // READ COMMITTED: a new statement sees the committed winner; REPEATABLE READ cannot see it at all (docs/database-behaviours.md#a-snapshot-cannot-see-the-winner).
  lockingReadAfterConflict: null,
  missingRowLockBlocksInserts: false,
  lockClause: (strength, { nowait }) => lockClauses[strength] + (nowait ? ' NOWAIT' : ''),
  // set_config(..., true) is SET LOCAL: it ends with the transaction, and is restored by us before that.
  setLockTimeoutSql: (p) =>
    `SELECT current_setting('lock_timeout') AS previous, set_config('lock_timeout', ${p} || 'ms', true) AS current`,
  restoreLockTimeoutSql: (p) => `SELECT set_config('lock_timeout', ${p}, true) AS current`,
  lockTimeoutOutlivesRollback: false,
  // A failed statement aborts the transaction but keeps its savepoints: ROLLBACK TO rescues it (docs/database-behaviours.md#postgresql-aborts-the-transaction-after-an-error).
  deadlockEndsTransaction: false,
  // One round trip: without parameters node-postgres sends a simple (multi-statement) query.
  rollbackToSavepoint: (name) => [`ROLLBACK TO SAVEPOINT ${name}; RELEASE SAVEPOINT ${name}`],
  advisoryLockSql: (p) => `SELECT pg_advisory_xact_lock(hashtextextended(${p}, 0))`,
  // to_regclass parses the quoted, schema-qualified name itself.
  catalogTable: (tableSql) => tableSql,
  uniqueKeysSql: (p) => `
    SELECT c.relname AS name,
           ARRAY(SELECT a.attname::text FROM unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                 ORDER BY k.n) AS columns,
           COALESCE((to_jsonb(i) ->> 'indnullsnotdistinct')::boolean, false) AS nulls_not_distinct,
           (i.indexprs IS NULL AND i.indimmediate) AS usable,
           pg_get_expr(i.indpred, i.indrelid) AS predicate
      FROM pg_index i
      JOIN pg_class c ON c.oid = i.indexrelid
     WHERE i.indrelid = to_regclass(${p}) AND i.indisunique AND i.indisvalid`,
  parseUniqueKey: (row): UniqueKey => ({
    name: String(row.name),
    columns: parseTextArray(row.columns),
    nullsNotDistinct: row.nulls_not_distinct === true,
    usableForLookup: row.usable === true,
    predicate: typeof row.predicate === 'string' ? row.predicate : undefined,
  }),
  classifyError(error): ClassifiedError {
    const lost = connectionLoss(error);
    if (lost) return lost;
    const driver = driverError(error);
    if (!driver) return { kind: 'other' };
    const code = driver.code as string;
    const constraint = typeof driver.constraint === 'string' ? driver.constraint : undefined;
    const message = typeof driver.message === 'string' ? driver.message : undefined;
    return { kind: kindsBySqlState[code] ?? 'other', code, constraint, message };
  },
};

function postgresQuote(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** An identifier as PostgreSQL prints it: bare when it is lower-case and plain, quoted otherwise. */
function postgresQuoteIfNeeded(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : postgresQuote(name);
}

/** node-postgres parses text[] into an array; other paths may hand back `{a,b}`. */
function parseTextArray(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  const text = (value ?? '') as string;
  return text
    .replace(/^\{|\}$/g, '')
    .split(',')
    .filter(Boolean)
    .map((s) => s.replace(/^"|"$/g, ''));
}
