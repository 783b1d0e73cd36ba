import { errorChain, socketLoss } from './connection-loss';
import { identifierParts } from './identifiers';
import type {
  ClassifiedError,
  DialectAdapter,
  ErrorKind,
  LockStrength,
  UniqueKey,
} from './dialect';

// Server error numbers (errno), never message text: https://mariadb.com/kb/en/mariadb-error-codes/
const kindsByErrno: Record<number, ErrorKind> = {
  1062: 'unique-violation', // ER_DUP_ENTRY
  1213: 'deadlock', // ER_LOCK_DEADLOCK: the whole transaction is rolled back (docs/database-behaviours.md#a-mysql-deadlock-ends-the-whole-transaction)
  1205: 'lock-not-available', // ER_LOCK_WAIT_TIMEOUT; MariaDB reports FOR UPDATE NOWAIT with it too (docs/database-behaviours.md#mariadb-reports-nowait-as-a-lock-wait-timeout)
  3572: 'lock-not-available', // ER_LOCK_NOWAIT (MySQL 8)
};

// The session is gone (issue 13), by errno: the server's 1927 ER_CONNECTION_KILLED and 1053
// ER_SERVER_SHUTDOWN; the client's 2006 CR_SERVER_GONE_ERROR / 2013 CR_SERVER_LOST where a driver
// reports them; the mariadb connector's 45009 ER_SOCKET_UNEXPECTED_CLOSE, 45026 ER_SOCKET_TIMEOUT, 45019 ER_SOCKET.
const sessionEndedErrnos = new Set([1927, 1053, 2006, 2013, 45009, 45019, 45026]);
// The mariadb connector refused to send on a closed connection: 45001 ER_CONNECTION_ALREADY_CLOSED,
// 45004 ER_CMD_NOT_EXECUTED_DESTROYED, 45013 ER_CMD_CONNECTION_CLOSED, 45012 ER_CONNECTION_TIMEOUT (connecting).
const notSentErrnos = new Set([45001, 45004, 45012, 45013]);
// mysql2's code when the socket closed with a command in flight (lib/base/connection.js).
const mysql2LostCodes = new Set(['PROTOCOL_CONNECTION_LOST']);
// mysql2 refuses a command on a closed connection with no code at all (only `fatal: true`): its fixed text is the only evidence.
const mysql2NotSentMessages = new Set(["Can't add new command when connection is in closed state"]);

/** A lost or refused connection, told by errno, driver or socket code, or (only where mysql2 gives no code) mysql2's own text. */
function connectionLoss(error: unknown): ClassifiedError | undefined {
  for (const e of errorChain(error)) {
    const errno = typeof e.errno === 'number' ? e.errno : undefined;
    if (errno !== undefined && sessionEndedErrnos.has(errno))
      return { kind: 'connection-lost', code: String(errno) };
    if (errno !== undefined && notSentErrnos.has(errno))
      return { kind: 'connection-lost', code: String(errno), beforeSending: true };
    const code = typeof e.code === 'string' ? e.code : undefined;
    if (code && mysql2LostCodes.has(code)) return { kind: 'connection-lost', code };
    const socket = socketLoss(e);
    if (socket) return socket;
    if (
      code === undefined &&
      e.fatal === true &&
      typeof e.message === 'string' &&
      mysql2NotSentMessages.has(e.message)
    )
      return { kind: 'connection-lost', beforeSending: true };
  }
  return undefined;
}

const lockClauses: Record<LockStrength, string> = {
  update: 'FOR UPDATE',
  // MySQL has no weaker exclusive row lock than FOR UPDATE.
  'no-key-update': 'FOR UPDATE',
  // MariaDB 10.11 refuses FOR SHARE (docs/database-behaviours.md#mariadb-syntax-and-defaults); MySQL 8 accepts both.
  share: 'LOCK IN SHARE MODE',
};

// MariaDB 10.1+: https://mariadb.com/kb/en/using-compound-statements-outside-of-stored-programs/
const compoundStatementsAvailable = `SELECT VERSION() LIKE '%MariaDB%' AS available`;

