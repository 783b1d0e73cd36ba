import { InvalidFieldError } from '@racesafe/core';
import { type SuiteDatabase, postgres } from './databases';
import { useTestOrm } from './lifecycle';
import type { OpenTestOrm, Row, TestOrm, Tx } from './orm';

// Values with the characters an array or JSON literal must escape.
const tags = ['a', 'b,c', 'say "hi"', 'ü {x}'];
const metaArray = [1, 'two', { three: [3] }, null];
const metaObject = { plan: 'pro', limits: { seats: 5 }, flags: ['x'] };

/** The error a call was rejected with. */
const rejection = (call: () => Promise<unknown>) =>
  call().then(
    () => Promise.reject(new Error('the call was accepted')),
    (error: unknown) => error,
  );

/**
 * Every value the ORM's own create / update accept is accepted by racesafe and stored the
 * same way: arrays for text[] and jsonb (MariaDB: JSON columns, it has no array type), JSON
 * objects, and the ORM's SQL values (`now()`) where a row is written; lookups stay plain equality.
 */
export function describeValues(open: OpenTestOrm, database: SuiteDatabase = postgres): void {
  const { log, orm } = useTestOrm(open, undefined, database);
  /** A documents row as the driver returns it (pg parses text[] and jsonb, mysql2 MariaDB's JSON; SQLite's JSON text parsed here). */
  const stored = async (code: string): Promise<Row> => {
    const row = (
      await orm().query(
        `SELECT tags, meta, title, stamped_at FROM documents WHERE code = '${code}'`,
      )
    )[0];
    if (!database.jsonAsText) return row;
    const parsed = (text: unknown) => (typeof text === 'string' ? JSON.parse(text) : text);
    return { ...row, tags: parsed(row.tags), meta: parsed(row.meta) };
  };
  /** A row's values as the server prints them, to compare with a row the ORM's own insert wrote. */
  const storedText = async (code: string): Promise<Row> => {
    const text = database.asText;
    return (
      await orm().query(
        `SELECT ${text('tags')} AS tags, ${text('meta')} AS meta, list, title, ${text('stamped_at')} AS stamped_at FROM documents WHERE code = '${code}'`,
      )
    )[0];
  };
  // The database's now() when the transaction began, where it cannot be pinned (SQLite): quoted SQL text.
  let startedAt: string | undefined;
  /**
   * Whether the row's stamped_at is the database's clock, not the client's: exactly the
   * transaction's now() (pinned on MariaDB), or where now() is each statement's and cannot be
   * pinned (SQLite), between the transaction's first now() and this one.
   */
  const stampedByTransaction = async (code: string, tx: Tx) => {
    const { nowSql } = database;
    const test =
      startedAt === undefined
        ? `stamped_at = ${nowSql}`
        : `stamped_at BETWEEN ${startedAt} AND ${nowSql}`;
    return (
      Number(
        (await orm().query(`SELECT ${test} AS same FROM documents WHERE code = '${code}'`, tx))[0]
          .same,
      ) === 1
    );
  };
  /** A transaction of the ORM's own, its now() one instant throughout (database.pinNow). */
  const inTransaction = (work: (o: TestOrm, tx: Tx) => Promise<void>) =>
    orm().transaction(async (tx) => {
      const { pinNow } = database;
      if (pinNow) await orm().query(pinNow.pin, tx);
      if (database.nowPerStatement && !pinNow)
        startedAt = `'${String((await orm().query(`SELECT ${database.nowSql} AS now`, tx))[0].now)}'`;
      try {
        await work(orm(), tx);
      } finally {
        if (pinNow) await orm().query(pinNow.release, tx); // the connection goes back to the pool
      }
    });

  it('stores arrays and JSON in getOrCreate defaults exactly as the ORM insert stores them', async () => {
    const values = {
      tags,
      meta: metaArray,
      title: 'ü "q"',
      stampedAt: new Date('2024-02-03T04:05:06.789Z'),
    };
    const [row, created] = await orm().getOrCreate(
      'documents',
      { code: 'racesafe' },
      { defaults: values },
    );
    expect(created).toBe(true);
    expect(row).toMatchObject(values);
    expect(await stored('racesafe')).toMatchObject({ tags, meta: metaArray });
    await orm().insert('documents', { code: 'orm', ...values });
    await orm().insert('documents', { code: 'orm-object', meta: metaObject });
    await orm().getOrCreate(
      'documents',
      { code: 'racesafe-object' },
      { defaults: { meta: metaObject } },
    );
    expect(await storedText('racesafe')).toEqual(await storedText('orm'));
    expect(await storedText('racesafe-object')).toEqual(await storedText('orm-object'));
  });

  it('stores arrays and JSON in updateOrCreate createDefaults, then defaults on the update path', async () => {
    const [, created] = await orm().updateOrCreate(
      'documents',
      { code: 'u' },
      { defaults: { title: 'x' }, createDefaults: { tags: ['new'], meta: metaObject } },
    );
    expect(created).toBe(true);
    expect(await stored('u')).toMatchObject({ tags: ['new'], meta: metaObject, title: null });
    const [row, again] = await orm().updateOrCreate(
      'documents',
      { code: 'u' },
      { defaults: { tags, meta: metaArray } },
    );
    expect(again).toBe(false);
    expect(row).toMatchObject({ tags, meta: metaArray });
    expect(await stored('u')).toMatchObject({ tags, meta: metaArray, title: null });
  });

  it('compares arrays by content on the update path: equal ones write nothing', async () => {
    await orm().updateOrCreate(
      'documents',
      { code: 'same' },
      { defaults: { tags, meta: metaArray } },
    );
    log.clear();
    const [row] = await orm().updateOrCreate(
      'documents',
      { code: 'same' },
      { defaults: { tags: [...tags], meta: [...metaArray] } },
    );
    expect(row).toMatchObject({ tags, meta: metaArray });
    expect(log.verbs()).not.toContain('UPDATE');
  });

  it('writes arrays and JSON in atomicUpdate values, with plain equality and with an operator in where', async () => {
    await orm().insert('documents', { code: 'a' });
    expect(await orm().atomicUpdate('documents', { code: 'a' }, { tags, meta: metaObject })).toBe(
      1,
    );
    expect(await stored('a')).toMatchObject({ tags, meta: metaObject });
    expect(
      await orm().atomicUpdate(
        'documents',
        { code: 'a', id: orm().guard.gte(1) },
        { tags: [], meta: metaArray },
      ),
    ).toBe(1);
    expect(await stored('a')).toMatchObject({ tags: [], meta: metaArray });
  });

  it('stamps the database time with the ORM SQL now() on the create path, plain values still bound', async () => {
    await inTransaction(async (o, tx) => {
      const [row, created] = await o.getOrCreate(
        'documents',
        { code: 'now' },
        { defaults: { stampedAt: o.sqlNow(), title: 'bound-title' } },
        tx,
      );
      expect(created).toBe(true);
      expect(row.stampedAt).toBeInstanceOf(Date);
      expect(await stampedByTransaction('now', tx)).toBe(true);
    });
    const insert = log.statements.find((sql) => /INSERT INTO/i.test(sql))!;
    expect(insert).toContain(database.nowSql);
    expect(insert).not.toContain('bound-title');
  });

  it('writes arrays and SQL values the same without the ORM lifecycle (hooks: false, validate: false)', async () => {
    await inTransaction(async (o, tx) => {
      const options = {
        hooks: false,
        validate: false,
        defaults: { stampedAt: o.sqlNow(), tags, meta: metaObject },
      };
      const [row, created] = await o.getOrCreate('documents', { code: 'bare' }, options, tx);
      expect(created).toBe(true);
      expect(row).toMatchObject({ tags, meta: metaObject });
      expect(await stampedByTransaction('bare', tx)).toBe(true);
    });
  });

  it('writes the ORM SQL now() in updateOrCreate on both paths and in atomicUpdate', async () => {
    await inTransaction(async (o, tx) => {
      const [, created] = await o.updateOrCreate(
        'documents',
        { code: 's' },
        { defaults: { stampedAt: o.sqlNow() } },
        tx,
      );
      expect(created).toBe(true);
      expect(await stampedByTransaction('s', tx)).toBe(true);
    });
    await orm().query(`UPDATE documents SET stamped_at = '2000-01-01' WHERE code = 's'`);
    await inTransaction(async (o, tx) => {
      const [row, created] = await o.updateOrCreate(
        'documents',
        { code: 's' },
        { defaults: { stampedAt: o.sqlNow() } },
        tx,
      );
      expect(created).toBe(false);
      expect((row.stampedAt as Date).getFullYear()).toBeGreaterThan(2000);
      expect(await stampedByTransaction('s', tx)).toBe(true);
    });
    for (const where of [{ code: 's' }, { code: 's', id: orm().guard.gte(1) }]) {
      await orm().query(`UPDATE documents SET stamped_at = '2000-01-01' WHERE code = 's'`);
      await inTransaction(async (o, tx) => {
        expect(
          await o.atomicUpdate(
            'documents',
            where,
            { stampedAt: o.sqlNow(), title: 'bound-title' },
            {},
            tx,
          ),
        ).toBe(1);
        expect(await stampedByTransaction('s', tx)).toBe(true);
      });
    }
    expect(
      log.statements
        .filter((sql) => /^UPDATE .*now\(\)/i.test(sql))
        .every((sql) => !sql.includes('bound-title')),
    ).toBe(true);
  });

  it.each([
    ['an ORM SQL value', () => ({ code: 'x', stampedAt: orm().sqlNow() }), 'stampedAt'],
    ['an array for a text column', () => ({ code: ['x', 'y'] }), 'code'],
  ])('refuses %s in a lookup before any statement', async (_label, lookup, field) => {
    for (const call of [
      () => orm().getOrCreate('documents', lookup()),
      () => orm().updateOrCreate('documents', lookup(), { defaults: { title: 't' } }),
    ]) {
      const error = await rejection(call);
      expect(error).toBeInstanceOf(InvalidFieldError);
      expect((error as InvalidFieldError).fields).toEqual([field]);
    }
    expect(log.statements).toEqual([]);
  });

  if (database.advisoryLocks) {
    it('looks up an array or JSON column by its whole value (plain equality)', async () => {
      const lookup = { tags: ['x', 'y'], meta: [1, { k: 'v' }] };
      await orm().insert('documents', { code: 'part', tags: ['x'], meta: [1, { k: 'v' }] });
      // advisoryLock: no unique key covers tags and meta, and the lookup's equality is what is tested.
      const [first, created] = await orm().getOrCreate('documents', lookup, {
        advisoryLock: true,
        defaults: { code: 'whole' },
      });
      expect([first.code, created]).toEqual(['whole', true]);
      const [again, createdAgain] = await orm().getOrCreate('documents', lookup, {
        advisoryLock: true,
        defaults: { code: 'other' },
      });
      expect([again.id, createdAgain]).toEqual([first.id, false]);
    });
  } else {
    // No unique key covers tags and meta, and without an advisory lock nothing else can serialise such a lookup.
    it('refuses a lookup on array or JSON columns with no unique key, before writing', async () => {
      const lookup = { tags: ['x', 'y'], meta: [1, { k: 'v' }] };
      const error = await rejection(() =>
        orm().getOrCreate('documents', lookup, { advisoryLock: true, defaults: { code: 'whole' } }),
      );
      expect(error).toMatchObject({ name: 'UniqueLookupRequiredError', fields: ['tags', 'meta'] });
      expect(log.verbs()).not.toContain('INSERT');
      expect(Number((await orm().query('SELECT count(*) AS n FROM documents'))[0].n)).toBe(0);
    });
  }

  it('still refuses operators as values to write, before any statement', async () => {
    const operator = orm().guard.gt('a');
    const calls = [
      () => orm().getOrCreate('documents', { code: 'op' }, { defaults: { title: operator } }),
      () =>
        orm().updateOrCreate(
          'documents',
          { code: 'op' },
          { defaults: { title: 'x' }, createDefaults: { title: operator } },
        ),
      () => orm().updateOrCreate('documents', { code: 'op' }, { defaults: { title: operator } }),
      () => orm().atomicUpdate('documents', { code: 'op' }, { title: operator }),
    ];
    for (const call of calls) {
      const error = await rejection(call);
      expect(error).toBeInstanceOf(InvalidFieldError);
      expect((error as InvalidFieldError).fields).toEqual(['title']);
    }
    expect(log.statements).toEqual([]);
  });
}
