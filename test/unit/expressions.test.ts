import {
  F,
  FExpression,
  InvalidFieldError,
  Parameters,
  checkExpression,
  compileExpression,
  isFExpression,
  postgresDialect,
} from '@racesafe/core';
import { compileContext, stubGateway } from './support/stub-gateway';

const gateway = stubGateway();
const compile = (expression: FExpression, parameters?: Parameters) => {
  const context = compileContext(gateway, parameters);
  return { sql: compileExpression(expression, context), values: context.parameters.values };
};

describe('F expression compiler', () => {
  it('applies a chain left to right with explicit parentheses', () => {
    expect(compile(F('balance').plus(2).times(F('balance')))).toEqual({
      sql: '(("balance" + $1) * "balance")',
      values: [2],
    });
  });

  it('compiles a nested F as a parenthesised operand, numbering after parameters the caller already bound', () => {
    const parameters = new Parameters(postgresDialect.placeholder);
    parameters.add('caller-1');
    parameters.add('caller-2');
    const { sql, values } = compile(F('balance').minus(F('pending').times(2)).plus(3), parameters);
    expect(sql).toBe('(("balance" - ("pending" * $3)) + $4)');
    expect(values).toEqual(['caller-1', 'caller-2', 2, 3]);
  });

  it.each([
    ['plus', '+'],
    ['minus', '-'],
    ['times', '*'],
    ['div', '/'],
    ['mod', '%'],
  ] as const)('compiles %s as %s', (method, operator) => {
    expect(compile(F('balance')[method](7))).toEqual({
      sql: `("balance" ${operator} $1)`,
      values: [7],
    });
  });

  it('maps the property to its column when the names differ', () => {
    expect(compile(F('viewCount').plus(F('viewCount'))).sql).toBe('("view_count" + "view_count")');
  });

  it('binds big integers as strings and never splices them into the SQL', () => {
    const { sql, values } = compile(
      F('balance')
        .plus(2n ** 70n)
        .minus('9007199254740993'),
    );
    expect(sql).toBe('(("balance" + $1) - $2)');
    expect(values).toEqual(['1180591620717411303424', '9007199254740993']);
  });
});

describe('F expression validation', () => {
  it.each([
    ['an unknown property', F('nope').plus(1), `F('nope') names an unknown property`],
    [
      'an unknown property inside a nested F',
      F('balance').minus(F('nope')),
      `operand 1: F('nope') names an unknown property`,
    ],
    ['a non-numeric column', F('email').plus(1), `F('email') is not a numeric column`],
    ['NaN', F('balance').plus(NaN), 'NaN is not a finite number'],
    ['Infinity', F('balance').times(Infinity), 'Infinity is not a finite number'],
    ['a decimal string', F('balance').plus('1.5'), '"1.5" is not an integer literal'],
    [
      'a string with trailing letters',
      F('balance').plus('12abc'),
      '"12abc" is not an integer literal',
    ],
    [
      'an object',
      F('balance').plus({} as never),
      'is not a number, integer string or F expression',
    ],
    [
      'undefined',
      F('balance').plus(undefined as never),
      'undefined is not a number, integer string or F expression',
    ],
  ])('rejects %s with InvalidFieldError before binding anything', (_, expression, problem) => {
    const context = compileContext(gateway);
    const attempt = () => compileExpression(expression, context);
    expect(attempt).toThrow(InvalidFieldError);
    expect(attempt).toThrow(problem);
    expect(context.parameters.values).toEqual([]);
  });

  it('lists every problem at once, each with its path', () => {
    const problems = checkExpression(
      F('nope').plus(NaN).minus(F('email').plus('x')),
      compileContext(gateway),
      'values.total',
    );
    expect(problems).toEqual([
      `values.total: F('nope') names an unknown property`,
      'values.total operand 1: NaN is not a finite number',
      `values.total operand 2: F('email') is not a numeric column`,
      'values.total operand 2 operand 1: "x" is not an integer literal',
    ]);
  });

  it('accepts numbers, negative integer strings, bigints and nested F', () => {
    expect(
      checkExpression(
        F('balance').plus(1.5).minus('-3').times(4n).div(F('pending')),
        compileContext(gateway),
        'F',
      ),
    ).toEqual([]);
  });
});

describe('F expression objects', () => {
  it('are immutable: each operator returns a new expression and leaves the original unchanged', () => {
    const base = F('balance');
    const more = base.plus(1);
    const less = base.minus(2);
    expect(more).not.toBe(base);
    expect(base.steps).toEqual([]);
    expect(more.steps).toEqual([{ operator: '+', operand: 1 }]);
    expect(less.steps).toEqual([{ operator: '-', operand: 2 }]);
    expect(compile(base).sql).toBe('"balance"');
  });

  it('are recognised by isFExpression, also when made by another copy of racesafe', () => {
    // A second installed copy of @racesafe/core has its own class of the same name.
    const otherCopy = { FExpression: class {} };
    expect(isFExpression(F('balance').plus(1))).toBe(true);
    expect(isFExpression(new otherCopy.FExpression())).toBe(true);
    for (const value of [
      null,
      undefined,
      1,
      'F',
      {},
      { property: 'balance', steps: [] },
      new Date(),
    ]) {
      expect(isFExpression(value)).toBe(false);
    }
  });
});
