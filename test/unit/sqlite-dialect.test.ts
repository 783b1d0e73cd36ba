import {
  ConflictError,
  DatabaseError,
  RetryableError,
  sqliteDialect,
  sqliteUniqueViolation,
  translateError,
} from '@racesafe/core';
import { compareVersions } from '../../packages/core/src/server/server-version';
import sqlite3 from 'sqlite3';
import { stubGateway } from './support/stub-gateway';

// better-sqlite3 ships no types; this is the part of its API used here.
interface BetterSqlite3 {
  exec(sql: string): void;
  prepare(sql: string): {
    all(...values: unknown[]): Record<string, unknown>[];
    run(...values: unknown[]): unknown;
  };
  close(): void;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const BetterSqlite3 = require('better-sqlite3') as new (file: string) => BetterSqlite3;

const tableSql = `
  CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT UNIQUE, b TEXT NOT NULL, c TEXT, d TEXT, deleted_at TEXT, CHECK (b <> 'bad'));
  CREATE UNIQUE INDEX t_c_live ON t (c) WHERE deleted_at IS NULL;
  CREATE UNIQUE INDEX t_lower_d ON t (lower(d));
  CREATE UNIQUE INDEX t_b_c ON t (b, c);
  CREATE INDEX t_b ON t (b);
`;

// SQLITE_OPEN_EXRESCODE (SQLite 3.37+): the connection's errors carry extended result codes. node-sqlite3 6 has no constant for it.
const openExtendedResultCodes = 0x02000000;

/**
 * The error a statement raises on a real in-memory database through node-sqlite3: by default no
 * extended result codes; with `extended`, opened with SQLITE_OPEN_EXRESCODE (errno 2067, code `UNKNOWN`).
 */
function sqlite3Error(sql: string, extended = false): Promise<Error> {
  const mode =
    sqlite3.OPEN_READWRITE |
    sqlite3.OPEN_CREATE |
    sqlite3.OPEN_FULLMUTEX |
    (extended ? openExtendedResultCodes : 0);
  const database = new sqlite3.Database(':memory:', mode);
  return new Promise((resolve, reject) =>
    database.exec(
      `${tableSql} INSERT INTO t (a, b, c, d) VALUES ('x', 'y', 'z', 'w');`,
      (setup) => {
        if (setup) return reject(setup);
        database.run(sql, (error: Error | null) =>
          database.close(() =>
            error ? resolve(error) : reject(new Error(`no error from ${sql}`)),
          ),
        );
      },
    ),
  );
}

function betterSqlite3Error(sql: string): Error {
  const database = new BetterSqlite3(':memory:');
  try {
    database.exec(`${tableSql} INSERT INTO t (a, b, c, d) VALUES ('x', 'y', 'z', 'w');`);
    database.prepare(sql).run();
  } catch (error) {
    return error as Error;
  } finally {
    database.close();
  }
  throw new Error(`no error from ${sql}`);
}

describe('sqlite dialect: unique keys from the catalog', () => {
  it('reads every unique index with its columns, a UNIQUE constraint as its autoindex, partial predicates, expression indexes as unusable', () => {
    const database = new BetterSqlite3(':memory:');
    try {
      database.exec(tableSql);
      // The ORMs hand the table name quoted: TypeORM "t", Sequelize `t`; catalogTable unquotes it.
      for (const quoted of ['"t"', '`t`']) {
        const keys = database
          .prepare(sqliteDialect.uniqueKeysSql('?'))
          .all(sqliteDialect.catalogTable(quoted))
          .map(sqliteDialect.parseUniqueKey);
        expect(keys.sort((x, y) => x.name.localeCompare(y.name))).toEqual([
          {
            name: 'sqlite_autoindex_t_1',
            columns: ['a'],
            nullsNotDistinct: false,
            usableForLookup: true,
            predicate: undefined,
          },
          {
            name: 't_b_c',
            columns: ['b', 'c'],
            nullsNotDistinct: false,
            usableForLookup: true,
            predicate: undefined,
          },
          {
            name: 't_c_live',
            columns: ['c'],
            nullsNotDistinct: false,
            usableForLookup: true,
            predicate: 'deleted_at IS NULL',
          },
          {
            name: 't_lower_d',
            columns: [],
            nullsNotDistinct: false,
            usableForLookup: false,
            predicate: undefined,
          },
        ]);
      }
    } finally {
      database.close();
    }
  });

  it('counts a partial key as a soft-deleting model\'s key only when its predicate is exactly "column IS NULL"', () => {
    for (const predicate of [
      'deleted_at IS NULL',
      '"deleted_at" IS NULL',
      '(`deleted_at` is null)',
      '[deleted_at] IS NULL',
    ]) {
      expect(sqliteDialect.isNotDeletedPredicate(predicate, 'deleted_at')).toBe(true);
    }
    for (const predicate of [
      'deleted_at IS NOT NULL',
      'other IS NULL',
      'deleted_at IS NULL AND b = 1',
    ]) {
      expect(sqliteDialect.isNotDeletedPredicate(predicate, 'deleted_at')).toBe(false);
    }
  });
});

describe('sqlite dialect: errors by result code', () => {
  const gateway = { ...stubGateway(), dialect: sqliteDialect };

  it.each([
    [
      'better-sqlite3',
      'SQLITE_CONSTRAINT_UNIQUE',
      () => Promise.resolve(betterSqlite3Error(`INSERT INTO t (a, b) VALUES ('x', 'q')`)),
    ],
    [
      'node-sqlite3',
      'SQLITE_CONSTRAINT',
      () => sqlite3Error(`INSERT INTO t (a, b) VALUES ('x', 'q')`),
    ],
  ])(
    'reads a unique violation from %s as ConflictError with the columns SQLite names',
    async (_driver, code, raise) => {
      const error = await raise();
      expect(sqliteDialect.classifyError(error)).toMatchObject({
        kind: 'unique-violation',
        code,
        constraint: undefined,
        columns: ['a'],
      });
      const translated = translateError(gateway, error);
      expect(translated).toBeInstanceOf(ConflictError);
      expect(translated).toMatchObject({ code, fields: ['a'] });
    },
  );

  it('names a composite key by its columns and an expression index by its name', async () => {
    expect(
      sqliteDialect.classifyError(betterSqlite3Error(`INSERT INTO t (b, c) VALUES ('q', 'z')`))
        .columns,
    ).toEqual(['c']);
    expect(
      sqliteDialect.classifyError(
        await sqlite3Error(`INSERT INTO t (b, c) VALUES ('y', 'q'), ('y', 'q')`),
      ).columns,
    ).toEqual(['b', 'c']);
    expect(
      sqliteDialect.classifyError(betterSqlite3Error(`INSERT INTO t (b, d) VALUES ('q', 'W')`)),
    ).toMatchObject({ kind: 'unique-violation', constraint: 't_lower_d' });
    expect(
      sqliteUniqueViolation('SQLITE_CONSTRAINT: UNIQUE constraint failed: users.org, users.member'),
    ).toEqual({ columns: ['org', 'member'] });
  });

  it.each([
    [
      'better-sqlite3 NOT NULL',
      () => Promise.resolve(betterSqlite3Error(`INSERT INTO t (a, b) VALUES ('n', NULL)`)),
      'SQLITE_CONSTRAINT_NOTNULL',
    ],
    [
      'node-sqlite3 NOT NULL',
      () => sqlite3Error(`INSERT INTO t (a, b) VALUES ('n', NULL)`),
      'SQLITE_CONSTRAINT',
    ],
    [
      'node-sqlite3 CHECK',
      () => sqlite3Error(`INSERT INTO t (a, b) VALUES ('n', 'bad')`),
      'SQLITE_CONSTRAINT',
    ],
  ])('reads %s as DatabaseError, never as a unique violation', async (_case, raise, code) => {
    const translated = translateError(gateway, await raise());
    expect(translated).toBeInstanceOf(DatabaseError);
    expect(translated).toMatchObject({ code });
  });

  it('names the extended code from errno where node-sqlite3 has extended result codes on (SQLITE_OPEN_EXRESCODE), which it reports as UNKNOWN', async () => {
    const unique = await sqlite3Error(`INSERT INTO t (a, b) VALUES ('x', 'q')`, true);
    expect(unique).toMatchObject({ code: 'UNKNOWN', errno: 2067 });
    expect(sqliteDialect.classifyError(unique)).toMatchObject({
      kind: 'unique-violation',
      code: 'SQLITE_CONSTRAINT_UNIQUE',
      constraint: undefined,
      columns: ['a'],
    });
    const notNull = translateError(
      gateway,
      await sqlite3Error(`INSERT INTO t (a, b) VALUES ('n', NULL)`, true),
    );
    expect(notNull).toBeInstanceOf(DatabaseError);
    expect(notNull).toMatchObject({ code: 'SQLITE_CONSTRAINT_NOTNULL' });
    const snapshot = Object.assign(new Error('UNKNOWN: database is locked'), {
      code: 'UNKNOWN',
      errno: 517,
    });
    expect(translateError(gateway, snapshot)).toMatchObject({
      name: 'RetryableError',
      code: 'SQLITE_BUSY_SNAPSHOT',
    });
    // An extended code racesafe has no name for is named by its primary code (errno & 0xff): 2579 is SQLITE_CONSTRAINT_ROWID.
    expect(
      sqliteDialect.classifyError(
        Object.assign(new Error('UNKNOWN: x'), { code: 'UNKNOWN', errno: 2579 }),
      ),
    ).toEqual({ kind: 'other', code: 'SQLITE_CONSTRAINT', message: 'UNKNOWN: x' });
  });

  it('makes every SQLITE_BUSY a RetryableError, and leaves errors without a SQLite code alone', () => {
    for (const code of ['SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_BUSY_TIMEOUT']) {
      expect(
        translateError(gateway, Object.assign(new Error('database is locked'), { code })),
      ).toBeInstanceOf(RetryableError);
    }
    const socket = Object.assign(new Error('EPIPE'), { code: 'EPIPE' });
    expect(sqliteDialect.classifyError(socket)).toEqual({ kind: 'other' });
  });
});

describe('sqlite dialect: version', () => {
  it('compares SQLite versions part by part', () => {
    expect(compareVersions('3.53.2', '3.35.0')).toBe(1);
    expect(compareVersions('3.35', '3.35.0')).toBe(0);
    expect(compareVersions('3.34.1', '3.35.0')).toBe(-1);
  });
});
