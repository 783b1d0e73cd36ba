import {
  ConflictError,
  DatabaseError,
  InvalidFieldError,
  LockNotAvailableError,
  MultipleRowsError,
  RaceSafeError,
  RetryableError,
  UniqueLookupRequiredError,
  dialectFor,
  mysqlDialect,
  postgresDialect,
  translateError,
} from '@racesafe/core';
import { DatabaseError as PgDatabaseError } from 'pg';
import { UniqueConstraintError, DatabaseError as SequelizeDatabaseError } from 'sequelize';
import { QueryFailedError } from 'typeorm';
import { stubGateway } from './support/stub-gateway';

/** An error as node-postgres raises it: severity, SQLSTATE in `code`, the constraint in `constraint`. */
function pgError(code: string, message = `error ${code}`, constraint?: string): PgDatabaseError {
  return Object.assign(new PgDatabaseError(message, message.length, 'error'), {
    severity: 'ERROR',
    code,
    constraint,
  });
}

const uniqueViolation = () =>
  pgError(
    '23505',
    'duplicate key value violates unique constraint "users_email_key"',
    'users_email_key',
  );
const wrappers: [string, (error: PgDatabaseError) => unknown][] = [
  ['node-postgres', (error) => error],
  ['TypeORM QueryFailedError', (error) => new QueryFailedError('INSERT ...', [], error)],
  [
    'Sequelize UniqueConstraintError',
    (error) => new UniqueConstraintError({ parent: error, original: error } as never),
  ],
  ['Sequelize DatabaseError', (error) => new SequelizeDatabaseError(error as never)],
];

describe('postgresDialect.classifyError', () => {
  describe.each(wrappers)('%s', (_, wrap) => {
    it.each([
      ['23505', 'unique-violation'],
      ['40P01', 'deadlock'],
      ['40001', 'serialization-failure'],
      ['55P03', 'lock-not-available'],
      ['22012', 'other'],
    ])('classifies SQLSTATE %s as %s', (code, kind) => {
      expect(postgresDialect.classifyError(wrap(pgError(code)))).toEqual({
        kind,
        code,
        constraint: undefined,
        message: `error ${code}`,
      });
    });

    it('keeps the constraint of a unique violation', () => {
      expect(postgresDialect.classifyError(wrap(uniqueViolation()))).toEqual({
        kind: 'unique-violation',
        code: '23505',
        constraint: 'users_email_key',
        message: 'duplicate key value violates unique constraint "users_email_key"',
      });
    });
  });

  it('classifies by code, never by message', () => {
    expect(
      postgresDialect.classifyError(
        new Error('duplicate key value violates unique constraint "users_email_key"'),
      ),
    ).toEqual({ kind: 'other' });
    expect(
      postgresDialect.classifyError(pgError('22012', 'duplicate key, deadlock detected')).kind,
    ).toBe('other');
  });

  // Bug: any 5-character upper-case code passes for a SQLSTATE, so Node's EPIPE/EPERM become
  // "database errors" (packages/core/src/dialects/postgres.ts, driverError). No SQLSTATE class starts with E.
  // Issue 13: EPIPE is a lost connection (test/unit/connection-loss.test.ts), still never a SQLSTATE.
  it('does not take a Node system error code (EPIPE) for a SQLSTATE', () => {
    const socketError = Object.assign(new Error('write EPIPE'), {
      code: 'EPIPE',
      errno: -32,
      syscall: 'write',
    });
    expect(postgresDialect.classifyError(socketError)).toEqual({
      kind: 'connection-lost',
      code: 'EPIPE',
    });
  });
});

describe('translateError', () => {
  const gateway = stubGateway();

  it('turns a unique violation into ConflictError with constraint, code and cause', () => {
    const wrapped = new QueryFailedError('INSERT ...', [], uniqueViolation());
    const error = translateError(gateway, wrapped) as ConflictError;
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({ code: '23505', constraint: 'users_email_key', cause: wrapped });
    expect(error.message).toContain(
      'Account: a unique value is taken, so unique constraint users_email_key rejected the row',
    );
  });

  it('quotes the database\'s message as the reason, never Sequelize\'s generic "Validation error"', () => {
    // As Sequelize's PostgreSQL query raises it: its message is its own default, not the server's.
    const wrapped = new UniqueConstraintError({
      message: 'Validation error',
      parent: uniqueViolation(),
      original: uniqueViolation(),
    } as never);
    expect(wrapped.message).toBe('Validation error');
    const error = translateError(gateway, wrapped) as ConflictError;
    expect(error.message).toMatch(
      /\(database: duplicate key value violates unique constraint "users_email_key"\)$/,
    );
    expect(error.message).not.toContain('Validation error');
  });

  it.each([
    ['40P01', 'RetryableError', RetryableError],
    ['40001', 'RetryableError', RetryableError],
    ['55P03', 'LockNotAvailableError', LockNotAvailableError],
    ['22012', 'DatabaseError', DatabaseError],
  ])('turns SQLSTATE %s into %s, keeping code and cause', (code, _, type) => {
    const cause = pgError(code);
    const error = translateError(gateway, cause);
    expect(error).toBeInstanceOf(type);
    expect(error).toMatchObject({ code, cause });
  });

  it('passes a non-database error, and a racesafe error, through unchanged', () => {
    const plain = new TypeError('duplicate key value violates unique constraint');
    const own = new InvalidFieldError('bad');
    expect(translateError(gateway, plain)).toBe(plain);
    expect(translateError(gateway, own)).toBe(own);
  });
});

describe('error classes', () => {
  it.each(
    [
      RaceSafeError,
      InvalidFieldError,
      UniqueLookupRequiredError,
      MultipleRowsError,
      ConflictError,
      LockNotAvailableError,
      RetryableError,
      DatabaseError,
    ].map((type) => [type.name, type] as const),
  )('%s extends RaceSafeError and is named after its class', (_, type) => {
    const error = new type('message', { fields: ['email'] });
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(RaceSafeError);
    expect(error.name).toBe(type.name);
    expect(error.fields).toEqual(['email']);
    expect(new type('no details').fields).toEqual([]);
  });
});

describe('dialectFor', () => {
  it('refuses a database without an adapter with a RaceSafeError naming it', () => {
    expect(() => dialectFor('mssql')).toThrow(RaceSafeError);
    expect(() => dialectFor('mssql')).toThrow(/"mssql".*supported: postgres, mysql, mariadb/);
    expect(dialectFor('postgres')).toBe(postgresDialect);
    expect(dialectFor('mysql')).toBe(mysqlDialect);
    expect(dialectFor('mariadb')).toBe(mysqlDialect);
  });
});
