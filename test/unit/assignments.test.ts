import {
  F,
  InvalidFieldError,
  Parameters,
  compileAssignments,
  mysqlDialect,
  postgresDialect,
  setClause,
} from '@racesafe/core';
import { OrmOperator, OrmSql, stubGateway } from './support/stub-gateway';

const updatedAtNow = { property: 'updatedAt', sql: 'CURRENT_TIMESTAMP' };
const newParameters = () => new Parameters(postgresDialect.placeholder);

/** The InvalidFieldError compileAssignments throws for these values, and what it bound before. */
function rejection(values: Record<string, unknown>, group?: string) {
  const gateway = stubGateway();
  const parameters = newParameters();
  try {
    compileAssignments(gateway, values, parameters.add, group);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidFieldError);
    return { error: error as InvalidFieldError, bound: parameters.values };
  }
  throw new Error('compileAssignments accepted invalid values');
}

describe('compileAssignments', () => {
  it('binds plain values through the gateway and compiles F expressions, in the order given', () => {
    const gateway = stubGateway();
    const parameters = newParameters();
    const assignments = compileAssignments(
      gateway,
      { email: 'a@example.com', viewCount: F('viewCount').plus(1) },
      parameters.add,
    );
    expect(setClause(assignments)).toBe('"email" = $1, "view_count" = ("view_count" + $2)');
    // Converted twice: once by the check before any statement (its parameter thrown away), once into the SET clause.
    expect(gateway.bindings).toEqual([
      { property: 'email', value: 'a@example.com' },
      { property: 'email', value: 'a@example.com' },
    ]);
    expect(parameters.values).toEqual(['a@example.com', 1]);
  });

  it('refuses a value the ORM cannot convert, naming it, before binding anything', () => {
    const gateway = stubGateway();
    const parameters = newParameters();
    const bindValue = gateway.bindValue.bind(gateway);
    gateway.bindValue = (property, value, add) => {
      if (value === Infinity)
        throw new InvalidFieldError(`${property} cannot be written`, { fields: [property] });
      return bindValue(property, value, add);
    };
    const error = (() => {
      try {
        compileAssignments(
          gateway,
          { email: 'a@example.com', balance: Infinity, viewCount: F('viewCount').plus(1) },
          parameters.add,
        );
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InvalidFieldError);
    expect((error as InvalidFieldError).fields).toEqual(['balance']);
    expect(parameters.values).toEqual([]);
  });

  it('appends the managed assignments of the gateway (updatedAt = CURRENT_TIMESTAMP)', () => {
    const gateway = stubGateway({ updateAssignments: [updatedAtNow] });
    const assignments = compileAssignments(
      gateway,
      { balance: F('balance').minus(5) },
      newParameters().add,
    );
    expect(setClause(assignments)).toBe(
      '"balance" = ("balance" - $1), "updated_at" = CURRENT_TIMESTAMP',
    );
  });

  it('leaves out a managed assignment the caller set explicitly', () => {
    const gateway = stubGateway({ updateAssignments: [updatedAtNow] });
    const when = new Date('2024-01-02T03:04:05Z');
    const parameters = newParameters();
    const assignments = compileAssignments(gateway, { updatedAt: when, name: 'x' }, parameters.add);
    expect(setClause(assignments)).toBe('"updated_at" = $1, "name" = $2');
    expect(parameters.values).toEqual([when, 'x']);
  });

  it('rejects empty values, naming the group', () => {
    expect(rejection({}).error.message).toMatch(/^values is empty/);
    expect(rejection({}, 'defaults').error.message).toMatch(/^defaults is empty/);
  });

  it('lists every unknown property at once, before binding anything', () => {
    const { error, bound } = rejection({ nope: 1, email: 'x', view_count: F('viewCount').plus(1) });
    expect(error.fields).toEqual(['nope', 'view_count']);
    expect(error.message).toContain('"nope", "view_count"');
    expect(bound).toEqual([]);
  });

  it.each([
    ['an ORM operator', new OrmOperator('moreThan', 1)],
    ['a Sequelize-style operator object', { [Symbol('gte')]: 1 }],
    ['undefined', undefined],
  ])('rejects %s as a value', (_, value) => {
    const { error, bound } = rejection({ email: 'x', balance: value });
    expect(error.fields).toEqual(['balance']);
    expect(bound).toEqual([]);
  });

  it('binds arrays and JSON objects as values and writes an ORM SQL value as its SQL, unbound', () => {
    const gateway = stubGateway();
    const parameters = newParameters();
    const assignments = compileAssignments(
      gateway,
      { tags: ['a', 'b'], name: { k: [1] }, updatedAt: new OrmSql('now()') },
      parameters.add,
    );
    expect(setClause(assignments)).toBe('"tags" = $1, "name" = $2, "updated_at" = now()');
    expect(parameters.values).toEqual([['a', 'b'], { k: [1] }]);
  });

  it('rejects an invalid F expression, naming the property it assigns', () => {
    const { error } = rejection({ balance: F('balance').plus('1.5') }, 'defaults');
    expect(error.message).toContain('defaults.balance operand 1: "1.5" is not an integer literal');
  });
});

describe('compileAssignments on MySQL (SET applies left to right)', () => {
  const compile = (values: Record<string, unknown>) => {
    const parameters = new Parameters(mysqlDialect.placeholder);
    const sql = setClause(
      compileAssignments(stubGateway({ dialect: mysqlDialect }), values, parameters.add),
    );
    return { sql, bound: parameters.values };
  };

  it('sends an assignment after every assignment that reads its column, parameters in SQL order', () => {
    const { sql, bound } = compile({
      balance: F('balance').plus(1),
      pending: F('balance').times(2),
      name: 'x',
    });
    expect(sql).toBe(
      '"pending" = ("balance" * CAST(? AS SIGNED)), "balance" = ("balance" + CAST(? AS SIGNED)), "name" = ?',
    );
    expect(bound).toEqual([2, 1, 'x']);
  });

  it('keeps the caller order when nothing reads another assignment, and self-references anywhere', () => {
    expect(compile({ name: 'x', balance: F('balance').minus(F('pending')) }).sql).toBe(
      '"name" = ?, "balance" = ("balance" - "pending")',
    );
  });

  it('refuses assignments that read each other, naming them, before binding anything', () => {
    const parameters = new Parameters(mysqlDialect.placeholder);
    const swap = () =>
      compileAssignments(
        stubGateway({ dialect: mysqlDialect }),
        { balance: F('pending'), pending: F('balance'), name: 'x' },
        parameters.add,
      );
    expect(swap).toThrow(InvalidFieldError);
    expect(swap).toThrow(
      /^Account: values "balance", "pending" read each other's columns; mysql applies SET assignments one after another/,
    );
    expect(parameters.values).toEqual([]);
  });

  it('divides whole numbers with DIV, as PostgreSQL truncates integer division, and fractions with /', () => {
    expect(compile({ balance: F('balance').div(2) }).sql).toBe(
      '"balance" = ("balance" DIV CAST(? AS SIGNED))',
    );
    expect(compile({ balance: F('balance').div(2.5) }).sql).toBe('"balance" = ("balance" / ?)');
    expect(compile({ balance: F('balance').plus('9007199254740993').div(F('pending')) }).sql).toBe(
      '"balance" = (("balance" + CAST(? AS SIGNED)) DIV "pending")',
    );
  });

  it('leaves PostgreSQL SQL as it was: the parameter takes the column type', () => {
    const parameters = new Parameters(postgresDialect.placeholder);
    const sql = setClause(
      compileAssignments(
        stubGateway(),
        { balance: F('balance').div(2), pending: F('balance') },
        parameters.add,
      ),
    );
    expect(sql).toBe('"balance" = ("balance" / $1), "pending" = "balance"');
  });
});