// A compound statement's own transaction. RESIGNAL raises the same errno (1062, 1213, 1205...) after
// the rollback, so errors classify as ever. READ COMMITTED: a locking read of a missing key locks
// no gap, so two callers creating one key do not deadlock (docs/database-behaviours.md#mysql-gap-locks-deadlock-two-inserts):
// the second's INSERT waits on the first's and gets a 1062 on the lookup's key.
const ownTransactionStart = [
  'DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END;',
  'SET TRANSACTION ISOLATION LEVEL READ COMMITTED;',
  'START TRANSACTION;',
];

/**
 * `SET STATEMENT innodb_lock_wait_timeout = <s> FOR `: a lock wait scoped to one statement (MariaDB),
 * whole seconds rounded up; 0 fails at once, as NOWAIT, which a compound statement refuses (1314).
 */
function lockWaitPrefix(ms: number | undefined): string {
  if (ms === undefined) return '';
  if (!Number.isInteger(ms) || ms < 0)
    throw new RangeError(`lockWaitMs must be a whole number of milliseconds, got ${ms}`);
  const seconds = ms === 0 ? 0 : Math.max(1, Math.ceil(ms / 1000));
  return `SET STATEMENT innodb_lock_wait_timeout = ${seconds} FOR `;
}

/** The driver error itself (mysql2 or mariadb: a numeric errno), or the one an ORM wrapped. */
function driverError(error: unknown): Record<string, unknown> | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const candidate = error as Record<string, unknown>;
  // A server error has an errno and a SQLSTATE; a socket error (ECONNRESET) has neither errno nor sqlState.
  if (typeof candidate.errno === 'number' && typeof candidate.sqlState === 'string')
    return candidate;
  const inner = candidate.driverError ?? candidate.original ?? candidate.parent;
  return inner === error ? undefined : driverError(inner);
}

/**
 * The key a 1062 names. The one documented exception to "codes, never messages": neither
 * driver carries the key name in a field, only the server's message does (docs/database-behaviours.md#mysql-names-the-violated-key-only-in-its-message):
 * MariaDB `Duplicate entry 'a' for key 'u_email'`, MySQL 8.0.19+ `... for key 'users.u_email'`.
 */
export function duplicateKeyName(message: string): string | undefined {
  const key = /for key '(.+)'$/.exec(message.trim())?.[1];
  if (key === undefined) return undefined;
  const dot = key.indexOf('.');
  return dot === -1 ? key : key.slice(dot + 1);
}

