import { InvalidFieldError } from '@racesafe/core';
import { describeOnEachDatabase } from '../../../test/integration/databases';
import { useTestOrm } from '../../../test/integration/lifecycle';
import { describeUntrustedInput } from '../../../test/integration/untrusted-input.suite';
import { openTypeormTestOrm } from './test-orm';

describeOnEachDatabase(
  'untrusted input (TypeORM)',
  (database) => describeUntrustedInput(openTypeormTestOrm, database),
  { asMysql8: true },
);

describe('untrusted input TypeORM reads as no condition', () => {
  const { log, orm } = useTestOrm(openTypeormTestOrm);

  it.each([
    ['undefined', { id: undefined }],
    ['null', { id: null }],
    ['null beside a value', { email: 'a@x.example', name: null }],
  ])(
    'refuses %s in an atomicUpdate where before any statement, as update() does',
    async (_label, where) => {
      await orm().insert('users', { email: 'a@x.example' });
      log.clear();
      const error = await orm()
        .atomicUpdate('users', where, { name: 'n' })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidFieldError);
      expect((error as InvalidFieldError).fields).toEqual([Object.keys(where).at(-1)]);
      expect(log.statements).toEqual([]);
    },
  );
});
