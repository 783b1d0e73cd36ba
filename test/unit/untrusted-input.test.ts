import {
  F,
  InvalidFieldError,
  assertKnownFields,
  bindOrRefuse,
  compileExpression,
  sameValue,
} from '@racesafe/core';
import { assertPlainLookup, assertWritableValues } from '../../packages/core/src/validate';
import { stubGateway } from './support/stub-gateway';

const gateway = stubGateway();
const circular = () => {
  const value: Record<string, unknown> = { a: 1 };
  value.self = { back: value };
  return value;
};

describe('sameValue on values a request body or the ORM may hold', () => {
  it.each([
    [-1n, '-1', true],
    [-1n, -1, true],
    [12345678901234567n, '12345678901234567', true],
    [1n, 2n, false],
    [{ big: 1n }, { big: 1n }, true],
    [{ big: 1n }, { big: '1n' }, true],
  ])('%p and %p: %p, never a TypeError', (current, next, same) => {
    expect(sameValue(current, next)).toBe(same);
  });

  it('calls a circular value different instead of overflowing the stack', () => {
    expect(sameValue({ a: 1 }, circular())).toBe(false);
  });
});

describe('known fields and values from a parsed body', () => {
  it.each(['__proto__', 'constructor', 'prototype'])('names an own key %s as unknown', (key) => {
    const body = JSON.parse(
      `{"email":"a@x.example",${JSON.stringify(key)}:{"name":"x"}}`,
    ) as Record<string, unknown>;
    const error = (() => {
      try {
        assertKnownFields(gateway, { lookup: body });
      } catch (e) {
        return e as InvalidFieldError;
      }
      throw new Error('accepted');
    })();
    expect(error).toBeInstanceOf(InvalidFieldError);
    expect(error.fields).toEqual([key]);
  });

  it('refuses a circular object as a lookup value and as a value to write, naming the property', () => {
    for (const check of [
      () => assertPlainLookup(gateway, { email: circular() }),
      () => assertWritableValues(gateway, 'defaults', { email: circular() }, false),
    ]) {
      expect(check).toThrow(InvalidFieldError);
      expect(check).toThrow(/email is a circular object/);
    }
  });

  it('turns a value the ORM cannot convert into InvalidFieldError naming it, the ORM error as cause', () => {
    const cause = new TypeError('Do not know how to serialize a BigInt');
    const call = () =>
      bindOrRefuse('Account', 'meta', () => {
        throw cause;
      });
    expect(call).toThrow(InvalidFieldError);
    try {
      call();
    } catch (error) {
      expect((error as InvalidFieldError).fields).toEqual(['meta']);
      expect((error as InvalidFieldError).cause).toBe(cause);
    }
  });
});

describe('F operands beyond what an integer column holds', () => {
  const context = (values: unknown[]) => ({
    column: (property: string) => (property === 'n' ? '"n"' : undefined),
    isNumeric: () => true,
    isInteger: () => true,
    addParameter: (value: unknown) => (values.push(value), `$${values.length}`),
    integerOperand: (p: string) => `CAST(${p} AS INTEGER)`,
  });

  it('binds a whole number beyond 2^53 as the double it is, never through an integer cast that would saturate', () => {
    const values: unknown[] = [];
    expect(compileExpression(F('n').plus(-2.353217332889085e95), context(values))).toBe(
      '("n" + $1)',
    );
    expect(compileExpression(F('n').plus(5), context([]))).toBe('("n" + CAST($1 AS INTEGER))');
  });

  it.each([2n ** 63n, -(2n ** 63n) - 1n, '9223372036854775808'])(
    'binds %p, beyond a 64-bit integer, uncast: the database computes or refuses it',
    (operand) => {
      expect(compileExpression(F('n').plus(operand as bigint), context([]))).toBe('("n" + $1)');
    },
  );
});
