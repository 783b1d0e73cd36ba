// Issue 13, item 3: a lost connection is classified by SQLSTATE or socket code (pg's own text only
// where it gives no code) and becomes ConnectionLostError (nothing committed) or IndeterminateError.
import {
  ConflictError,
  ConnectionLostError,
  IndeterminateError,
  RaceSafeError,
  mysqlDialect,
  RetryableError,
  postgresDialect,
  translateError,
  withIdempotentRetries,
  withRetries,
} from '@racesafe/core';
import { DatabaseError as PgDatabaseError } from 'pg';
import {
  ConnectionError,
  ConnectionRefusedError,
  DatabaseError as SequelizeDatabaseError,
} from 'sequelize';
import { QueryFailedError, QueryRunnerAlreadyReleasedError } from 'typeorm';
import { stubGateway } from './support/stub-gateway';

/** A server error as node-postgres raises it. */
function pgError(code: string, severity = 'FATAL'): PgDatabaseError {
  return Object.assign(new PgDatabaseError(`error ${code}`, 10, 'error'), { severity, code });
}
const socketError = (code: string) =>
  Object.assign(new Error(`read ${code}`), { code, errno: -1, syscall: 'read' });

const wrappers: [string, (error: Error) => unknown][] = [
  ['node-postgres', (error) => error],
  ['TypeORM QueryFailedError', (error) => new QueryFailedError('UPDATE ...', [], error)],
  ['Sequelize DatabaseError', (error) => new SequelizeDatabaseError(error as never)],
  ['Sequelize ConnectionError', (error) => new ConnectionError(error)],
];

describe('postgresDialect.classifyError: lost connections', () => {
  describe.each(wrappers)('%s', (_, wrap) => {
    it.each(['57P01', '57P02', '57P05', '08006', '08003', '08P01', '25P03'])(
      'SQLSTATE %s: the session ended',
      (code) => {
        expect(postgresDialect.classifyError(wrap(pgError(code)))).toEqual({
          kind: 'connection-lost',
          code,
        });
      },
    );

    it.each(['57P03', '08001', '08004'])('SQLSTATE %s: no connection, nothing sent', (code) => {
      expect(postgresDialect.classifyError(wrap(pgError(code)))).toEqual({
        kind: 'connection-lost',
        code,
        beforeSending: true,
      });
    });

    it.each(['ECONNRESET', 'EPIPE', 'ETIMEDOUT'])('socket %s: lost mid-conversation', (code) => {
      expect(postgresDialect.classifyError(wrap(socketError(code)))).toEqual({
        kind: 'connection-lost',
        code,
      });
    });

    it('socket ECONNREFUSED: nothing sent', () => {
      expect(postgresDialect.classifyError(wrap(socketError('ECONNREFUSED')))).toEqual({
        kind: 'connection-lost',
        code: 'ECONNREFUSED',
        beforeSending: true,
      });
    });

    it("node-postgres' code-less errors, by their fixed text", () => {
      expect(
        postgresDialect.classifyError(wrap(new Error('Connection terminated unexpectedly'))),
      ).toEqual({ kind: 'connection-lost' });
      expect(
        postgresDialect.classifyError(
          wrap(new Error('Client has encountered a connection error and is not queryable')),
        ),
      ).toEqual({
        kind: 'connection-lost',
        beforeSending: true,
      });
    });
  });

  it('TypeORM QueryRunnerAlreadyReleasedError: its runner lost the connection, nothing sent', () => {
    expect(postgresDialect.classifyError(new QueryRunnerAlreadyReleasedError())).toEqual({
      kind: 'connection-lost',
      beforeSending: true,
    });
  });

  it('Sequelize ConnectionRefusedError (ECONNREFUSED inside): nothing sent', () => {
    expect(
      postgresDialect.classifyError(new ConnectionRefusedError(socketError('ECONNREFUSED'))),
    ).toMatchObject({ kind: 'connection-lost', beforeSending: true });
  });

  it('takes the code over the text: an ERROR with a code is never a lost connection by message', () => {
    const timeout = Object.assign(pgError('57014', 'ERROR'), {
      message: 'Connection terminated unexpectedly',
    });
    expect(postgresDialect.classifyError(timeout).kind).toBe('other');
    expect(
      postgresDialect.classifyError(new Error('connection terminated by the firewall')).kind,
    ).toBe('other');
  });
});

