import { RaceSafeError } from '../errors';
import { identifierParts } from './identifiers';
import type { ClassifiedError, DialectAdapter, ErrorKind, UniqueKey } from './dialect';

// Extended result codes, never message text: https://sqlite.org/rescode.html
const kindsByCode: Record<string, ErrorKind> = {
  SQLITE_CONSTRAINT_UNIQUE: 'unique-violation',
  SQLITE_CONSTRAINT_PRIMARYKEY: 'unique-violation',
  // The write lock was not granted within busy_timeout, or at all: a deferred transaction that read
  // first cannot upgrade once another writer committed (SQLITE_BUSY_SNAPSHOT ignores busy_timeout: docs/database-behaviours.md#sqlite-a-reader-cannot-become-a-writer-after-another-commit).
  SQLITE_BUSY: 'serialization-failure',
  SQLITE_BUSY_SNAPSHOT: 'serialization-failure',
  SQLITE_BUSY_RECOVERY: 'serialization-failure',
  SQLITE_BUSY_TIMEOUT: 'serialization-failure',
};

// Extended result codes by number (https://sqlite.org/rescode.html#extrc): node-sqlite3 names only the primary ones.
const extendedNames: Record<number, string> = {
  261: 'SQLITE_BUSY_RECOVERY',
  517: 'SQLITE_BUSY_SNAPSHOT',
  773: 'SQLITE_BUSY_TIMEOUT',
  275: 'SQLITE_CONSTRAINT_CHECK',
  787: 'SQLITE_CONSTRAINT_FOREIGNKEY',
  1299: 'SQLITE_CONSTRAINT_NOTNULL',
  1555: 'SQLITE_CONSTRAINT_PRIMARYKEY',
  2067: 'SQLITE_CONSTRAINT_UNIQUE',
};
const primaryNames: Record<number, string> = {
  5: 'SQLITE_BUSY',
  6: 'SQLITE_LOCKED',
  19: 'SQLITE_CONSTRAINT',
};

/**
 * The driver error itself, or the one an ORM wrapped, with its code: better-sqlite3's SqliteError
 * and node-sqlite3's Error carry a `SQLITE_...` code. node-sqlite3 on a connection opened with
 * SQLITE_OPEN_EXRESCODE (0x02000000) reports the extended code only as `errno` (2067) and its
 * code as `UNKNOWN`: the code is then named from errno.
 */
function driverError(error: unknown): { code: string; message: string } | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const candidate = error as Record<string, unknown>;
  const message = (candidate.message ?? '') as string;
  if (typeof candidate.code === 'string' && candidate.code.startsWith('SQLITE_'))
    return { code: candidate.code, message };
  if (candidate.code === 'UNKNOWN' && typeof candidate.errno === 'number') {
    const errno = candidate.errno;
    const code = extendedNames[errno] ?? primaryNames[errno & 0xff];
    if (code) return { code, message };
  }
  const inner = candidate.driverError ?? candidate.original ?? candidate.parent;
  return inner === error ? undefined : driverError(inner);
}

/**
 * What a unique violation names. The documented exception to "codes, never messages": SQLite
 * names the violated key only in its message, and by columns (`UNIQUE constraint failed:
 * users.email, users.name`: docs/database-behaviours.md#sqlite-names-a-violated-key-by-its-columns), or by index name for an expression index
 * (`UNIQUE constraint failed: index 'users_lower_email'`). Columns are mapped to the index
 * through the catalog (db/run.ts). Column names holding ", " are not told apart.
 */
export function sqliteUniqueViolation(message: string): { index?: string; columns?: string[] } {
  const failed = /UNIQUE constraint failed: (.+)$/.exec(message.trim())?.[1];
  if (failed === undefined) return {};
  const index = /^index '(.+)'$/.exec(failed)?.[1];
  if (index !== undefined) return { index };
  // `table.column`: the table never holds a dot here (racesafe's own tables are plain names).
  return {
    columns: failed.split(', ').map((qualified) => qualified.slice(qualified.indexOf('.') + 1)),
  };
}

