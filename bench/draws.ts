// `npm run bench -- --draws`: what each getOrCreate / updateOrCreate strategy costs the table
// beyond its rows on PostgreSQL: sequence values drawn and BEFORE INSERT trigger firings per 1,000
// calls, on a 50/50 and a 90/10 hit/miss mix. Counts, not timings: the machine's load does not
// change them. Each strategy's statements are sent as racesafe sends them (raw pg, the SQL of the
// guide's section 8), and racesafe's own plan runs through both ORMs.
import { F as TypeormF } from '@racesafe/typeorm';
import type { Pool } from 'pg';
import type { Subjects } from './subjects';

/** Calls per strategy and mix. */
const CALLS = 1000;
/** Existing rows a strategy's hits spread over (seeded per strategy and mix). */
const HIT_KEYS = 100;
/** The hit share of each mix. */
const MIXES = [0.5, 0.9];

/** One strategy: one call on `email` (an existing row's key on a hit), returning whether it created the row. */
interface Strategy {
  operation: 'getOrCreate' | 'updateOrCreate';
  name: string;
  call(email: string, i: number): Promise<boolean>;
}

/** What one strategy cost on one mix. */
export interface DrawCount {
  operation: string;
  strategy: string;
  hitShare: number;
  calls: number;
  created: number;
  sequenceValues: number;
  triggerFirings: number;
}

const TRIGGER_SEQUENCE = 'racesafe_bench_before_insert';

/**
 * A BEFORE INSERT trigger on users counting its firings in a sequence (not rolled back by the
 * statement that then skips the row, nor by a failed one): the table's triggers see what a user's
 * audit or stamping trigger would.
 */
async function installCountingTrigger(pool: Pool): Promise<void> {
  await pool.query(`CREATE SEQUENCE ${TRIGGER_SEQUENCE}`);
  await pool.query(
    `CREATE FUNCTION racesafe_bench_count() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM nextval('${TRIGGER_SEQUENCE}'); RETURN NEW; END $$`,
  );
  await pool.query(
    `CREATE TRIGGER racesafe_bench_before_insert BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION racesafe_bench_count()`,
  );
}

/** A sequence's values drawn so far (nextval calls since it was created). */
async function drawn(pool: Pool, sequence: string): Promise<number> {
  const { rows } = await pool.query<{ last_value: string; is_called: boolean }>(
    `SELECT last_value, is_called FROM ${sequence}`,
  );
  return rows[0].is_called ? Number(rows[0].last_value) : 0;
}

/** Hit or miss for call i, the same sequence on every run (a linear congruential generator). */
function hits(share: number): boolean[] {
  let state = 12345;
  return Array.from({ length: CALLS }, () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31 < share;
  });
}

// The statements of guide section 8 for the users table (TypeORM's column list: name, email).
const WITH_FOUND = `WITH found AS (SELECT * FROM "users" WHERE "email" = $1 LIMIT 2), made AS (INSERT INTO "users" ("name", "email") SELECT $2, $3 WHERE NOT EXISTS (SELECT 1 FROM found) ON CONFLICT ("email") DO NOTHING RETURNING *) SELECT false AS "racesafe_created", * FROM found UNION ALL SELECT true, * FROM made`;
const INSERT_FIRST = `INSERT INTO "users" ("name", "email") VALUES ($1, $2) ON CONFLICT ("email") DO NOTHING RETURNING *`;
const GUARDED = `INSERT INTO "users" ("name", "email") SELECT $1, $2 WHERE NOT EXISTS (SELECT 1 FROM "users" WHERE "email" = $3) ON CONFLICT ("email") DO NOTHING RETURNING *`;
const SELECT = `SELECT * FROM "users" WHERE "email" = $1 LIMIT 2`;
const UPDATE = `UPDATE "users" SET "name" = $1 WHERE "email" = $2 RETURNING *`;
const WITH_UPDATED = `WITH updated AS (UPDATE "users" SET "name" = $1 WHERE "email" = $2 RETURNING *), made AS (INSERT INTO "users" ("name", "email") SELECT $3, $4 WHERE NOT EXISTS (SELECT 1 FROM updated) ON CONFLICT ("email") DO NOTHING RETURNING *) SELECT false AS "racesafe_created", * FROM updated UNION ALL SELECT true, * FROM made`;
const INSERT_OR_UPDATE = `INSERT INTO "users" ("name", "email") VALUES ($1, $2) ON CONFLICT ("email") DO UPDATE SET "name" = $3 RETURNING *, (xmax = 0) AS "racesafe_created"`;

