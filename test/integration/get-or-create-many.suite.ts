import { InvalidFieldError } from '@racesafe/core';
import { type SuiteDatabase, postgres } from './databases';
import { hashed } from './hooks';
import { useTestOrm } from './lifecycle';
import type { OpenTestOrm, Row } from './orm';

/** getOrCreateMany against one package on one database (issue 12, item 3). */
export function describeGetOrCreateMany(open: OpenTestOrm, database: SuiteDatabase = postgres): void {
  const { log, orm } = useTestOrm(open, (o) => o.getOrCreate('counters', { name: 'warm' }).then(() => undefined), database);
  const count = async (sql: string) => Number((await orm().query(sql))[0].n);
  const names = (results: [Row, boolean][]) => results.map(([row, created]) => [row.name, created]);

  it('returns found and created rows in input order; a lookup given twice gets one row, created once', async () => {
    await orm().getOrCreate('counters', { name: 'b' }, { defaults: { value: 7 } });
    const results = await orm().getOrCreateMany('counters', [{ name: 'c' }, { name: 'b' }, { name: 'a' }, { name: 'c' }], { defaults: { value: 1 } });
    expect(names(results)).toEqual([['c', true], ['b', false], ['a', true], ['c', false]]);
    expect(results.map(([row]) => row.value)).toEqual([1, 7, 1, 1]);
    expect(results[0][0].id).toBe(results[3][0].id);
    expect(await count(`SELECT count(*) AS n FROM counters WHERE name IN ('a', 'b', 'c')`)).toBe(3);
  });

  it(`finds existing rows in one statement per chunk and creates missing ones in ${database.statements.getOrCreateManyMiss.length}`, async () => {
    await orm().getOrCreateMany('counters', [{ name: 'x' }, { name: 'y' }]);
    log.clear();
    await orm().getOrCreateMany('counters', [{ name: 'y' }, { name: 'x' }]);
    expect(log.verbs()).toEqual(database.statements.getOrCreateManyHit);
    log.clear();
    await orm().getOrCreateMany('counters', [{ name: 'z' }, { name: 'x' }, { name: 'w' }]);
    expect(log.verbs()).toEqual(database.statements.getOrCreateManyMiss);
    // One multi-row INSERT, rows in key order (w before z): two batches take the unique index in the same order.
    const insert = log.statements.find((sql) => /INSERT INTO/.test(sql))!;
    expect(insert.match(/\),\s*\(/g)).toHaveLength(1);
    expect(log.statements.join('\n')).not.toMatch(/IGNORE|ON DUPLICATE KEY/i);
  });

  it('calls a defaults function with each lookup, only for rows it creates', async () => {
    await orm().getOrCreate('counters', { name: 'old' });
    const seen: unknown[] = [];
    const results = await orm().getOrCreateMany('counters', [{ name: 'old' }, { name: 'new' }], {
      defaults: (lookup: Row) => (seen.push(lookup.name), { label: `label of ${String(lookup.name)}` }),
    });
    expect(seen).toEqual(['new']);
    expect(results.map(([row]) => row.label)).toEqual(['', 'label of new']);
  });

  it('rejects lookups of different keys, unknown properties and undefined values before any statement', async () => {
    await expect(orm().getOrCreateMany('users', [{ email: 'a@x' }, { username: 'b' }])).rejects.toBeInstanceOf(InvalidFieldError);
    await expect(orm().getOrCreateMany('users', [{ email: 'a@x' }, { emial: 'b@x' }])).rejects.toBeInstanceOf(InvalidFieldError);
    await expect(orm().getOrCreateMany('users', [{ email: undefined }])).rejects.toBeInstanceOf(InvalidFieldError);
    await expect(orm().getOrCreateMany('users', [{ email: 'a@x' }], { defaults: { nmae: 'typo' } })).rejects.toBeInstanceOf(InvalidFieldError);
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
        .getOrCreateMany('users', lookups, { defaults: (lookup: Row) => ({ username: lookup.email === 'thief@x' ? 'taken' : null }) }, tx)
        .catch((e: unknown) => e);
      await orm().insert('counters', { name: 'after' }, tx);
    });
    expect(error).toMatchObject({ name: 'ConflictError', constraint: 'users_username_key' });
    expect(await count(`SELECT count(*) AS n FROM users WHERE email LIKE 'fine-%'`)).toBe(0);
    expect(await count(`SELECT count(*) AS n FROM counters WHERE name IN ('kept', 'after')`)).toBe(2);
  });

  it('runs the create hooks of each new row, and no hook for rows it found', async () => {
    await orm().getOrCreate('accounts', { email: 'found@x.io' }, { defaults: { password: 'old', name: 'Found' } });
    await orm().query(`DELETE FROM audit`);
    const results = await orm().getOrCreateMany('accounts', [{ email: 'found@x.io' }, { email: 'new@x.io' }], {
      defaults: (lookup: Row) => ({ password: `pw of ${String(lookup.email)}`, name: 'New' }),
    });
    expect(results.map(([row, created]) => [row.password, created])).toEqual([
      [hashed('old'), false],
      [hashed('pw of new@x.io'), true],
    ]);
    expect((await orm().query(`SELECT event FROM audit ORDER BY id`)).map((r: Row) => r.event)).toEqual(['beforeCreate', 'afterCreate']);
  });

  it('chunks a batch larger than one statement may bind, and commits it whole', async () => {
    const lookups = Array.from({ length: 5200 }, (_, i) => ({ name: `bulk-${String(i).padStart(5, '0')}` }));
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
    const shuffled = (seed: number) => [...keys].sort((a, b) => ((a.charCodeAt(1) * seed) % 7) - ((b.charCodeAt(1) * seed) % 7) || a.localeCompare(b));
    const batches = [1, 2, 3, 4].map((seed) => orm().getOrCreateMany('counters', shuffled(seed).slice(seed * 5, seed * 5 + 30).map((name) => ({ name }))));
    const singles = keys.filter((_, i) => i % 3 === 0).map((name) => orm().getOrCreate('counters', { name }).then((result) => [result]));
    const all = (await Promise.all([...batches, ...singles])).flat();
    const createdPerKey = new Map<unknown, number>();
    const idPerKey = new Map<unknown, unknown>();
    for (const [row, created] of all) {
      createdPerKey.set(row.name, (createdPerKey.get(row.name) ?? 0) + (created ? 1 : 0));
      if (idPerKey.has(row.name)) expect(row.id).toBe(idPerKey.get(row.name));
      idPerKey.set(row.name, row.id);
    }
    expect([...createdPerKey.values()].every((n) => n === 1)).toBe(true);
    expect(await count(`SELECT count(*) AS n FROM counters WHERE name LIKE 'k%'`)).toBe(idPerKey.size);
  });
}
