import { InvalidFieldError, RaceSafeError } from '@racesafe/core';
import { type SuiteDatabase, describeOnEachDatabase } from '../../../test/integration/databases';
import { useTestOrm } from '../../../test/integration/lifecycle';
import type { Row } from '../../../test/integration/orm';
import { describeUntrustedInput } from '../../../test/integration/untrusted-input.suite';
import { openSequelizeTestOrm } from './test-orm';

describeOnEachDatabase('untrusted input (Sequelize)', (database) =>
  describeUntrustedInput(openSequelizeTestOrm, database),
);

/** The error a call was rejected with, or undefined when it was accepted. */
const outcome = (call: () => Promise<unknown>) =>
  call().then(
    () => undefined,
    (error: unknown) => error,
  );

describeOnEachDatabase(
  'untrusted input Sequelize converts (Sequelize)',
  (database: SuiteDatabase) => {
    const { log, orm } = useTestOrm(openSequelizeTestOrm, undefined, database);
    const stamped = async (code: string) =>
      (
        await orm().query(
          `SELECT ${database.asText('stamped_at')} AS s FROM documents WHERE code = '${code}'`,
        )
      )[0]?.s;

    it.each(['-infinity', 'infinity', '2024-02-30', '2024-01-02 03:04:05'])(
      'stores the date %s in updateOrCreate as Model.create and Model.update store it, or refuses it as they do',
      async (value) => {
        const byCreate = await outcome(() =>
          orm().insert('documents', { code: 'orm', stampedAt: value }),
        );
        const created = await outcome(() =>
          orm().updateOrCreate(
            'documents',
            { code: 'racesafe' },
            { defaults: { stampedAt: value } },
          ),
        );
        expect(created === undefined).toBe(byCreate === undefined);
        if (created) expect(created).toBeInstanceOf(RaceSafeError);
        expect(await stamped('racesafe')).toEqual(await stamped('orm'));
        await orm().query(`DELETE FROM documents`);
        await orm().insert('documents', { code: 'orm' });
        await orm().insert('documents', { code: 'racesafe' });
        const byUpdate = await outcome(() =>
          orm().update('documents', { code: 'orm' }, { stampedAt: value }),
        );
        const updated = await outcome(() =>
          orm().updateOrCreate(
            'documents',
            { code: 'racesafe' },
            { defaults: { stampedAt: value } },
          ),
        );
        expect(updated === undefined).toBe(byUpdate === undefined);
        expect(await stamped('racesafe')).toEqual(await stamped('orm'));
      },
    );

    it('treats an array for a date on an existing row as Model.update does (refused, or stored alike), never as the current time', async () => {
      await orm().insert('documents', { code: 'orm' });
      await orm().insert('documents', { code: 'racesafe' });
      const byUpdate = await outcome(() =>
        orm().update('documents', { code: 'orm' }, { stampedAt: [] }),
      );
      const error = await outcome(() =>
        orm().updateOrCreate('documents', { code: 'racesafe' }, { defaults: { stampedAt: [] } }),
      );
      expect(error === undefined).toBe(byUpdate === undefined);
      if (error) expect(error).toBeInstanceOf(RaceSafeError);
      expect(await stamped('racesafe')).toEqual(await stamped('orm'));
      if (database.dialect === 'postgres') expect(await stamped('racesafe')).toBeNull();
    });

    it.each(['defaults', 'lookup', 'values'])(
      'refuses a circular object in %s with InvalidFieldError naming it',
      async (place) => {
        const meta: Row = { a: 1 };
        meta.self = meta;
        const calls: Record<string, () => Promise<unknown>> = {
          defaults: () => orm().getOrCreate('documents', { code: 'c' }, { defaults: { meta } }),
          lookup: () => orm().getOrCreate('documents', { code: 'c', meta }),
          values: () => orm().atomicUpdate('documents', { code: 'c' }, { meta }),
        };
        log.clear();
        const error = await outcome(calls[place]);
        expect(error).toBeInstanceOf(InvalidFieldError);
        expect((error as InvalidFieldError).fields).toEqual(['meta']);
        expect(log.statements).toEqual([]);
      },
    );
  },
);