/** Every strategy, each forced: raw pg for the one-statement ones, racesafe's options for the others. */
function strategies({ pool, typeorm, sequelize }: Subjects): Strategy[] {
  const rows = async (sql: string, values: unknown[]) => (await pool.query(sql, values)).rows;
  const made = (found: Record<string, unknown>[]) => found[0]?.racesafe_created === true;
  /** `first`; when it returned no row, `then` (the row's read, or its UPDATE): whether `first` created it. */
  const orElse = async (first: [string, unknown[]], then: [string, unknown[]]) => {
    if ((await rows(...first)).length === 1) return true;
    await rows(...then);
    return false;
  };
  const name = (i: number) => `draws ${i}`;
  return [
    {
      operation: 'getOrCreate',
      name: 'select-first (a defaults function)',
      call: async (email, i) =>
        (await typeorm.users.getOrCreate({ email }, { defaults: () => ({ name: name(i) }) }))[1],
    },
    {
      operation: 'getOrCreate',
      name: 'one-statement (WITH found, made)',
      call: async (email, i) => made(await rows(WITH_FOUND, [email, name(i), email])),
    },
    {
      operation: 'getOrCreate',
      name: 'insert-first (INSERT ... ON CONFLICT DO NOTHING, then SELECT)',
      call: (email, i) => orElse([INSERT_FIRST, [name(i), email]], [SELECT, [email]]),
    },
    {
      operation: 'getOrCreate',
      name: 'guarded-insert (INSERT ... WHERE NOT EXISTS, then SELECT)',
      call: (email, i) => orElse([GUARDED, [name(i), email, email]], [SELECT, [email]]),
    },
    {
      operation: 'getOrCreate',
      name: "racesafe's plan, TypeORM",
      call: async (email, i) =>
        (await typeorm.users.getOrCreate({ email }, { defaults: { name: name(i) } }))[1],
    },
    {
      operation: 'getOrCreate',
      name: "racesafe's plan, Sequelize",
      call: async (email, i) =>
        (await sequelize.User.getOrCreate({ where: { email }, defaults: { name: name(i) } }))[1],
    },
    {
      operation: 'updateOrCreate',
      name: 'locking (nowait: true)',
      call: async (email, i) =>
        (
          await typeorm.users.updateOrCreate(
            { email },
            { defaults: { name: name(i) }, nowait: true },
          )
        )[1],
    },
    {
      operation: 'updateOrCreate',
      name: 'one-statement (WITH updated, made)',
      call: async (email, i) => made(await rows(WITH_UPDATED, [name(i), email, name(i), email])),
    },
    {
      operation: 'updateOrCreate',
      name: 'update-first (UPDATE, then the WITH)',
      call: async (email, i) =>
        (await rows(UPDATE, [name(i), email])).length === 0 &&
        made(await rows(WITH_UPDATED, [name(i), email, name(i), email])),
    },
    {
      operation: 'updateOrCreate',
      name: 'insert-or-update (INSERT ... ON CONFLICT DO UPDATE)',
      call: async (email, i) => made(await rows(INSERT_OR_UPDATE, [name(i), email, name(i)])),
    },
    {
      operation: 'updateOrCreate',
      name: 'guarded-insert (INSERT ... WHERE NOT EXISTS, then UPDATE)',
      call: (email, i) => orElse([GUARDED, [name(i), email, email]], [UPDATE, [name(i), email]]),
    },
    {
      operation: 'updateOrCreate',
      name: "racesafe's plan, TypeORM, plain defaults",
      call: async (email, i) =>
        (await typeorm.users.updateOrCreate({ email }, { defaults: { name: name(i) } }))[1],
    },
    {
      operation: 'updateOrCreate',
      name: "racesafe's plan, Sequelize, plain defaults",
      call: async (email, i) =>
        (await sequelize.User.updateOrCreate({ where: { email }, defaults: { name: name(i) } }))[1],
    },
    {
      operation: 'updateOrCreate',
      name: "racesafe's plan, TypeORM, F('logins').plus(1)",
      call: async (email, i) =>
        (
          await typeorm.users.updateOrCreate(
            { email },
            {
              defaults: { name: name(i), logins: TypeormF('logins').plus(1) },
              createDefaults: { name: name(i), logins: 1 },
            },
          )
        )[1],
    },
  ];
}

/**
 * Runs every strategy on every mix, sequentially, one call at a time (so each count is the
 * strategy's own, with no lost races): the table's sequence and the counting trigger read before
 * and after.
 */
export async function countDraws(subjects: Subjects): Promise<DrawCount[]> {
  const { pool } = subjects;
  await installCountingTrigger(pool);
  const counts: DrawCount[] = [];
  for (const [s, strategy] of strategies(subjects).entries()) {
    for (const share of MIXES) {
      const tag = `d${s}-${share * 100}`;
      const hitKey = (i: number) => `${tag}-hit${i % HIT_KEYS}@draws`;
      await pool.query(
        `INSERT INTO users (email, name) SELECT $1 || n || '@draws', 'seeded' FROM generate_series(0, $2 - 1) AS n`,
        [`${tag}-hit`, HIT_KEYS],
      );
      const sequence = await drawn(pool, 'users_id_seq');
      const trigger = await drawn(pool, TRIGGER_SEQUENCE);
      let created = 0;
      for (const [i, hit] of hits(share).entries()) {
        if (await strategy.call(hit ? hitKey(i) : `${tag}-new${i}@draws`, i)) created += 1;
      }
      counts.push({
        operation: strategy.operation,
        strategy: strategy.name,
        hitShare: share,
        calls: CALLS,
        created,
        sequenceValues: (await drawn(pool, 'users_id_seq')) - sequence,
        triggerFirings: (await drawn(pool, TRIGGER_SEQUENCE)) - trigger,
      });
    }
  }
  return counts;
}

/** The counts as a Markdown table, as the guide shows them. */
export function formatDraws(counts: DrawCount[]): string {
  const head = [
    '| Operation | Strategy | Hits / misses | Rows created | Sequence values drawn | BEFORE INSERT trigger firings |',
    '| --- | --- | --- | ---: | ---: | ---: |',
  ];
  const lines = counts.map(
    (c) =>
      `| ${c.operation} | ${c.strategy} | ${c.hitShare * 100}/${100 - c.hitShare * 100} | ${c.created} | ${c.sequenceValues} | ${c.triggerFirings} |`,
  );
  return [...head, ...lines].join('\n');
}