/** MySQL 8 and MariaDB 10.5+, through mysql2 (TypeORM `mysql` / `mariadb`, Sequelize `mysql`) or the mariadb connector (Sequelize `mariadb`). */
export const mysqlDialect: DialectAdapter = {
  name: 'mysql',
  aliases: ['mariadb'],
  placeholder: () => '?',
  quoteIdentifier: (name) => `\`${name.replace(/`/g, '``')}\``,
  // INSERT IGNORE and ON DUPLICATE KEY UPDATE would swallow other keys' conflicts and NOT NULL (docs/database-behaviours.md#why-not-insert-ignore-or-on-duplicate-key-update): a 1062 it is.
  supportsInsertIgnoringConflictOn: false,
  skipConflictClause: () => {
    throw new Error(
      'mysql has no INSERT that skips one key only: racesafe catches its 1062 instead',
    );
  },
  // No partial indexes: a key always covers soft-deleted rows too.
  isNotDeletedPredicate: () => false,
  supportsReturning: false,
  updateThenSelect: {
    availableSql: compoundStatementsAvailable,
    statement: ({ locking, update, select }, ownTransaction) =>
      [
        'BEGIN NOT ATOMIC',
        'DECLARE racesafe_matched INT DEFAULT 0;',
        // RESIGNAL raises the same errno (1213, 1062...) after the rollback, so errors classify as ever.
        ...(ownTransaction
          ? [
              'DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END;',
              'START TRANSACTION;',
            ]
          : []),
        // Counted under a lock, not by ROW_COUNT(): that counts changed rows unless the client set CLIENT_FOUND_ROWS (Sequelize clears it).
        `SELECT COUNT(*) INTO racesafe_matched FROM ${locking};`,
        `${update};`,
        `${select('racesafe_matched > 0')};`,
        ...(ownTransaction ? ['COMMIT;'] : []),
        'END',
      ].join('\n'),
  },
  updateOrInsert: {
    availableSql: compoundStatementsAvailable,
    statement: (steps, ownTransaction) =>
      [
        'BEGIN NOT ATOMIC',
        'DECLARE racesafe_found INT DEFAULT 0;',
        'DECLARE racesafe_made INT DEFAULT 0;',
        ...(ownTransaction ? ownTransactionStart : []),
        `${lockWaitPrefix(steps.lockWaitMs)}SELECT COUNT(*) INTO racesafe_found FROM ${steps.locking};`,
        ...(steps.update
          ? ['IF racesafe_found > 0 THEN', `${steps.update};`, 'ELSE']
          : ['IF racesafe_found = 0 THEN']),
        `${steps.insert};`,
        'SET racesafe_made = 1;',
        'END IF;',
        `${steps.select('racesafe_made')};`,
        ...(ownTransaction ? ['COMMIT;'] : []),
        'END',
      ].join('\n'),
    sameStoredValue: (column, placeholder) => `BINARY ${column} <=> BINARY ${placeholder}`,
    comparesBoundValue: (value) => typeof value !== 'number' || Number.isFinite(value),
  },
  findOrInsert: {
    availableSql: compoundStatementsAvailable,
    statement: (steps, ownTransaction) =>
      [
        'BEGIN NOT ATOMIC',
        'DECLARE racesafe_found INT DEFAULT 0;',
        'DECLARE racesafe_made INT DEFAULT 0;',
        'DECLARE racesafe_lost INT DEFAULT 0;',
        ...(ownTransaction ? ownTransactionStart : []),
        `SELECT COUNT(*) INTO racesafe_found FROM ${steps.found};`,
        'IF racesafe_found = 0 THEN',
        'BEGIN',
        // A 1062 on the lookup's key: a concurrent creator won, its row is read below; on another key: raised again.
        'DECLARE EXIT HANDLER FOR 1062 BEGIN',
        `SELECT COUNT(*) INTO racesafe_lost FROM ${steps.winner};`,
        'IF racesafe_lost = 0 THEN RESIGNAL; END IF;',
        'END;',
        `${steps.insert};`,
        'SET racesafe_made = 1;',
        'END;',
        'END IF;',
        `IF racesafe_lost = 0 THEN ${steps.select('racesafe_made')}; ELSE ${steps.selectWinner}; END IF;`,
        ...(ownTransaction ? ['COMMIT;'] : []),
        'END',
      ].join('\n'),
  },
  insertThenSelect: {
    availableSql: compoundStatementsAvailable,
    statement: ({ insert, select }, ownTransaction) =>
      [
        'BEGIN NOT ATOMIC',
        ...(ownTransaction
          ? [
              'DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END;',
              'START TRANSACTION;',
            ]
          : []),
        `${insert};`,
        `${select};`,
        ...(ownTransaction ? ['COMMIT;'] : []),
        'END',
      ].join('\n'),
  },
  writesInWith: false,
  // A prepared statement's placeholder count is 16 bits (ER_PS_MANY_PARAM beyond).
  maxBoundParameters: 65535,
  bindsObjectsAsOneValue: false,
  // `SET a = a + 1, b = a` gives b the new a: https://dev.mysql.com/doc/refman/8.0/en/update.html
  sequentialAssignments: true,
  integerOperand: (p) => `CAST(${p} AS SIGNED)`,
  integerDivision: (left, right) => `(${left} DIV ${right})`,
  // REPEATABLE READ: only a locking read sees the committed winner (docs/database-behaviours.md#a-locking-read-sees-past-the-snapshot-on-mysql); FOR UPDATE would deadlock 3+ losers (docs/database-behaviours.md#three-inserters-of-one-key-deadlock-on-mysql).
  lockingReadAfterConflict: 'share',
  missingRowLockBlocksInserts: true,
  lockClause: (strength, { nowait }) =>
    lockClauses[strength] + (nowait && strength !== 'share' ? ' NOWAIT' : ''),
  // innodb_lock_wait_timeout is whole seconds, per session: remember it in a user variable, restore it after the read.
  setLockTimeoutSql: (p) =>
    `SET @racesafe_lock_wait_timeout = @@SESSION.innodb_lock_wait_timeout, SESSION innodb_lock_wait_timeout = CAST(GREATEST(1, CEIL(${p} / 1000)) AS UNSIGNED)`,
  // CAST: a bound parameter makes the value a string or decimal, which the variable refuses (1232).
  restoreLockTimeoutSql: (p) =>
    `SET SESSION innodb_lock_wait_timeout = CAST(COALESCE(${p}, @racesafe_lock_wait_timeout) AS UNSIGNED)`,
  lockTimeoutOutlivesRollback: true,
  // Without STRICT_ mode `n / 0` and out-of-range values are stored as 0 or the limit with a warning (docs/database-behaviours.md#division-by-zero-and-out-of-range-values).
  strictArithmeticSql: `SELECT (FIND_IN_SET('STRICT_TRANS_TABLES', @@SESSION.sql_mode) > 0 OR FIND_IN_SET('STRICT_ALL_TABLES', @@SESSION.sql_mode) > 0) AS strict, @@SESSION.sql_mode AS mode`,
  advisoryLockSql: () => undefined,
  deadlockEndsTransaction: true,
  // The drivers refuse multi-statement queries unless the connection allows them.
  rollbackToSavepoint: (name) => [`ROLLBACK TO SAVEPOINT ${name}`, `RELEASE SAVEPOINT ${name}`],
  // `schema`.`table` (another database) or `table` (the connection's): the schema, unit separator, the name.
  catalogTable: (tableSql) => {
    const parts = identifierParts(tableSql);
    return `${parts.length > 1 ? parts[parts.length - 2] : ''}\u001f${parts[parts.length - 1]}`;
  },
  // One bound value read twice: a derived table names it. Column names are joined by the unit separator, which no name holds.
  uniqueKeysSql: (p) => `
    SELECT s.INDEX_NAME AS name,
           GROUP_CONCAT(s.COLUMN_NAME ORDER BY s.SEQ_IN_INDEX SEPARATOR '\x1f') AS columns,
           MAX(s.SUB_PART IS NOT NULL OR s.COLUMN_NAME IS NULL) AS partial_columns
      FROM (SELECT ${p} AS t) AS arg
      JOIN information_schema.STATISTICS s
        ON s.TABLE_SCHEMA = COALESCE(NULLIF(SUBSTRING_INDEX(arg.t, '\x1f', 1), ''), DATABASE())
       AND s.TABLE_NAME = SUBSTRING_INDEX(arg.t, '\x1f', -1)
     WHERE s.NON_UNIQUE = 0
     GROUP BY s.INDEX_NAME`,
  parseUniqueKey: (row): UniqueKey => ({
    name: String(row.name ?? row.NAME),
    columns: String(row.columns ?? row.COLUMNS).split('\u001f'),
    // A unique key admits any number of NULLs in MySQL and MariaDB.
    nullsNotDistinct: false,
    // A prefix (TEXT(191)) or functional key part does not make the whole value unique.
    usableForLookup: Number(row.partial_columns ?? row.PARTIAL_COLUMNS) === 0,
  }),
  classifyError(error): ClassifiedError {
    const lost = connectionLoss(error);
    if (lost) return lost;
    const driver = driverError(error);
    if (!driver) return { kind: 'other' };
    const errno = driver.errno as number;
    const kind = kindsByErrno[errno] ?? 'other';
    const message = (driver.sqlMessage ?? driver.text ?? driver.message ?? '') as string;
    return {
      kind,
      code: String(errno),
      constraint: kind === 'unique-violation' ? duplicateKeyName(message) : undefined,
      message: message || undefined,
    };
  },
};
