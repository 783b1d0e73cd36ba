import { InvalidFieldError } from '@racesafe/core';
import { Op, cast, col, fn, literal } from 'sequelize';
import { describeOnEachDatabase } from '../../../test/integration/databases';
import { useTestOrm } from '../../../test/integration/lifecycle';
import { describeValues } from '../../../test/integration/values.suite';
import { openSequelizeTestOrm } from './test-orm';

describeOnEachDatabase(
  'values of every kind (Sequelize)',
  (database) => describeValues(openSequelizeTestOrm, database),
  { asMysql8: true },
);

describe('values Sequelize compiles to SQL', () => {
  const { log, orm } = useTestOrm(openSequelizeTestOrm);
  const title = async (code: string) =>
    (await orm().query(`SELECT title FROM documents WHERE code = '${code}'`))[0].title;

  it('compiles fn with its arguments as Model.create does, a $ in a string argument included', async () => {
    // Sequelize doubles a $ in fn's string arguments and undoes it when binding, except after a letter ('a$1' is stored as 'a$$1'): racesafe stores what Model.create stores.
    for (const [i, argument] of ['cost $1', 'a$1'].entries()) {
      await orm().getOrCreate(
        'documents',
        { code: `racesafe${i}` },
        { defaults: { title: fn('upper', argument) } },
      );
      await orm().insert('documents', { code: `orm${i}`, title: fn('upper', argument) });
      expect(await title(`racesafe${i}`)).toBe(await title(`orm${i}`));
    }
    expect(await title('racesafe0')).toBe('COST $1');
  });

  it.each([
    ['col', () => col('code'), 'c'],
    ['literal', () => literal(`'lit'`), 'lit'],
    ['cast', () => cast(42, 'text'), '42'],
  ])('writes %s in atomicUpdate and updateOrCreate values', async (_label, value, expected) => {
    await orm().insert('documents', { code: 'c' });
    expect(await orm().atomicUpdate('documents', { code: 'c' }, { title: value() })).toBe(1);
    expect(await title('c')).toBe(expected);
    await orm().query(`UPDATE documents SET title = NULL`);
    await orm().updateOrCreate('documents', { code: 'c' }, { defaults: { title: value() } });
    expect(await title('c')).toBe(expected);
  });

  it('refuses an operator nested in a JSON value, as a value and in a lookup, before any statement', async () => {
    const meta = { a: { [Op.gt]: 1 } };
    for (const call of [
      () => orm().getOrCreate('documents', { code: 'x' }, { defaults: { meta } }),
      () => orm().getOrCreate('documents', { code: 'x', meta }),
      () => orm().atomicUpdate('documents', { code: 'x' }, { meta: [meta] }),
    ]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidFieldError);
      expect((error as InvalidFieldError).fields).toEqual(['meta']);
    }
    expect(log.statements).toEqual([]);
  });
});