/** The kind of a driver error from its extended code; node-sqlite3 reports only the primary code. */
function kindOf(code: string, message: string): ErrorKind {
  const kind = kindsByCode[code];
  if (kind) return kind;
  if (code.startsWith('SQLITE_BUSY')) return 'serialization-failure';
  // node-sqlite3 enables no extended result codes unless the connection is opened with SQLITE_OPEN_EXRESCODE: a unique
  // violation, NOT NULL, CHECK and FOREIGN KEY all come as SQLITE_CONSTRAINT (19), and only SQLite's fixed message prefix tells the unique one apart.
  if (code === 'SQLITE_CONSTRAINT' && /UNIQUE constraint failed: /.test(message))
    return 'unique-violation';
  return 'other';
}

/** A partial index's predicate: the text after the column list's `) WHERE` in its CREATE INDEX statement. */
function partialPredicate(definition: unknown): string | undefined {
  if (typeof definition !== 'string') return undefined;
  return /\)\s*WHERE\s+([\s\S]+?)\s*;?\s*$/i.exec(definition)?.[1];
}

/** An identifier as SQLite accepts it in a predicate: bare, "double", `back` or [bracket] quoted. */
function unquoted(name: string): string {
  return name.replace(
    /^"(.*)"$|^`(.*)`$|^\[(.*)\]$/s,
    (_, a?: string, b?: string, c?: string) => a ?? b ?? c ?? '',
  );
}

function noRowLockTimeout(): never {
  throw new RaceSafeError(
    "SQLite has no row lock to time out: nowait / lockTimeoutMs bound the BEGIN IMMEDIATE of racesafe's own transaction (beginLockWait)",
  );
}

/** A busy timeout as PRAGMA digits: a whole number of milliseconds, checked again here because a PRAGMA takes no bound parameter. */
function busyTimeoutDigits(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0)
    throw new RaceSafeError(
      `busy timeout must be a whole number of milliseconds, got ${String(ms)}`,
    );
  return String(ms);
}

/**
 * SQLite 3.35 and later (RETURNING, ON CONFLICT DO NOTHING), through better-sqlite3 (TypeORM
 * `better-sqlite3`, TypeORM 0.3 also `sqlite`) or node-sqlite3 (Sequelize `sqlite`, TypeORM 0.3
 * `sqlite`). No row locks: one writer holds the database's write lock at a time, and racesafe's
 * own transactions take it at BEGIN (`BEGIN IMMEDIATE`), so a read inside them is never followed
 * by a failed upgrade (docs/database-behaviours.md#sqlite-a-reader-cannot-become-a-writer-after-another-commit); `nowait` / `lockTimeoutMs` bound that BEGIN's wait through
 * the busy timeout (beginLockWait). Division by zero yields NULL (docs/database-behaviours.md#division-by-zero-and-out-of-range-values): into a NOT NULL
 * column that fails (`DatabaseError`, SQLITE_CONSTRAINT_NOTNULL); a nullable column stores NULL.
 * An F expression for an INTEGER column must be whole (integerColumnsKeepFractions).
 */
