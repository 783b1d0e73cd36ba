import { InvalidFieldError, RaceSafeError } from '@racesafe/core';
import { ValidationError } from 'sequelize';
import { type SuiteDatabase, describeOnEachDatabase } from '../../../test/integration/databases';
import { useTestOrm } from '../../../test/integration/lifecycle';
import type { Row } from '../../../test/integration/orm';
import { describeUntrustedInput } from '../../../test/integration/untrusted-input.suite';
import { openSequelizeTestOrm } from './test-orm';

describeOnEachDatabase(
  'untrusted input (Sequelize)',
  (database) => describeUntrustedInput(openSequelizeTestOrm, database),
  { asMysql8: true },
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
      // Inside the caller's transaction updateOrCreate takes the locking path (the instance's set, then save's validation).
      const inTransaction = await outcome(() =>
        orm().transaction((tx) =>
          orm().updateOrCreate(
            'documents',
            { code: 'racesafe' },
            { defaults: { stampedAt: [] } },
            tx,
          ),
        ),
      );
      expect(inTransaction === undefined).toBe(byUpdate === undefined);
      if (inTransaction) expect(inTransaction).toBeInstanceOf(RaceSafeError);
      expect(await stamped('racesafe')).toEqual(await stamped('orm'));
    });

    it('refuses an array for a text attribute in every operation with ValidationError, as Model.create and Model.update do, before any statement that writes', async () => {
      await orm().insert('documents', { code: 'orm' });
      await orm().insert('documents', { code: 'existing' });
      const byCreate = await outcome(() => orm().insert('documents', { code: 'new', title: [] }));
      const byUpdate = await outcome(() =>
        orm().update('documents', { code: 'orm' }, { title: [] }),
      );
      // getOrCreateMany after three creating calls: the guarded INSERT first, where the dialect has one.
      for (const warm of ['w1', 'w2', 'w3'])
        await orm().getOrCreateMany('documents', [{ code: warm }]);
      const calls: [string, () => Promise<unknown>][] = [
        [
          'getOrCreate',
          () => orm().getOrCreate('documents', { code: 'new' }, { defaults: { title: [] } }),
        ],
        [
          'getOrCreateMany',
          () => orm().getOrCreateMany('documents', [{ code: 'new' }], { defaults: { title: [] } }),
        ],
        [
          'updateOrCreate new',
          () => orm().updateOrCreate('documents', { code: 'new' }, { defaults: { title: [] } }),
        ],
        [
          'updateOrCreate existing',
          () =>
            orm().updateOrCreate('documents', { code: 'existing' }, { defaults: { title: [] } }),
        ],
        [
          'updateOrCreate existing, caller transaction',
          () =>
            orm().transaction((tx) =>
              orm().updateOrCreate(
                'documents',
                { code: 'existing' },
                { defaults: { title: [] } },
                tx,
              ),
            ),
        ],
        [
          'atomicUpdate',
          () => orm().atomicUpdate('documents', { code: 'existing' }, { title: [] }),
        ],
      ];
      const seen: [string, unknown, string[]][] = [];
      for (const [name, call] of calls) {
        log.clear();
        const error = await outcome(call);
        const writes = log.verbs().filter((verb) => ['INSERT', 'UPDATE', 'WITH'].includes(verb));
        seen.push([name, error, writes]);
      }
      expect([byCreate, byUpdate]).toEqual([
        expect.any(ValidationError),
        expect.any(ValidationError),
      ]);
      expect(seen).toEqual(calls.map(([name]) => [name, expect.any(ValidationError), []]));
      const rows = await orm().query(`SELECT code, title FROM documents ORDER BY code`);
      expect(rows.map((r) => [r.code, r.title])).toEqual([
        ['existing', null],
        ['orm', null],
        ['w1', null],
        ['w2', null],
        ['w3', null],
      ]);
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
