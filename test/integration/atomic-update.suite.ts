import { DatabaseError, F, InvalidFieldError } from '@racesafe/core';
import { type SuiteDatabase, postgres } from './databases';
import { useTestOrm } from './lifecycle';
import type { OpenTestOrm, Row } from './orm';

/** atomicUpdate against one package on one database: F results compared with what the database stored. */
export function describeAtomicUpdate(open: OpenTestOrm, database: SuiteDatabase = postgres): void {
  const { log, orm } = useTestOrm(
    open,
    async (o) => {
      await o.query(
        `INSERT INTO counters (name, value, view_count, big, ratio) VALUES ('c', 7, 3, 9007199254740990, 2)`,
      );
      await o.query(`INSERT INTO items (sku, stock) VALUES ('sku', 2)`);
      // Warm: the catalog and the server's SQL mode are read once per pool, not per call.
      await o.atomicUpdate(
        'counters',
        { name: 'c' },
        { value: F('value').plus(0) },
        { returning: true },
      );
    },
    database,
  );
  const stored = async () =>
    (
      await orm().query(
        `SELECT value, view_count, CONCAT(big, '') AS big, ratio, label FROM counters WHERE name = 'c'`,
      )
    )[0];

  it('computes F expressions in the database, in one statement', async () => {
    const changed = await orm().atomicUpdate(
      'counters',
      { name: 'c' },
      {
        value: F('value').plus(2).times(F('value')),
        viewCount: F('viewCount').minus(F('value').mod(4)),
      },
    );
    expect(changed).toBe(1);
    expect(log.verbs()).toEqual(['UPDATE']);
    // SET expressions all read the old row: value = (7 + 2) * 7, view_count = 3 - 7 % 4.
    expect(await stored()).toMatchObject({ value: 63, view_count: 0 });
  });

  it('binds every operand: a bigint beyond 2^53 and a fractional number', async () => {
    await orm().atomicUpdate(
      'counters',
      { name: 'c' },
      { big: F('big').plus('3'), ratio: F('ratio').times(1.5).div(4) },
    );
    expect(await stored()).toMatchObject({ big: '9007199254740993', ratio: 0.75 });
    expect(log.statements[0]).not.toMatch(/9007199254740993|1\.5/);
  });

  it('gives every F expression the row as it was, in whatever order the database applies SET', async () => {
    // MySQL applies SET left to right: racesafe sends view_count = value before value = value + 1.
    await orm().atomicUpdate(
      'counters',
      { name: 'c' },
      { value: F('value').plus(1), viewCount: F('value').times(10) },
    );
    expect(await stored()).toMatchObject({ value: 8, view_count: 70 });
  });

  it(`${database.refusesCyclicAssignments ? 'refuses' : 'applies'} assignments that read each other's columns`, async () => {
    const swap = orm().atomicUpdate(
      'counters',
      { name: 'c' },
      { value: F('viewCount'), viewCount: F('value') },
    );
    if (database.refusesCyclicAssignments) {
      await expect(swap).rejects.toMatchObject({
        name: 'InvalidFieldError',
        fields: ['value', 'viewCount'],
      });
      expect(log.statements).toEqual([]);
      expect(await stored()).toMatchObject({ value: 7, view_count: 3 });
    } else {
      expect(await swap).toBe(1);
      expect(await stored()).toMatchObject({ value: 3, view_count: 7 });
    }
  });

  it('returns the changed rows as stored when asked', async () => {
    const rows = (await orm().atomicUpdate(
      'counters',
      { name: 'c' },
      { value: F('value').div(2), label: 'halved' },
      { returning: true },
    )) as Row[];
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ name: 'c', value: 3, viewCount: 3, label: 'halved' });
    expect(log.verbs()).toEqual(database.statements.atomicUpdateReturning);
    log.clear();
    await orm().transaction((tx) =>
      orm().atomicUpdate(
        'counters',
        { name: 'c' },
        { value: F('value').plus(1) },
        { returning: true },
        tx,
      ),
    );
    expect(log.verbs()).toEqual(database.statements.atomicUpdateReturningInTransaction);
  });

  it('returns the rows a where with operators matched, and none when its guard does not hold', async () => {
    const { guard } = orm();
    const sold = (await orm().atomicUpdate(
      'items',
      { sku: 'sku', stock: guard.gte(1) },
      { stock: F('stock').minus(1) },
      { returning: true },
    )) as Row[];
    expect(sold.map((row) => [row.sku, row.stock])).toEqual([['sku', 1]]);
    expect(
      await orm().atomicUpdate(
        'items',
        { sku: 'sku', stock: guard.gte(5) },
        { stock: F('stock').minus(5) },
        { returning: true },
      ),
    ).toEqual([]);
    const both = (await orm().transaction((tx) =>
      orm().atomicUpdate(
        'counters',
        guard.or({ name: 'c' }, { name: 'none' }),
        { value: F('value').times(3) },
        { returning: true },
        tx,
      ),
    )) as Row[];
    expect(both.map((row) => row.value)).toEqual([21]);
    expect((await orm().query(`SELECT stock FROM items`))[0].stock).toBe(1);
  });

  it('returns nothing for a key that matched no row, and the row when only a guard on the key column is plain equality', async () => {
    expect(
      await orm().atomicUpdate(
        'counters',
        { name: 'nope' },
        { value: F('value').plus(1) },
        { returning: true },
      ),
    ).toEqual([]);
    // `value: 7` is part of where and changed by values: the row is still the one returned.
    const rows = (await orm().atomicUpdate(
      'counters',
      { name: 'c', value: 7 },
      { value: F('value').plus(1) },
      { returning: true },
    )) as Row[];
    expect(rows.map((row) => row.value)).toEqual([8]);
    expect(
      await orm().atomicUpdate(
        'counters',
        { name: 'c', value: 7 },
        { value: F('value').plus(1) },
        { returning: true },
      ),
    ).toEqual([]);
  });

  it('changes nothing when a guard in where does not hold', async () => {
    const { guard } = orm();
    expect(
      await orm().atomicUpdate(
        'items',
        { sku: 'sku', stock: guard.gte(3) },
        { stock: F('stock').minus(3) },
      ),
    ).toBe(0);
    expect(
      await orm().atomicUpdate(
        'items',
        { sku: 'sku', stock: guard.gte(2) },
        { stock: F('stock').minus(2) },
      ),
    ).toBe(1);
    expect(
      await orm().atomicUpdate('items', guard.or({ sku: 'none' }, { stock: guard.lt(0) }), {
        stock: F('stock').minus(1),
      }),
    ).toBe(0);
    expect((await orm().query(`SELECT stock FROM items`))[0].stock).toBe(0);
  });

  it('runs inside the caller transaction and rolls back with it', async () => {
    await orm()
      .transaction(async (tx) => {
        expect(
          await orm().atomicUpdate(
            'counters',
            { name: 'c' },
            { value: F('value').plus(100) },
            {},
            tx,
          ),
        ).toBe(1);
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
    await expect(orm().atomicUpdate('counters', where, values)).rejects.toBeInstanceOf(
      InvalidFieldError,
    );
    expect(log.statements).toEqual([]);
  });

  it('lists every unknown property of values and where at once', async () => {
    const error = await orm()
      .atomicUpdate('counters', { nmae: 'c' }, { vlaue: 1, value: 2 })
      .catch((e: unknown) => e);
    expect((error as InvalidFieldError).fields).toEqual(['vlaue', 'nmae']);
  });

  const { divisionByZero, outOfRange } = database.errorCodes;
  const arithmeticErrors: [string, Row, string][] = [
    ['division by zero', { value: F('value').div(0) }, divisionByZero],
  ];
  if (outOfRange !== undefined)
    arithmeticErrors.push([
      'integer overflow',
      { value: F('value').times(2147483647) },
      outOfRange,
    ]);
  it.each(arithmeticErrors)(
    'reports %s as DatabaseError with the row unchanged',
    async (_label, values, code) => {
      for (const returning of [false, true]) {
        const error = await orm()
          .atomicUpdate('counters', { name: 'c' }, values, { returning })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(DatabaseError);
        expect(error).toMatchObject({ code });
        expect((error as Error).cause).toBeDefined();
        expect((await stored()).value).toBe(7);
      }
    },
  );

  it('returns a row the where matched even when values leave it as it was', async () => {
    // MySQL's affected rows count changed rows unless the client sets CLIENT_FOUND_ROWS (Sequelize clears it): matched is what counts.
    const rows = (await orm().atomicUpdate(
      'counters',
      { name: 'c' },
      { value: F('value').plus(0) },
      { returning: true },
    )) as Row[];
    expect(rows.map((row) => row.value)).toEqual([7]);
  });

  if (outOfRange === undefined) {
    // A 64-bit INTEGER (SQLite): the product that overflows PostgreSQL's int4 is stored exactly.
    it('stores a product beyond 32 bits exactly', async () => {
      expect(
        await orm().atomicUpdate(
          'counters',
          { name: 'c' },
          { value: F('value').times(2147483647) },
        ),
      ).toBe(1);
      expect(
        (await orm().query(`SELECT CONCAT(value, '') AS value FROM counters WHERE name = 'c'`))[0]
          .value,
      ).toBe('15032385529');
    });
  }
}
