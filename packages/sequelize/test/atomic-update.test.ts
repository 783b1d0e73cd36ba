import { Op } from 'sequelize';
import { useTestDatabase } from '../../../test/harness/database';
import { schemaSql, truncateSql } from '../../../test/schema/tables';
import { StatementLog } from '../../../test/support/statement-log';
import { DatabaseError, F, InvalidFieldError } from '../src';
import { type TestModels, testSequelize } from './models';

const db = useTestDatabase(schemaSql);
const log = new StatementLog();
let m: TestModels;

beforeAll(() => {
  m = testSequelize(db.url(), { onQuery: log.record });
});
afterAll(() => m?.sequelize.close());
beforeEach(async () => {
  await m.sequelize.query(truncateSql);
  await m.sequelize.query(`INSERT INTO counters (name, value, view_count, big, ratio) VALUES ('c', 7, 3, 9007199254740990, 2)`);
  await m.sequelize.query(`INSERT INTO items (sku, stock) VALUES ('sku', 2)`);
  log.clear();
});

const stored = async () => {
  const [rows] = await m.sequelize.query(`SELECT value, view_count, big::text AS big, ratio, label FROM counters WHERE name = 'c'`);
  return rows[0] as Record<string, unknown>;
};

describe('atomicUpdate (Sequelize)', () => {
  it('computes F expressions in the database, in one statement', async () => {
    const changed = await m.Counter.atomicUpdate({ value: F('value').plus(2).times(F('value')), viewCount: F('viewCount').minus(F('value').mod(4)) }, { where: { name: 'c' } });
    expect(changed).toBe(1);
    expect(log.verbs()).toEqual(['UPDATE']);
    // SET expressions all read the old row: value = (7 + 2) * 7, view_count = 3 - 7 % 4.
    expect(await stored()).toMatchObject({ value: 63, view_count: 0 });
  });

  it('binds every operand: a bigint beyond 2^53 and a fractional number', async () => {
    await m.Counter.atomicUpdate({ big: F('big').plus('3'), ratio: F('ratio').times(1.5).div(4) }, { where: { name: 'c' } });
    expect(await stored()).toMatchObject({ big: '9007199254740993', ratio: 0.75 });
    expect(log.statements[0]).not.toMatch(/9007199254740993|1\.5/);
  });

  it('returns the changed rows as stored when asked', async () => {
    const rows = await m.Counter.atomicUpdate({ value: F('value').div(2), label: 'halved' }, { where: { name: 'c' }, returning: true });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toBeInstanceOf(m.Counter);
    expect(rows[0].get({ plain: true })).toMatchObject({ name: 'c', value: 3, viewCount: 3, label: 'halved' });
  });

  it('changes nothing when a guard in where does not hold', async () => {
    expect(await m.Item.atomicUpdate({ stock: F('stock').minus(3) }, { where: { sku: 'sku', stock: { [Op.gte]: 3 } } })).toBe(0);
    expect(await m.Item.atomicUpdate({ stock: F('stock').minus(2) }, { where: { sku: 'sku', stock: { [Op.gte]: 2 } } })).toBe(1);
    expect(await m.Item.atomicUpdate({ stock: F('stock').minus(1) }, { where: { [Op.or]: [{ sku: 'none' }, { stock: { [Op.lt]: 0 } }] } })).toBe(0);
    expect((await m.Item.findOne({ where: { sku: 'sku' }, rejectOnEmpty: true })).stock).toBe(0);
  });

  it('runs inside the caller transaction and rolls back with it', async () => {
    await m.sequelize
      .transaction(async (transaction) => {
        expect(await m.Counter.atomicUpdate({ value: F('value').plus(100) }, { where: { name: 'c' }, transaction })).toBe(1);
        throw new Error('roll back');
      })
      .catch(() => undefined);
    expect((await stored()).value).toBe(7);
  });

  it.each([
    ['an unknown property in values and where', { nmae: 'c' }, { vlaue: F('value').plus(1) }],
    ['a column name that is not a property', { name: 'c' }, { view_count: 1 }],
    ['F on a non-numeric column', { name: 'c' }, { value: F('label').plus(1) }],
    ['F on an unknown property', { name: 'c' }, { value: F('nope').plus(1) }],
    ['a NaN operand', { name: 'c' }, { value: F('value').plus(NaN) }],
    ['an infinite operand', { name: 'c' }, { value: F('value').times(Infinity) }],
    ['a string that is not an integer literal', { name: 'c' }, { value: F('value').plus('1.5') }],
    ['empty values', { name: 'c' }, {}],
    ['an empty where', {}, { value: F('value').plus(1) }],
  ])('rejects %s before any statement', async (_label, where, values) => {
    await expect(m.Counter.atomicUpdate(values as never, { where: where as never })).rejects.toBeInstanceOf(InvalidFieldError);
    expect(log.statements).toEqual([]);
  });

  it('lists every unknown property of values and where at once', async () => {
    const error = await m.Counter.atomicUpdate({ vlaue: 1, value: 2 } as never, { where: { nmae: 'c' } as never }).catch((e: unknown) => e);
    expect((error as InvalidFieldError).fields).toEqual(['vlaue', 'nmae']);
  });

  it.each([
    ['division by zero', { value: F('value').div(0) }, '22012'],
    ['integer overflow', { value: F('value').times(2147483647) }, '22003'],
  ])('reports %s as DatabaseError with the row unchanged', async (_label, values, code) => {
    const error = await m.Counter.atomicUpdate(values, { where: { name: 'c' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseError);
    expect(error).toMatchObject({ code });
    expect((error as Error).cause).toBeDefined();
    expect((await stored()).value).toBe(7);
  });
});
