import { F, InvalidFieldError, assertKnownFields } from '@racesafe/core';
import { assertPlainLookup, assertWritableValues } from '../../packages/core/src/validate';
import { OrmOperator, OrmSql, stubGateway } from './support/stub-gateway';

const gateway = stubGateway();

/** The InvalidFieldError a check throws. */
function rejection(check: () => void): InvalidFieldError {
  try {
    check();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidFieldError);
    return error as InvalidFieldError;
  }
  throw new Error('the check accepted invalid input');
}

describe('assertPlainLookup', () => {
  it('rejects an empty lookup, which would match any row', () => {
    expect(rejection(() => assertPlainLookup(gateway, {})).message).toContain(
      'The lookup for Account is empty',
    );
  });

  it.each([
    ['undefined', undefined],
    ['a Sequelize-style symbol-keyed operator', { [Symbol('gte')]: 1 }],
    ['an ORM operator', new OrmOperator('in', ['a', 'b'])],
    ['an ORM SQL value', new OrmSql('now()')],
    ['an array for a column that holds no array', ['a', 'b']],
    ['an F expression', F('balance')],
  ])('rejects %s as a value', (_, value) => {
    expect(rejection(() => assertPlainLookup(gateway, { id: 1, email: value })).fields).toEqual([
      'email',
    ]);
  });

  it('says why an SQL value or an array cannot be looked up by', () => {
    const error = rejection(() =>
      assertPlainLookup(gateway, { email: ['a'], updatedAt: new OrmSql('now()') }),
    );
    expect(error.message).toContain(
      'email is an array, which only an array or JSON column compares whole',
    );
    expect(error.message).toContain(
      'updatedAt is an ORM SQL value (OrmSql), which only values to write may hold',
    );
  });

  it('accepts an array or an object for an array / JSON column, compared whole', () => {
    expect(() => assertPlainLookup(gateway, { tags: ['a', 'b'] })).not.toThrow();
    expect(() => assertPlainLookup(gateway, { tags: { a: [1] } })).not.toThrow();
  });

  it('lists every bad value at once', () => {
    const error = rejection(() =>
      assertPlainLookup(gateway, { email: undefined, name: 'x', balance: F('balance') }),
    );
    expect(error.fields).toEqual(['email', 'balance']);
    expect(error.message).toContain(
      `email is undefined, balance is an F expression (F('balance'))`,
    );
  });

  it('accepts plain values, Date and null (the null rule is checked against the unique key later)', () => {
    expect(() =>
      assertPlainLookup(gateway, {
        id: 1,
        email: 'a@example.com',
        balance: 2n,
        updatedAt: new Date(),
        name: null,
      }),
    ).not.toThrow();
  });
});

describe('assertKnownFields', () => {
  it('lists every unknown property across groups once, with the known ones', () => {
    const error = rejection(() =>
      assertKnownFields(gateway, {
        lookup: { email: 'x', nope: 1 },
        defaults: { nope: 2, view_count: 3 },
        values: undefined,
      }),
    );
    expect(error.fields).toEqual(['nope', 'view_count']);
    expect(error.message).toContain(
      'known: id, email, name, balance, pending, viewCount, updatedAt, tags',
    );
  });

  it('rejects a group that is not a plain object', () => {
    expect(
      rejection(() => assertKnownFields(gateway, { defaults: [1] as never })).message,
    ).toContain('defaults must be a plain object');
  });

  it('accepts known properties and skips absent groups', () => {
    expect(() =>
      assertKnownFields(gateway, { lookup: { email: 'x' }, defaults: undefined }),
    ).not.toThrow();
  });
});

describe('assertWritableValues', () => {
  it('accepts arrays, JSON objects, ORM SQL values, null and Dates: the ORM writes them', () => {
    const values = {
      tags: ['a'],
      name: { nested: [1, { deep: true }] },
      updatedAt: new OrmSql('now()'),
      email: null,
      pending: new Date(),
    };
    expect(() => assertWritableValues(gateway, 'defaults', values, false)).not.toThrow();
  });

  it.each([
    ['an ORM operator', new OrmOperator('moreThan', 1)],
    ['a symbol-keyed operator', { [Symbol('gt')]: 1 }],
    ['undefined', undefined],
  ])('rejects %s, naming the group', (_, value) => {
    const error = rejection(() =>
      assertWritableValues(gateway, 'createDefaults', { email: 'x', name: value }, true),
    );
    expect(error.fields).toEqual(['name']);
    expect(error.message).toMatch(/^createDefaults values must be plain values: name is /);
  });

  it('rejects F expressions only where a new row is built', () => {
    expect(() =>
      assertWritableValues(gateway, 'defaults', { balance: F('balance').plus(1) }, true),
    ).not.toThrow();
    expect(
      rejection(() =>
        assertWritableValues(gateway, 'defaults', { balance: F('balance').plus(1) }, false),
      ).fields,
    ).toEqual(['balance']);
  });
});