export const sqliteDialect: DialectAdapter = {
  name: 'sqlite',
  // TypeORM's driver types and Sequelize's dialect name.
  aliases: ['better-sqlite3'],
  placeholder: () => '?',
  quoteIdentifier: sqliteQuote,
  supportsInsertIgnoringConflictOn: true,
  // A partial index is an upsert target only when the conflict target repeats its WHERE.
  skipConflictClause: (key) =>
    `ON CONFLICT (${key.columns.map(sqliteQuote).join(', ')})${key.predicate ? ` WHERE ${key.predicate}` : ''} DO NOTHING`,
  isNotDeletedPredicate: (predicate, column) => {
    const match = /^\(*\s*(.+?)\s+IS\s+NULL\s*\)*$/is.exec(predicate.trim());
    return match !== null && unquoted(match[1]) === column;
  },
  supportsReturning: true,
  // A WITH clause may not hold an INSERT in SQLite.
  writesInWith: false,
  // SQLITE_MAX_VARIABLE_NUMBER's default since 3.32.
  maxBoundParameters: 32766,
  bindsObjectsAsOneValue: false,
  // `a OR b OR c ...` is a tree one level deeper per term: over 1000 levels is "Expression tree is too large".
  // https://sqlite.org/limits.html#max_expr_depth (each term adds a level or two of its own).
  maxOrTerms: 400,
  // `SET a = a + 1, b = a` gives b the old a, as standard SQL.
  sequentialAssignments: false,
  // better-sqlite3 binds every JavaScript number as REAL: `n / ?` would divide exactly (7 / 2.0 = 3.5).
  integerOperand: (p) => `CAST(${p} AS INTEGER)`,
  // Two INTEGER operands: `/` truncates toward zero, as PostgreSQL's.
  integerDivision: (left, right) => `(${left} / ${right})`,
  // A write transaction holds the database's write lock, so its snapshot is the latest: a plain read sees the winner.
  lockingReadAfterConflict: null,
  missingRowLockBlocksInserts: false,
  // No FOR UPDATE (a syntax error: docs/database-behaviours.md#sqlite-a-reader-cannot-become-a-writer-after-another-commit): the write lock taken by BEGIN IMMEDIATE does the locking.
  lockClause: () => '',
  setLockTimeoutSql: noRowLockTimeout,
  restoreLockTimeoutSql: noRowLockTimeout,
  lockTimeoutOutlivesRollback: false,
  // The busy timeout is the connection's wait for the write lock; PRAGMA busy_timeout = 0 makes BEGIN IMMEDIATE fail at once.
  // Inside a caller's deferred transaction nothing racesafe sends waits: once it has read, SQLite refuses a write it
  // cannot have at once (SQLITE_BUSY, busy handler skipped) rather than risk a deadlock, so there is nothing to bound.
  beginLockWait: {
    readSql: 'SELECT timeout AS previous FROM pragma_busy_timeout',
    setSql: (ms) => `PRAGMA busy_timeout = ${busyTimeoutDigits(ms)}`,
  },
  // Type affinity: 9 / 2.5 is stored as 3.6 in an INTEGER column; PostgreSQL refuses the operand (22P02).
  integerColumnsKeepFractions: true,
  advisoryLockSql: () => undefined,
  // SQLITE_BUSY fails the statement only; the transaction and its savepoints stay.
  deadlockEndsTransaction: false,
  // better-sqlite3 prepares one statement at a time.
  rollbackToSavepoint: (name) => [`ROLLBACK TO SAVEPOINT ${name}`, `RELEASE SAVEPOINT ${name}`],
  ownTransactionType: 'IMMEDIATE',
  // node-sqlite3 hands back rows only from all(); TypeORM 0.3's `sqlite` driver and Sequelize send a statement
  // starting with INSERT / UPDATE through run(), which returns none: a leading comment makes them choose all().
  returningStatementPrefix: '/* racesafe: returns rows */ ',
  serverVersionSql: 'SELECT sqlite_version() AS version',
  // RETURNING and INSERT ... ON CONFLICT DO NOTHING: https://sqlite.org/releaselog/3_35_0.html
  minimumServerVersion: '3.35.0',
  // pragma_index_list takes the bare table name: the ORMs hand it quoted ("users", `users`).
  // An expression column has no name in index_info; the predicate of a partial index lives only in its CREATE INDEX.
  // pragma_index_list takes the bare table name: the ORMs hand it quoted ("users", `users`, "a""b").
  catalogTable: (tableSql) => identifierParts(tableSql).at(-1)!,
  uniqueKeysSql: (p) => `
    SELECT il.name AS name,
           (SELECT group_concat(ii.name, char(31)) FROM (SELECT name FROM pragma_index_info(il.name) ORDER BY seqno) AS ii) AS columns,
           (SELECT count(*) FROM pragma_index_info(il.name) WHERE name IS NULL) AS expressions,
           il.partial AS partial,
           (SELECT sql FROM sqlite_master WHERE type = 'index' AND name = il.name) AS definition
      FROM pragma_index_list(${p}) AS il
     WHERE il."unique" = 1`,
  parseUniqueKey: (row): UniqueKey => ({
    // A UNIQUE constraint's index is `sqlite_autoindex_<table>_<n>`: SQLite keeps no constraint name.
    name: String(row.name),
    columns: ((row.columns ?? '') as string).split('\u001f').filter(Boolean),
    // A unique index admits any number of NULLs in SQLite.
    nullsNotDistinct: false,
    usableForLookup: Number(row.expressions) === 0,
    predicate: Number(row.partial) === 1 ? partialPredicate(row.definition) : undefined,
  }),
  classifyError(error): ClassifiedError {
    const driver = driverError(error);
    if (!driver) return { kind: 'other' };
    const { code, message } = driver;
    const kind = kindOf(code, message);
    if (kind !== 'unique-violation') return { kind, code, message };
    const { index, columns } = sqliteUniqueViolation(message);
    return { kind, code, constraint: index, columns, message };
  },
};

function sqliteQuote(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