/** As mysql2 rejects a query whose socket the server closed (KILL CONNECTION), seen on MariaDB 10.11. */
const mysql2Lost = () =>
  Object.assign(new Error('Connection lost: The server closed the connection.'), {
    code: 'PROTOCOL_CONNECTION_LOST',
    fatal: true,
  });
/** As mysql2 refuses a query on a connection already closed: no code, only `fatal`. */
const mysql2Closed = () =>
  Object.assign(new Error("Can't add new command when connection is in closed state"), {
    fatal: true,
  });
/** As the mariadb connector (Sequelize `mariadb`) reports its own errors: errno 45xxx, SQLSTATE 08S01. */
const mariadbError = (errno: number, code: string) =>
  Object.assign(new Error(`(conn=33, no: ${errno}, SQLState: 08S01) ${code}`), {
    errno,
    code,
    sqlState: '08S01',
    fatal: true,
  });
/** A server error as mysql2 raises it. */
const mysqlServerError = (errno: number, code: string) =>
  Object.assign(new Error(code), { errno, code, sqlState: 'HY000', sqlMessage: code });

describe('mysqlDialect.classifyError: lost connections (issue 13)', () => {
  describe.each(wrappers)('%s', (_, wrap) => {
    it('mysql2 PROTOCOL_CONNECTION_LOST: the session ended mid-statement', () => {
      expect(mysqlDialect.classifyError(wrap(mysql2Lost()))).toEqual({
        kind: 'connection-lost',
        code: 'PROTOCOL_CONNECTION_LOST',
      });
    });

    it("mysql2's code-less closed-state refusal, by its fixed text: nothing sent", () => {
      expect(mysqlDialect.classifyError(wrap(mysql2Closed()))).toEqual({
        kind: 'connection-lost',
        beforeSending: true,
      });
    });

    it.each([
      [1927, 'ER_CONNECTION_KILLED'],
      [1053, 'ER_SERVER_SHUTDOWN'],
      [2013, 'CR_SERVER_LOST'],
    ])('errno %s (%s): the session ended', (errno, code) => {
      expect(mysqlDialect.classifyError(wrap(mysqlServerError(errno, code)))).toEqual({
        kind: 'connection-lost',
        code: String(errno),
      });
    });

    it('mariadb connector 45009 ER_SOCKET_UNEXPECTED_CLOSE: the session ended', () => {
      expect(
        mysqlDialect.classifyError(wrap(mariadbError(45009, 'ER_SOCKET_UNEXPECTED_CLOSE'))),
      ).toEqual({ kind: 'connection-lost', code: '45009' });
    });

    it('mariadb connector 45013 ER_CMD_CONNECTION_CLOSED: nothing sent', () => {
      expect(
        mysqlDialect.classifyError(wrap(mariadbError(45013, 'ER_CMD_CONNECTION_CLOSED'))),
      ).toEqual({ kind: 'connection-lost', code: '45013', beforeSending: true });
    });

    it.each(['ECONNRESET', 'EPIPE'])('socket %s: lost mid-conversation', (code) => {
      expect(mysqlDialect.classifyError(wrap(socketError(code)))).toEqual({
        kind: 'connection-lost',
        code,
      });
    });
  });

  it('a statement error on a live session stays what it was: 1205 lock wait timeout, 1969 max_statement_time', () => {
    expect(
      mysqlDialect.classifyError(mysqlServerError(1205, 'ER_LOCK_WAIT_TIMEOUT')),
    ).toMatchObject({ kind: 'lock-not-available', code: '1205' });
    expect(
      mysqlDialect.classifyError(mysqlServerError(1969, 'ER_STATEMENT_TIMEOUT')),
    ).toMatchObject({ kind: 'other', code: '1969' });
    expect(
      mysqlDialect.classifyError(
        new Error("Can't add new command when connection is in closed state"),
      ).kind,
    ).toBe('other');
  });
});

