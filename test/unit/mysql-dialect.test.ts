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

describe("mysql dialect: updateOrCreate's compound statement", () => {
  const compound = mysqlDialect.updateOrInsert!;
  const steps = {
    locking: '`t` WHERE `k` = ? FOR UPDATE',
    update: 'UPDATE `t` SET `n` = (`n` + ?) WHERE `k` = ?',
    insert: 'INSERT INTO `t` (`k`, `n`) VALUES (?, ?)',
    select: (created: string) => `SELECT ${created} AS c, \`t\`.* FROM \`t\` WHERE \`k\` = ?`,
  };

  it('rolls back and re-raises in a transaction of its own at READ COMMITTED, and has none in yours', () => {
    const own = compound.statement(steps, true).split('\n');
    expect(own.slice(3, 6)).toEqual([
      'DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END;',
      'SET TRANSACTION ISOLATION LEVEL READ COMMITTED;',
      'START TRANSACTION;',
    ]);
    expect(own.slice(-2)).toEqual(['COMMIT;', 'END']);
    const yours = compound.statement(steps, false);
    expect(yours).not.toMatch(/HANDLER|TRANSACTION|COMMIT/);
    expect(yours.split('\n')).toEqual([
      'BEGIN NOT ATOMIC',
      'DECLARE racesafe_found INT DEFAULT 0;',
      'DECLARE racesafe_made INT DEFAULT 0;',
      'SELECT COUNT(*) INTO racesafe_found FROM `t` WHERE `k` = ? FOR UPDATE;',
      'IF racesafe_found > 0 THEN',
      'UPDATE `t` SET `n` = (`n` + ?) WHERE `k` = ?;',
      'ELSE',
      'INSERT INTO `t` (`k`, `n`) VALUES (?, ?);',
      'SET racesafe_made = 1;',
      'END IF;',
      'SELECT racesafe_made AS c, `t`.* FROM `t` WHERE `k` = ?;',
      'END',
    ]);
  });

  it('inserts only when the row is missing where there is nothing to update', () => {
    const sql = compound.statement({ ...steps, update: undefined }, false);
    expect(sql).toContain('IF racesafe_found = 0 THEN\nINSERT INTO');
    expect(sql).not.toContain('ELSE');
  });

  it.each([
    [0, 0],
    [1, 1],
    [1000, 1],
    [1001, 2],
  ])(
    'bounds the locking read to %i ms with SET STATEMENT (%i s), never NOWAIT (refused in a compound statement)',
    (ms, seconds) => {
      const sql = compound.statement({ ...steps, lockWaitMs: ms }, true);
      expect(sql).toContain(
        `SET STATEMENT innodb_lock_wait_timeout = ${seconds} FOR SELECT COUNT(*) INTO racesafe_found`,
      );
    },
  );

  it('refuses a lock wait that is not a whole number of milliseconds', () => {
    expect(() => compound.statement({ ...steps, lockWaitMs: 1.5 }, true)).toThrow(RangeError);
  });

  it('guards the UPDATE with no bound non-finite number, which MariaDB compares as 0 (a bound Infinity "equals" a stored 0)', () => {
    expect(
      [Infinity, -Infinity, Number.NaN, 0, -0, 5, 2 ** 53 + 1, 'Infinity', null, new Date(0)].map(
        (value) => compound.comparesBoundValue(value),
      ),
    ).toEqual([false, false, false, true, true, true, true, true, true, true]);
  });
});

describe("mysql dialect: getOrCreate's compound statement", () => {
  const compound = mysqlDialect.findOrInsert!;
  const steps = {
    found: '`t` WHERE `k` = ?',
    winner: '`t` WHERE `k` = ? LOCK IN SHARE MODE',
    insert: 'INSERT INTO `t` (`k`) VALUES (?)',
    select: (created: string) =>
      `SELECT ${created} AS c, \`t\`.* FROM \`t\` WHERE \`k\` = ? LIMIT 2`,
    selectWinner: 'SELECT 0 AS c, `t`.* FROM `t` WHERE `k` = ? LIMIT 2 LOCK IN SHARE MODE',
  };

  it('reads without a lock, inserts only a missing row, and on a 1062 reads the winner or raises it again; in yours with no handler or transaction control', () => {
    const yours = compound.statement(steps, false);
    expect(yours.split('\n')).toEqual([
      'BEGIN NOT ATOMIC',
      'DECLARE racesafe_found INT DEFAULT 0;',
      'DECLARE racesafe_made INT DEFAULT 0;',
      'DECLARE racesafe_lost INT DEFAULT 0;',
      'SELECT COUNT(*) INTO racesafe_found FROM `t` WHERE `k` = ?;',
      'IF racesafe_found = 0 THEN',
      'BEGIN',
      'DECLARE EXIT HANDLER FOR 1062 BEGIN',
      'SELECT COUNT(*) INTO racesafe_lost FROM `t` WHERE `k` = ? LOCK IN SHARE MODE;',
      'IF racesafe_lost = 0 THEN RESIGNAL; END IF;',
      'END;',
      'INSERT INTO `t` (`k`) VALUES (?);',
      'SET racesafe_made = 1;',
      'END;',
      'END IF;',
      'IF racesafe_lost = 0 THEN SELECT racesafe_made AS c, `t`.* FROM `t` WHERE `k` = ? LIMIT 2; ELSE SELECT 0 AS c, `t`.* FROM `t` WHERE `k` = ? LIMIT 2 LOCK IN SHARE MODE; END IF;',
      'END',
    ]);
    const own = compound.statement(steps, true).split('\n');
    expect(own.slice(4, 7)).toEqual([
      'DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END;',
      'SET TRANSACTION ISOLATION LEVEL READ COMMITTED;',
      'START TRANSACTION;',
    ]);
    expect(own.slice(-2)).toEqual(['COMMIT;', 'END']);
  });
});

describe("mysql dialect: getOrCreateMany's compound INSERT then SELECT", () => {
  const compound = mysqlDialect.insertThenSelect!;
  const steps = {
    insert: 'INSERT INTO `t` (`k`) VALUES (?), (?)',
    select: 'SELECT * FROM `t` WHERE `k` IN (?, ?)',
  };

  it("reads back in the INSERT's own transaction, rolled back and re-raised on any error; in yours with no handler or transaction control", () => {
    expect(compound.statement(steps, true).split('\n')).toEqual([
      'BEGIN NOT ATOMIC',
      'DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END;',
      'START TRANSACTION;',
      'INSERT INTO `t` (`k`) VALUES (?), (?);',
      'SELECT * FROM `t` WHERE `k` IN (?, ?);',
      'COMMIT;',
      'END',
    ]);
    expect(compound.statement(steps, false).split('\n')).toEqual([
      'BEGIN NOT ATOMIC',
      'INSERT INTO `t` (`k`) VALUES (?), (?);',
      'SELECT * FROM `t` WHERE `k` IN (?, ?);',
      'END',
    ]);
  });
});
