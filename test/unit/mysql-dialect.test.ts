import {
  ConflictError,
  LockNotAvailableError,
  RetryableError,
  duplicateKeyName,
  mysqlDialect,
  translateError,
} from '@racesafe/core';
import { UniqueConstraintError } from 'sequelize';
import { QueryFailedError } from 'typeorm';
import { stubGateway } from './support/stub-gateway';

/** An error as mysql2 raises it: numeric errno, SQLSTATE, the server's message in sqlMessage. */
function mysql2Error(errno: number, sqlMessage: string, sqlState = 'HY000'): Error {
  return Object.assign(new Error(sqlMessage), { errno, sqlState, sqlMessage, code: 'ER_X' });
}

/** An error as the mariadb connector raises it: the server's message in `text`, the SQL appended to `message`. */
function mariadbError(errno: number, text: string): Error {
  return Object.assign(
    new Error(`(conn=7, no: ${errno}, SQLState: 23000) ${text}\nsql: INSERT ...`),
    { errno, sqlState: '23000', text },
  );
}

describe('mysql dialect: errors by errno', () => {
  const gateway = { ...stubGateway(), dialect: mysqlDialect };

  it.each([
    ['mysql2', mysql2Error(1062, "Duplicate entry 'a@x' for key 'users_email_key'", '23000')],
    [
      'the mariadb connector',
      mariadbError(1062, "Duplicate entry 'a@x' for key 'users_email_key'"),
    ],
    [
      'TypeORM (QueryFailedError)',
      new QueryFailedError(
        'INSERT',
        [],
        mysql2Error(1062, "Duplicate entry 'a@x' for key 'users_email_key'", '23000'),
      ),
    ],
    [
      'Sequelize (UniqueConstraintError)',
      new UniqueConstraintError({
        parent: mysql2Error(
          1062,
          "Duplicate entry 'a@x' for key 'users_email_key'",
          '23000',
        ) as never,
      }),
    ],
  ])('reads a 1062 from %s as ConflictError naming the key', (_driver, error) => {
    const translated = translateError(gateway, error);
    expect(translated).toBeInstanceOf(ConflictError);
    expect(translated).toMatchObject({ code: '1062', constraint: 'users_email_key' });
  });

  it('classifies deadlocks, lock waits and NOWAIT by errno, and a socket error as a lost connection (issue 13)', () => {
    expect(
      translateError(gateway, mysql2Error(1213, 'Deadlock found when trying to get lock', '40001')),
    ).toBeInstanceOf(RetryableError);
    expect(translateError(gateway, mysql2Error(1205, 'Lock wait timeout exceeded'))).toBeInstanceOf(
      LockNotAvailableError,
    );
    expect(
      translateError(
        gateway,
        mysql2Error(
          3572,
          'Statement aborted because lock(s) could not be acquired immediately and NOWAIT is set',
        ),
      ),
    ).toBeInstanceOf(LockNotAvailableError);
    const socket = Object.assign(new Error('read ECONNRESET'), { errno: -104, code: 'ECONNRESET' });
    expect(mysqlDialect.classifyError(socket)).toEqual({
      kind: 'connection-lost',
      code: 'ECONNRESET',
    });
  });

  it('takes the key name from the message, MySQL 8 table prefix removed', () => {
    expect(duplicateKeyName("Duplicate entry 'a' for key 'u_email'")).toBe('u_email');
    expect(duplicateKeyName("Duplicate entry 'a' for key 'users.u_email'")).toBe('u_email');
    expect(duplicateKeyName("Duplicate entry 'x-y-z' for key 'ab'")).toBe('ab');
    expect(duplicateKeyName('Deadlock found when trying to get lock')).toBeUndefined();
  });
});

describe('mysql dialect: SQL', () => {
  it('locks with LOCK IN SHARE MODE after a lost race and FOR UPDATE [NOWAIT] for updates', () => {
    expect(mysqlDialect.lockingReadAfterConflict).toBe('share');
    expect(mysqlDialect.lockClause('share', {})).toBe('LOCK IN SHARE MODE');
    expect(mysqlDialect.lockClause('no-key-update', { nowait: true })).toBe('FOR UPDATE NOWAIT');
  });

  it('rolls back to a savepoint in two statements and never after a deadlock', () => {
    expect(mysqlDialect.rollbackToSavepoint('racesafe_1')).toEqual([
      'ROLLBACK TO SAVEPOINT racesafe_1',
      'RELEASE SAVEPOINT racesafe_1',
    ]);
    expect(mysqlDialect.deadlockEndsTransaction).toBe(true);
  });

  it('counts only whole-column unique keys, with NULLs distinct', () => {
    expect(
      mysqlDialect.parseUniqueKey({
        name: 'users_email_key',
        columns: 'email',
        partial_columns: 0,
      }),
    ).toEqual({
      name: 'users_email_key',
      columns: ['email'],
      nullsNotDistinct: false,
      usableForLookup: true,
    });
    expect(
      mysqlDialect.parseUniqueKey({ name: 'prefix', columns: 'body', partial_columns: 1 })
        .usableForLookup,
    ).toBe(false);
  });

  it('has no transaction-scoped advisory lock and no INSERT that skips one key only', () => {
    expect(mysqlDialect.advisoryLockSql('?')).toBeUndefined();
    expect(mysqlDialect.supportsInsertIgnoringConflictOn).toBe(false);
    expect(mysqlDialect.quoteIdentifier('we`ird')).toBe('`we``ird`');
  });
});
