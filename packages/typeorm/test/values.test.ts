import { describeOnEachDatabase } from '../../../test/integration/databases';
import { useTestOrm } from '../../../test/integration/lifecycle';
import { describeValues } from '../../../test/integration/values.suite';
import { openTypeormTestOrm } from './test-orm';

describeOnEachDatabase(
  'values of every kind (TypeORM)',
  (database) => describeValues(openTypeormTestOrm, database),
  { asMysql8: true },
);

describe('values TypeORM converts or writes as SQL', () => {
  const { orm } = useTestOrm(openTypeormTestOrm);
  const list = async (code: string) =>
    (await orm().query(`SELECT list FROM documents WHERE code = '${code}'`))[0].list;

  it('stores a simple-array as text, as TypeORM insert does, on every path', async () => {
    const [row] = await orm().getOrCreate(
      'documents',
      { code: 'racesafe' },
      { defaults: { list: ['a', 'b c'] } },
    );
    expect(row.list).toEqual(['a', 'b c']);
    await orm().insert('documents', { code: 'orm', list: ['a', 'b c'] });
    expect(await list('racesafe')).toBe('a,b c');
    expect(await list('orm')).toBe('a,b c');
    const [updated] = await orm().updateOrCreate(
      'documents',
      { code: 'racesafe' },
      { defaults: { list: ['z'] } },
    );
    expect([updated.list, await list('racesafe')]).toEqual([['z'], 'z']);
    await orm().atomicUpdate('documents', { code: 'racesafe' }, { list: ['p', 'q'] });
    expect(await list('racesafe')).toBe('p,q');
  });

  it('writes the SQL a raw function returns, with plain equality and with an operator in where', async () => {
    await orm().insert('documents', { code: 'raw' });
    await orm().atomicUpdate('documents', { code: 'raw' }, { title: () => 'upper(code)' });
    expect((await orm().query(`SELECT title FROM documents`))[0].title).toBe('RAW');
    await orm().atomicUpdate(
      'documents',
      { code: 'raw', id: orm().guard.gte(1) },
      { title: () => `code || '!'` },
    );
    expect((await orm().query(`SELECT title FROM documents`))[0].title).toBe('raw!');
  });
});
