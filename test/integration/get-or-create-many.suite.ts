import { InvalidFieldError, dialectFor } from '@racesafe/core';
import { type SuiteDatabase, postgres } from './databases';
import { hashed } from './hooks';
import { useTestOrm } from './lifecycle';
import type { OpenTestOrm, Row } from './orm';

/** getOrCreateMany against one package on one database (issue 12, item 3). */
export function describeGetOrCreateMany(
  open: OpenTestOrm,
  database: SuiteDatabase = postgres,
): void {
  const { log, orm } = useTestOrm(
    open,
    (o) => o.getOrCreate('counters', { name: 'warm' }).then(() => undefined),
    database,
  );
  const count = async (sql: string) => Number((await orm().query(sql))[0].n);
  const names = (results: [Row, boolean][]) => results.map(([row, created]) => [row.name, created]);

  it('returns found and created rows in input order; a lookup given twice gets one row, created once', async () => {
    await orm().getOrCreate('counters', { name: 'b' }, { defaults: { value: 7 } });
    const results = await orm().getOrCreateMany(
      'counters',
      [{ name: 'c' }, { name: 'b' }, { name: 'a' }, { name: 'c' }],
      { defaults: { value: 1 } },
    );
    expect(names(results)).toEqual([
      ['c', true],
      ['b', false],
      ['a', true],
      ['c', false],
    ]);
    expect(results.map(([row]) => row.value)).toEqual([1, 7, 1, 1]);
    expect(results[0][0].id).toBe(results[3][0].id);
    expect(await count(`SELECT count(*) AS n FROM counters WHERE name IN ('a', 'b', 'c')`)).toBe(3);
  });

  // Which statement a call sends first depends on the table's last two getOrCreateMany outcomes (last-outcome.ts): settle them first.
  const lookupsOf = (prefix: string, n: number) =>
    Array.from({ length: n }, (_, i) => ({ name: `${prefix}-${i}` }));
  const keyOf = { counters: 'name', documents: 'code', posts: 'slug', notes: 'slug' } as const;
  type Settled = keyof typeof keyOf;
  /** Two calls that found every key: the next call SELECTs first. */
  const settleFinding = async (table: Settled = 'counters') => {
    const property = keyOf[table];
    await orm().getOrCreate(table, { [property]: 'settle-found' });
    for (let i = 0; i < 2; i++)
      await orm().getOrCreateMany(table, [{ [property]: 'settle-found' }]);
    log.clear();
  };
  /** Three calls that created every key: the next call sends the guarded INSERT first where the dialect binds arrays (the third read the column types). */
  let settled = 0;
  const settleCreating = async (table: Settled = 'counters') => {
    const property = keyOf[table];
    for (let i = 0; i < 3; i++)
      await orm().getOrCreateMany(table, [{ [property]: `settle-new-${++settled}` }]);
    log.clear();
  };
  // PostgreSQL binds a column's values as one array (DialectAdapter.arrayRows): one guarded INSERT per chunk.
  const guarded = dialectFor(database.dialect).arrayRows !== undefined;
  const { getOrCreateManyHit: hit, getOrCreateManyMiss: miss } = database.statements;

  it(`after calls that found their keys: finds existing rows in one statement per chunk and creates missing ones in ${miss.length}`, async () => {
    await orm().getOrCreateMany('counters', [{ name: 'x' }, { name: 'y' }]);
    await settleFinding();
    await orm().getOrCreateMany('counters', [{ name: 'y' }, { name: 'x' }]);
    expect(log.verbs()).toEqual(hit);
    log.clear();
    await orm().getOrCreateMany('counters', [{ name: 'z' }, { name: 'x' }, { name: 'w' }]);
    expect(log.verbs()).toEqual(miss);
    // One multi-row INSERT, rows in key order (w before z): two batches take the unique index in the same order.
    const insert = log.statements.find((sql) => /INSERT INTO/.test(sql))!;
    expect(insert.match(/\),\s*\(/g)).toHaveLength(1);
    expect(log.statements.join('\n')).not.toMatch(/IGNORE|ON DUPLICATE KEY/i);
  });

  it(`after calls that created their keys: new keys in ${guarded ? 1 : miss.length} statement${guarded ? '' : 's'}, existing keys in ${guarded ? 2 : hit.length}, a mix in ${guarded ? 2 : miss.length}`, async () => {
    await settleCreating();
    const created = await orm().getOrCreateMany('counters', lookupsOf('new', 50), {
      defaults: { value: 3 },
    });
    expect(log.verbs()).toEqual(guarded ? ['INSERT'] : miss);
    expect(created.every(([row, wasCreated]) => wasCreated && row.value === 3)).toBe(true);
    if (guarded)
      expect(log.statements[0]).toMatch(
        /^INSERT INTO .* SELECT .* WHERE NOT EXISTS .* ORDER BY .* ON CONFLICT .* DO NOTHING RETURNING \*$/s,
      );

    await settleCreating();
    const found = await orm().getOrCreateMany('counters', lookupsOf('new', 50));
    expect(log.verbs()).toEqual(guarded ? ['INSERT', 'SELECT'] : hit);
    expect(found.map(([row, wasCreated]) => [row.id, wasCreated])).toEqual(
      created.map(([row]) => [row.id, false]),
    );

    await settleCreating();
    const mixed = await orm().getOrCreateMany('counters', [
      ...lookupsOf('new', 3),
      ...lookupsOf('more', 3),
    ]);
    expect(log.verbs()).toEqual(guarded ? ['INSERT', 'SELECT'] : miss);
    expect(names(mixed)).toEqual([
      ...lookupsOf('new', 3).map(({ name }) => [name, false]),
      ...lookupsOf('more', 3).map(({ name }) => [name, true]),
    ]);
  });

  it('draws no sequence value for a key that has a row, whichever statement goes first', async () => {
    const existing = await orm().getOrCreateMany('counters', lookupsOf('seq', 100));
    const maxId = Math.max(...existing.map(([row]) => Number(row.id)));
    await settleCreating();
    await orm().getOrCreateMany('counters', lookupsOf('seq', 100));
    await settleFinding();
    await orm().getOrCreateMany('counters', lookupsOf('seq', 100));
    // The settling calls created 4 rows (3, then 'settle-found'); the next new row takes the next id: none was burned on the 100 existing keys.
    const [next] = await orm().getOrCreate('counters', { name: 'seq-next' });
    expect(Number(next.id)).toBe(maxId + 5);
  });

  it('stores every column type as the SELECT-first multi-row INSERT stores it', async () => {
    const counterDefaults = {
      value: -7,
      big: '9007199254740993',
      ratio: 0.1 + 0.2,
      label: `it's "quoted", {braced}, back\\slash, NULL, ünïcödé`,
    };
    const documentDefaults = { stampedAt: new Date('2024-02-29T23:59:59.123Z'), title: null };
    const stored = async (path: 'guarded' | 'select-first') => {
      await (path === 'guarded' ? settleCreating() : settleFinding());
      const counters = await orm().getOrCreateMany('counters', [{ name: `${path}-c` }], {
        defaults: counterDefaults,
      });
      const verbs = log.verbs();
      await (path === 'guarded' ? settleCreating('documents') : settleFinding('documents'));
      const documents = await orm().getOrCreateMany('documents', [{ code: `${path}-d` }], {
        defaults: documentDefaults,
      });
      verbs.push(...log.verbs());
      const counterRow = await orm().query(
        `SELECT value, ${database.asText('big')} AS big, ${database.asText('ratio')} AS ratio, label FROM counters WHERE name = '${path}-c'`,
      );
      const documentRow = await orm().query(
        `SELECT ${database.asText('stamped_at')} AS stamped, title FROM documents WHERE code = '${path}-d'`,
      );
      const returned = (row: Row, keys: string[]) =>
        keys.map((k) => (row[k] instanceof Date ? row[k].toISOString() : row[k]));
      return {
        verbs,
        database: [counterRow, documentRow],
        returned: [
          returned(counters[0][0], ['value', 'big', 'ratio', 'label']),
          returned(documents[0][0], ['stampedAt', 'title']),
        ],
      };
    };
    const viaGuarded = await stored('guarded');
    const viaSelect = await stored('select-first');
    expect(viaGuarded.verbs).toEqual(guarded ? ['INSERT', 'INSERT'] : [...miss, ...miss]);
    expect(viaSelect.verbs).toEqual([...miss, ...miss]);
    expect(viaGuarded.database).toEqual(viaSelect.database);
    expect(viaGuarded.returned).toEqual(viaSelect.returned);
    expect([viaSelect.returned[0][0], viaSelect.returned[0][3]]).toEqual([
      -7,
      counterDefaults.label,
    ]);
  });

  (guarded ? it : it.skip)(
    'keeps the SELECT-first path for a batch with an array or JSON value, and stores it as ever',
    async () => {
      await settleCreating('documents');
      const results = await orm().getOrCreateMany('documents', [{ code: 'tagged' }], {
        defaults: { tags: ['a', 'b,c'], meta: { n: 1 } },
      });
      expect(log.verbs()).toEqual(miss);
      expect(results[0][0]).toMatchObject({ code: 'tagged', tags: ['a', 'b,c'], meta: { n: 1 } });
    },
  );

  (guarded ? it : it.skip)(
    'guarded INSERT on a soft-deleting model: a deleted key gets a new live row, a full key held by a deleted row is a ConflictError',
    async () => {
      await orm().query(
        `INSERT INTO posts (slug, title, deleted_at) VALUES ('gone', 'deleted', ${database.nowSql})`,
      );
      await orm().query(
        `INSERT INTO notes (slug, body, deleted_at) VALUES ('gone', 'deleted', ${database.nowSql})`,
      );
      await settleCreating('posts');
      const posts = await orm().getOrCreateMany('posts', [{ slug: 'gone' }, { slug: 'fresh' }], {
        defaults: { title: 'new' },
      });
      // A soft-deleting model's batch runs in a transaction of racesafe's own (see below).
      expect(log.verbs()).toEqual([database.beginVerb, 'INSERT', 'COMMIT']);
      expect(posts.map(([row, created]) => [row.slug, row.title, created])).toEqual([
        ['gone', 'new', true],
        ['fresh', 'new', true],
      ]);
      expect(
        (await orm().query(`SELECT title FROM posts WHERE slug = 'gone' ORDER BY id`)).map(
          (r: Row) => r.title,
        ),
      ).toEqual(['deleted', 'new']);
      await settleCreating('notes');
      const error = await orm()
        .getOrCreateMany('notes', [{ slug: 'gone' }, { slug: 'fresh' }])
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'ConflictError', constraint: 'notes_slug_key' });
      // Nothing half-written: the INSERT that took 'fresh' is rolled back with the call.
      expect(await orm().query(`SELECT slug FROM notes WHERE slug = 'fresh'`)).toEqual([]);
    },
  );

  it('calls a defaults function with each lookup, only for rows it creates', async () => {
    await orm().getOrCreate('counters', { name: 'old' });
    const seen: unknown[] = [];
    const results = await orm().getOrCreateMany('counters', [{ name: 'old' }, { name: 'new' }], {
      defaults: (lookup: Row) => (
        seen.push(lookup.name),
        { label: `label of ${String(lookup.name)}` }
      ),
    });
    expect(seen).toEqual(['new']);
    expect(results.map(([row]) => row.label)).toEqual(['', 'label of new']);
  });

  it('rejects lookups of different keys, unknown properties and undefined values before any statement', async () => {
    await expect(
      orm().getOrCreateMany('users', [{ email: 'a@x' }, { username: 'b' }]),
    ).rejects.toBeInstanceOf(InvalidFieldError);
    await expect(
      orm().getOrCreateMany('users', [{ email: 'a@x' }, { emial: 'b@x' }]),
    ).rejects.toBeInstanceOf(InvalidFieldError);
    await expect(orm().getOrCreateMany('users', [{ email: undefined }])).rejects.toBeInstanceOf(
      InvalidFieldError,
    );
    await expect(
      orm().getOrCreateMany('users', [{ email: 'a@x' }], { defaults: { nmae: 'typo' } }),
    ).rejects.toBeInstanceOf(InvalidFieldError);
    expect(await orm().getOrCreateMany('users', [])).toEqual([]);
    expect(log.statements).toEqual([]);
  });

  it('raises ConflictError for another key and writes nothing of the call; your transaction goes on', async () => {
    await orm().getOrCreate('users', { email: 'owner@x' }, { defaults: { username: 'taken' } });
    let error: unknown;
    await orm().transaction(async (tx) => {
      await orm().insert('counters', { name: 'kept' }, tx);
      const lookups = [{ email: 'fine-1@x' }, { email: 'thief@x' }, { email: 'fine-2@x' }];
      error = await orm()
        .getOrCreateMany(
          'users',
          lookups,
          {
            defaults: (lookup: Row) => ({ username: lookup.email === 'thief@x' ? 'taken' : null }),
          },
          tx,
        )
        .catch((e: unknown) => e);
      await orm().insert('counters', { name: 'after' }, tx);
    });
    expect(error).toMatchObject({ name: 'ConflictError', constraint: 'users_username_key' });
    expect(await count(`SELECT count(*) AS n FROM users WHERE email LIKE 'fine-%'`)).toBe(0);
    expect(await count(`SELECT count(*) AS n FROM counters WHERE name IN ('kept', 'after')`)).toBe(
      2,
    );
  });

  it('runs the create hooks of each new row, and no hook for rows it found', async () => {
    await orm().getOrCreate(
      'accounts',
      { email: 'found@x.io' },
      { defaults: { password: 'old', name: 'Found' } },
    );
    await orm().query(`DELETE FROM audit`);
    const results = await orm().getOrCreateMany(
      'accounts',
      [{ email: 'found@x.io' }, { email: 'new@x.io' }],
      {
        defaults: (lookup: Row) => ({ password: `pw of ${String(lookup.email)}`, name: 'New' }),
      },
    );
    expect(results.map(([row, created]) => [row.password, created])).toEqual([
      [hashed('old'), false],
      [hashed('pw of new@x.io'), true],
    ]);
    expect(
      (await orm().query(`SELECT event FROM audit ORDER BY id`)).map((r: Row) => r.event),
    ).toEqual(['beforeCreate', 'afterCreate']);
  });

  it('chunks a batch larger than one statement may bind, and commits it whole', async () => {
    const lookups = Array.from({ length: 5200 }, (_, i) => ({
      name: `bulk-${String(i).padStart(5, '0')}`,
    }));
    await orm().getOrCreate('counters', { name: 'bulk-02600' }, { defaults: { value: 42 } });
    log.clear();
    const results = await orm().getOrCreateMany('counters', lookups, { defaults: { value: 1 } });
    expect(results.filter(([, created]) => created)).toHaveLength(5199);
    expect(results[2600][0]).toMatchObject({ name: 'bulk-02600', value: 42 });
    expect(log.verbs().filter((verb) => verb === 'INSERT').length).toBeGreaterThanOrEqual(2);
    expect(await count(`SELECT count(*) AS n FROM counters WHERE name LIKE 'bulk-%'`)).toBe(5200);
  });

  it('gives concurrent batches and single calls on overlapping keys one row per key, each created exactly once', async () => {
    const keys = Array.from({ length: 60 }, (_, i) => `k${i}`);
    const shuffled = (seed: number) =>
      [...keys].sort(
        (a, b) =>
          ((a.charCodeAt(1) * seed) % 7) - ((b.charCodeAt(1) * seed) % 7) || a.localeCompare(b),
      );
    const batches = [1, 2, 3, 4].map((seed) =>
      orm().getOrCreateMany(
        'counters',
        shuffled(seed)
          .slice(seed * 5, seed * 5 + 30)
          .map((name) => ({ name })),
      ),
    );
    const singles = keys
      .filter((_, i) => i % 3 === 0)
      .map((name) =>
        orm()
          .getOrCreate('counters', { name })
          .then((result) => [result]),
      );
    const all = (await Promise.all([...batches, ...singles])).flat();
    const createdPerKey = new Map<unknown, number>();
    const idPerKey = new Map<unknown, unknown>();
    for (const [row, created] of all) {
      createdPerKey.set(row.name, (createdPerKey.get(row.name) ?? 0) + (created ? 1 : 0));
      if (idPerKey.has(row.name)) expect(row.id).toBe(idPerKey.get(row.name));
      idPerKey.set(row.name, row.id);
    }
    expect([...createdPerKey.values()].every((n) => n === 1)).toBe(true);
    expect(await count(`SELECT count(*) AS n FROM counters WHERE name LIKE 'k%'`)).toBe(
      idPerKey.size,
    );
  });
}