describe('translateError: lost connections', () => {
  const gateway = stubGateway();

  it('is ConnectionLostError (a RetryableError) when nothing could have committed', () => {
    const cause = pgError('57P01');
    const error = translateError(gateway, cause, 'rolled-back');
    expect(error).toBeInstanceOf(ConnectionLostError);
    expect(error).toBeInstanceOf(RetryableError);
    expect(error).toMatchObject({ code: '57P01', cause, name: 'ConnectionLostError' });
  });

  it('is IndeterminateError (not retryable) when a statement that commits was sent', () => {
    const cause = new Error('Connection terminated unexpectedly');
    const error = translateError(gateway, cause, 'unknown');
    expect(error).toBeInstanceOf(IndeterminateError);
    expect(error).toBeInstanceOf(RaceSafeError);
    expect(error).not.toBeInstanceOf(RetryableError);
    expect(error).toMatchObject({ cause, name: 'IndeterminateError' });
    expect((error as Error).message).toMatch(/may or may not have been applied/);
  });

  it('is ConnectionLostError even for a write when the connection was never opened', () => {
    expect(translateError(gateway, socketError('ECONNREFUSED'), 'unknown')).toBeInstanceOf(
      ConnectionLostError,
    );
  });
});

describe('retries after a lost connection', () => {
  const fast = { baseDelayMs: 0.1, maxDelayMs: 1 };
  const lost = () => new ConnectionLostError('lost', { code: '57P01' });
  const unknown = () => new IndeterminateError('unknown', { code: '57P01' });
  /** An attempt that throws the given errors in turn, then returns `result`. */
  const failingWith = <T>(result: T, ...errors: Error[]) => {
    let calls = 0;
    const attempt = async () => {
      calls++;
      if (errors[calls - 1]) throw errors[calls - 1];
      return result;
    };
    return Object.assign(attempt, { calls: () => calls });
  };

  it('withRetries retries ConnectionLostError and never IndeterminateError (atomicUpdate, updateOrCreate)', async () => {
    await expect(withRetries(fast, failingWith('ok', lost()))).resolves.toBe('ok');
    const once = failingWith('ok', unknown());
    await expect(withRetries(fast, once)).rejects.toBeInstanceOf(IndeterminateError);
    expect(once.calls()).toBe(1);
  });

  it('getOrCreate: a retry that creates the row answers created = true', async () => {
    await expect(
      withIdempotentRetries(fast, failingWith(['row', true] as [string, boolean], unknown())),
    ).resolves.toEqual(['row', true]);
  });

  it('getOrCreate: a retry that finds the row cannot know who created it, and says so with the row', async () => {
    const error = await withIdempotentRetries(
      fast,
      failingWith(['row', false] as [string, boolean], unknown()),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IndeterminateError);
    expect((error as IndeterminateError).row).toBe('row');
  });

  it('getOrCreate: found after a ConnectionLostError only (nothing committed) is a plain created = false', async () => {
    await expect(
      withIdempotentRetries(fast, failingWith(['row', false] as [string, boolean], lost())),
    ).resolves.toEqual(['row', false]);
  });

  it('getOrCreate: retries used up after a lost INSERT report IndeterminateError, not the last definite error', async () => {
    const error = await withIdempotentRetries(
      { ...fast, attempts: 2 },
      failingWith(['row', true] as [string, boolean], unknown(), lost()),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IndeterminateError);
  });

  it('getOrCreate: other errors are not retried', async () => {
    const conflict = failingWith(
      ['row', true] as [string, boolean],
      new ConflictError('other key'),
    );
    await expect(withIdempotentRetries(fast, conflict)).rejects.toBeInstanceOf(ConflictError);
    expect(conflict.calls()).toBe(1);
  });
});
