import { InvalidFieldError, RaceSafeError } from '@racesafe/core';
import { type SuiteDatabase, postgres } from './databases';
import { useTestOrm } from './lifecycle';
import type { OpenTestOrm, Row, Table } from './orm';

/** The error a call was rejected with. */
const rejection = (call: () => Promise<unknown>) =>
  call().then(
    () => Promise.reject(new Error('the call was accepted')),
    (error: unknown) => error,
  );

/** A request body as JSON.parse makes it: `__proto__` is an ordinary own key there. */
const body = (json: string): Row => JSON.parse(json) as Row;

/**
 * Input straight from a request body (issue 22): every own key the caller gives, `__proto__`,
 * `constructor` and `prototype` included, reaches the known-field check and is refused with
 * InvalidFieldError naming it before any statement; nothing is read from a prototype; values
 * the ORM's own writes store are stored; what no writer can send comes back as a racesafe error.
 */
export function describeUntrustedInput(
  open: OpenTestOrm,
  database: SuiteDatabase = postgres,
): void {
  const { log, orm } = useTestOrm(open, undefined, database);
  const count = async (table: string) =>
    Number((await orm().query(`SELECT count(*) AS n FROM ${table}`))[0].n);

  /** Refused with InvalidFieldError naming exactly `fields`, before any statement, nothing written. */
  const expectRefused = async (call: () => Promise<unknown>, fields: string[]) => {
    log.clear();
    const error = await rejection(call);
    expect(error).toBeInstanceOf(InvalidFieldError);
    expect([...(error as InvalidFieldError).fields].sort()).toEqual([...fields].sort());
    expect(log.statements).toEqual([]);
  };

  describe.each(['__proto__', 'constructor', 'prototype'])(
    'an own key %s from a parsed body',
    (key) => {
      const withKey = (value: string) =>
        body(`{"email":"a@x.example",${JSON.stringify(key)}:${value}}`);

      it.each(['"x"', '{"name":"evil"}', 'null'])(
        'is refused in a lookup of every operation (value %s)',
        async (value) => {
          await expectRefused(() => orm().getOrCreate('users', withKey(value)), [key]);
          await expectRefused(
            () => orm().updateOrCreate('users', withKey(value), { defaults: { name: 'n' } }),
            [key],
          );
          await expectRefused(
            () => orm().getOrCreateMany('users', [{ email: 'b@x.example' }, withKey(value)]),
            [key],
          );
          await expectRefused(
            () => orm().atomicUpdate('users', withKey(value), { name: 'n' }),
            [key],
          );
          expect(await count('users')).toBe(0);
        },
      );

      it.each(['"x"', '{"name":"evil"}'])(
        'is refused in defaults, createDefaults and values (value %s)',
        async (value) => {
          const group = body(`{"name":"n",${JSON.stringify(key)}:${value}}`);
          await expectRefused(
            () => orm().getOrCreate('users', { email: 'a@x.example' }, { defaults: group }),
            [key],
          );
          await expectRefused(
            () => orm().updateOrCreate('users', { email: 'a@x.example' }, { defaults: group }),
            [key],
          );
          await expectRefused(
            () =>
              orm().updateOrCreate(
                'users',
                { email: 'a@x.example' },
                { defaults: { name: 'n' }, createDefaults: group },
              ),
            [key],
          );
          await expectRefused(
            () => orm().getOrCreateMany('users', [{ email: 'a@x.example' }], { defaults: group }),
            [key],
          );
          await expectRefused(
            () => orm().atomicUpdate('users', { email: 'a@x.example' }, group),
            [key],
          );
          expect(await count('users')).toBe(0);
        },
      );
    },
  );

  it('reads nothing inherited: an object whose prototype holds properties is refused as no plain object', async () => {
    const inheriting = () =>
      Object.assign(Object.create({ name: 'inherited' }) as Row, { email: 'own@x.example' });
    for (const call of [
      () => orm().getOrCreate('users', inheriting()),
      () => orm().getOrCreate('users', { email: 'own@x.example' }, { defaults: inheriting() }),
      () => orm().updateOrCreate('users', { email: 'own@x.example' }, { defaults: inheriting() }),
    ]) {
      log.clear();
      expect(await rejection(call)).toBeInstanceOf(InvalidFieldError);
      expect(log.statements).toEqual([]);
    }
    expect(await count('users')).toBe(0);
  });

  it('getOrCreateMany names the unknown properties of lookups and defaults at once', async () => {
    await expectRefused(
      () =>
        orm().getOrCreateMany('users', [{ email: 'a@x.example', nope: 1 }], {
          defaults: { alsoNope: 2 },
        }),
      ['nope', 'alsoNope'],
    );
    await expectRefused(
      () =>
        orm().getOrCreateMany('users', [{ email: 'a@x.example' }], {
          defaults: body('{"__proto__":{"name":"x"}}'),
        }),
      ['__proto__'],
    );
  });

  it('compares bigint values on the update path, in the caller transaction and outside it', async () => {
    await orm().insert('counters', { name: 'c' });
    const [, created] = await orm().transaction((tx) =>
      orm().updateOrCreate('counters', { name: 'c' }, { defaults: { big: -1n } }, tx),
    );
    expect(created).toBe(false);
    expect(String((await orm().query(`SELECT big FROM counters`))[0].big)).toBe('-1');
    log.clear();
    await orm().updateOrCreate('counters', { name: 'c' }, { defaults: { big: -1n } });
    expect(log.verbs()).not.toContain('UPDATE');
    // Beyond 2^53 the value stored is the ORM's conversion (SQLite's drivers bind a double): the same as its own update stores.
    await orm().insert('counters', { name: 'orm' });
    await orm().update('counters', { name: 'orm' }, { big: 12345678901234567n });
    await orm().updateOrCreate(
      'counters',
      { name: 'c' },
      { defaults: { big: 12345678901234567n } },
    );
    const big = async (name: string) =>
      String((await orm().query(`SELECT big FROM counters WHERE name = '${name}'`))[0].big);
    expect(await big('c')).toBe(await big('orm'));
    if (database.dialect !== 'sqlite') expect(await big('c')).toBe('12345678901234567');
  });

  it('reports created for a row it created whose stored key differs from the value given', async () => {
    // The text stored is the ORM's (node-sqlite3 under Sequelize binds a number as a double: '900198.0'); created is this call's doing either way.
    const results = await orm().getOrCreateMany('users', [{ email: 900198 }]);
    expect(results.map(([, created]) => created)).toEqual([true]);
    const again = await orm().getOrCreateMany('users', [
      { email: 900198 },
      { email: 'new@x.example' },
    ]);
    expect(again.map(([row, created]) => [row.id, created])).toEqual([
      [results[0][0].id, false],
      [expect.anything(), true],
    ]);
    const pair = await orm().getOrCreateMany('users', [{ email: 5 }, { email: '5' }]);
    const oneRow = pair[0][0].id === pair[1][0].id;
    // One stored key '5' on the servers: created once, on its first place.
    if (database.dialect !== 'sqlite') expect(oneRow).toBe(true);
    expect(pair.map(([, created]) => created)).toEqual(oneRow ? [true, false] : [true, true]);
  });

  it('turns a value the driver cannot send into a racesafe error with the driver error as cause', async () => {
    await orm().insert('documents', { code: 'd' });
    const calls = [
      () => orm().getOrCreate('documents', { code: 'n' }, { defaults: { meta: { big: 1n } } }),
      () => orm().updateOrCreate('documents', { code: 'd' }, { defaults: { meta: { big: 1n } } }),
      () => orm().atomicUpdate('documents', { code: 'd' }, { meta: { big: 1n } }),
    ];
    for (const call of calls) {
      const error = await rejection(call);
      expect(error).toBeInstanceOf(RaceSafeError);
      expect((error as RaceSafeError).cause).toBeDefined();
    }
    expect(await count('documents')).toBe(1);
  });

  it('never lets an object or an array shift the other values into the wrong columns (the SQLite drivers bind an object as named parameters and spread an array)', async () => {
    // The differential fuzz's input (seed 1004): TypeORM's SQLite drivers bound it with every value one column off.
    const defaults = { title: {}, stampedAt: [1, 'x'], meta: 7 };
    const calls = [
      () => orm().getOrCreate('documents', { code: 's1' }, { defaults }),
      () => orm().updateOrCreate('documents', { code: 's2' }, { defaults }),
      () => orm().getOrCreateMany('documents', [{ code: 's3' }], { defaults }),
    ];
    for (const call of calls) {
      log.clear();
      const error = await rejection(call);
      // Refused by racesafe, or by the ORM's own validation it runs as Model.create does (Sequelize's ValidationError).
      const byOrmValidation = (error as Error).name === 'SequelizeValidationError';
      expect(error instanceof RaceSafeError || byOrmValidation).toBe(true);
      // Where the driver cannot bind them as one value, before any statement that writes; node-postgres binds
      // both as one value each and the server refuses '{1,x}' as a timestamp.
      const writes = log.verbs().filter((verb) => ['INSERT', 'UPDATE', 'WITH'].includes(verb));
      if (database.dialect !== 'postgres' || byOrmValidation) expect(writes).toEqual([]);
      if (database.dialect !== 'postgres' && !byOrmValidation)
        expect(error).toBeInstanceOf(InvalidFieldError);
    }
    expect(await count('documents')).toBe(0);
  });

  describe("numbers as the ORM's own write stores them, or refused before any statement where it refuses them", () => {
    // TypeORM's SQLite drivers write a number into the SQL as String(n) (-0 as 0, 5 as the integer 5, Infinity as a column name).
    const inputs: [Table, string, unknown][] = [
      ['documents', 'title', -0],
      ['documents', 'title', 5],
      ['documents', 'title', 2 ** 53 + 1],
      ['counters', 'label', 900198],
      ['counters', 'value', -0],
      ['counters', 'ratio', 5],
      ['counters', 'value', Infinity],
      ['counters', 'big', -Infinity],
      ['documents', 'title', Infinity],
      ['counters', 'ratio', Number.NaN],
    ];
    const keyOf = (table: Table) => (table === 'documents' ? 'code' : 'name');
    const stored = async (table: Table, column: string, key: string) =>
      (
        await orm().query(
          `SELECT ${database.asText(column)} AS v FROM ${table} WHERE ${keyOf(table)} = '${key}'`,
        )
      ).map((r) => (r.v === null ? null : String(r.v as string | number)));
    const operations: [string, (table: Table, lookup: Row, values: Row) => Promise<unknown>][] = [
      [
        'getOrCreate',
        (table, lookup, values) => orm().getOrCreate(table, lookup, { defaults: values }),
      ],
      [
        'getOrCreateMany',
        (table, lookup, values) => orm().getOrCreateMany(table, [lookup], { defaults: values }),
      ],
      [
        'updateOrCreate',
        (table, lookup, values) => orm().updateOrCreate(table, lookup, { defaults: values }),
      ],
      ['atomicUpdate', (table, lookup, values) => orm().atomicUpdate(table, lookup, values)],
    ];

    it.each(operations)('%s', async (operation, call) => {
      const existing = operation === 'updateOrCreate' || operation === 'atomicUpdate';
      for (const [n, [table, column, value]] of inputs.entries()) {
        const [ours, theirs] = [`r${n}`, `o${n}`];
        const input = `${operation} ${table}.${column} = ${String(Object.is(value, -0) ? '-0' : value)}`;
        if (existing)
          for (const key of [ours, theirs]) await orm().insert(table, { [keyOf(table)]: key });
        const ormError = await (
          existing
            ? orm().update(table, { [keyOf(table)]: theirs }, { [column]: value })
            : orm().insert(table, { [keyOf(table)]: theirs, [column]: value })
        ).then(
          () => undefined,
          (error: unknown) => error,
        );
        const before = await stored(table, column, ours);
        log.clear();
        const ourError = await call(table, { [keyOf(table)]: ours }, { [column]: value }).then(
          () => undefined,
          (error: unknown) => error,
        );
        const statements = [...log.statements];
        if (ormError === undefined) {
          expect({ input, ourError, row: await stored(table, column, ours) }).toEqual({
            input,
            ourError: undefined,
            row: await stored(table, column, theirs),
          });
          continue;
        }
        expect({
          input,
          refused: ourError instanceof RaceSafeError,
          row: await stored(table, column, ours),
        }).toEqual({ input, refused: true, row: before });
        // TypeORM's SQLite drivers: the number is no SQL value; refused as such, naming it, before any statement.
        if (orm().name === 'typeorm' && database.dialect === 'sqlite') {
          expect({
            input,
            error: ourError,
            fields: (ourError as RaceSafeError).fields,
            statements,
          }).toEqual({
            input,
            error: expect.any(InvalidFieldError),
            fields: [column],
            statements: [],
          });
        }
      }
    });
  });

  it("getOrCreateMany stores binary data and arrays as the ORM's insert does, after creations made it insert first", async () => {
    // Calls that create: the next call takes the guarded INSERT first (PostgreSQL: one array per column, which a Buffer or an array element would not survive).
    const inputs: [Table, string, unknown][] = [
      ['counters', 'label', Buffer.from([0, 1, 255])],
      ['counters', 'label', Buffer.from('abc')],
      ['documents', 'stamped_at', []],
      ['documents', 'title', []],
    ];
    for (const [n, [table, column, value]] of inputs.entries()) {
      const key = table === 'documents' ? 'code' : 'name';
      const property = column === 'stamped_at' ? 'stampedAt' : column;
      for (const warm of ['w1', 'w2', 'w3'])
        await orm().getOrCreateMany(table, [{ [key]: `${warm}-${n}` }]);
      const ormError = await orm()
        .insert(table, { [key]: `o${n}`, [property]: value })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      log.clear();
      const ourError = await orm()
        .getOrCreateMany(table, [{ [key]: `r${n}` }], { defaults: { [property]: value } })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      const writes = log.verbs().filter((verb) => ['INSERT', 'UPDATE', 'WITH'].includes(verb));
      const stored = async (name: string) =>
        (
          await orm().query(
            `SELECT ${database.asText(column)} AS v FROM ${table} WHERE ${key} = '${name}'`,
          )
        ).map((r) => (r.v === null ? null : String(r.v as string)));
      const input = `${table}.${property} = ${JSON.stringify(value)}`;
      if (ormError !== undefined) {
        // Refused as the ORM's own insert refuses it: a racesafe error, or the ORM's own error from the validation racesafe runs as
        // Model.create does (Sequelize's ValidationError, as getOrCreate throws it), then before any statement that writes.
        const byOrmValidation =
          !(ourError instanceof RaceSafeError) &&
          (ourError as object | undefined)?.constructor === (ormError as object).constructor;
        expect({
          input,
          refused: ourError instanceof RaceSafeError || byOrmValidation,
          writes: byOrmValidation ? writes : [],
          rows: await stored(`r${n}`),
        }).toEqual({ input, refused: true, writes: [], rows: [] });
      } else {
        expect({ input, ourError, rows: await stored(`r${n}`) }).toEqual({
          input,
          ourError: undefined,
          rows: await stored(`o${n}`),
        });
      }
    }
  });
}
