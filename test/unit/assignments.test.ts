import { F, InvalidFieldError, Parameters, compileAssignments, postgresDialect, setClause } from '@racesafe/core';
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
    const assignments = compileAssignments(gateway, { email: 'a@example.com', viewCount: F('viewCount').plus(1) }, parameters.add);
    expect(setClause(assignments)).toBe('"email" = $1, "view_count" = ("view_count" + $2)');
    expect(gateway.bindings).toEqual([{ property: 'email', value: 'a@example.com' }]);
    expect(parameters.values).toEqual(['a@example.com', 1]);
  });

  it('appends the managed assignments of the gateway (updatedAt = CURRENT_TIMESTAMP)', () => {
    const gateway = stubGateway({ updateAssignments: [updatedAtNow] });
    const assignments = compileAssignments(gateway, { balance: F('balance').minus(5) }, newParameters().add);
    expect(setClause(assignments)).toBe('"balance" = ("balance" - $1), "updated_at" = CURRENT_TIMESTAMP');
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
    const assignments = compileAssignments(gateway, { tags: ['a', 'b'], name: { k: [1] }, updatedAt: new OrmSql('now()') }, parameters.add);
    expect(setClause(assignments)).toBe('"tags" = $1, "name" = $2, "updated_at" = now()');
    expect(parameters.values).toEqual([['a', 'b'], { k: [1] }]);
  });

  it('rejects an invalid F expression, naming the property it assigns', () => {
    const { error } = rejection({ balance: F('balance').plus('1.5') }, 'defaults');
    expect(error.message).toContain('defaults.balance operand 1: "1.5" is not an integer literal');
  });
});
