import { F as SequelizeF } from '@racesafe/sequelize';
import { F as TypeormF } from '@racesafe/typeorm';
import { QueryTypes } from 'sequelize';
import type { Sequelize } from 'sequelize';
import { hashed } from '../test/integration/hooks';
import type { ManyStatements, RawBatch } from './cases-many';
import type { Subjects } from './subjects';

/** Which client a case runs through (mysql2: the raw baselines on MariaDB, cases-mariadb.ts). */
export type Library = 'pg' | 'mysql2' | 'typeorm' | 'sequelize';

/** Marks the part of an operation whose round trips count (default: all of it). */
export type Region = <T>(work: () => Promise<T>) => Promise<T>;

/** One implementation of one operation. `run(i)` must be safe to call concurrently. */
export interface BenchCase {
  group: GroupId;
  name: string;
  library: Library;
  /** The raw pg (or mysql2) case every other case of the group is divided by. */
  baseline?: boolean;
  /**
   * Not an implementation: racesafe's own statement sent through the ORM's query method (the
   * ORM's per-statement cost). Names the case whose statement it sends: the bench warns when
   * that case's counted statement is no longer this one's.
   */
  floorOf?: string;
  /** `run` passes the part to count through `region` (else the whole call counts). */
  marksRegion?: boolean;
  /**
   * One call. `region` marks what the round-trip count covers when that is not the
   * whole call: the getOrCreate inside a transaction, not the caller's BEGIN and COMMIT.
   */
  run(i: number, region: Region): Promise<unknown>;
}

export type GroupId =
  | 'hit'
  | 'miss'
  | 'missWithHooks'
  | 'missInTransaction'
  | 'updateOrCreate'
  | 'updateOrCreateNew'
  | 'atomicUpdate'
  | 'atomicUpdateReturning'
  | 'manyNew'
  | 'manyExisting';

/** A group of cases: what it measures and how. */
export interface Group {
  title: string;
  /** Batches: one caller per process (a loop of 1,000 getOrCreate calls would take seconds at 32 callers). */
  oneCaller?: boolean;
}

/** The groups, in report order. */
export const groups: Record<GroupId, Group> = {
  hit: { title: 'getOrCreate, existing key (hit path)' },
  miss: { title: 'getOrCreate, new key, no transaction (miss path)' },
  missWithHooks: {
    title: 'getOrCreate, new key, a model with hooks that hash and audit (miss path)',
  },
  missInTransaction: { title: "getOrCreate, new key, in the caller's transaction" },
  updateOrCreate: { title: 'updateOrCreate, existing row, no transaction' },
  updateOrCreateNew: { title: 'updateOrCreate, new key, no transaction' },
  atomicUpdate: { title: 'atomicUpdate, one counter +1' },
  // MariaDB only (cases-mariadb.ts): without UPDATE ... RETURNING, `returning: true` takes a path of its own there.
  atomicUpdateReturning: { title: 'atomicUpdate returning, one counter +1' },
  manyNew: { title: 'getOrCreateMany, 1,000 new keys per call', oneCaller: true },
  manyExisting: { title: 'getOrCreateMany, 1,000 existing keys per call', oneCaller: true },
};

/** Keys seeded before the run (see {@link seed}); updateOrCreate spreads over them so callers rarely share a row lock. Shared with cases-mariadb.ts. */
export const SEEDED_KEYS = 1000;
export const COUNTER = 'bench';
export const hitKey = (i: number) => `hit${i % SEEDED_KEYS}@bench`;
export const updateKey = (i: number) => `upd${i % SEEDED_KEYS}@bench`;
/** A key nobody used before: unique per case and call. */
export const newKey = (tag: string, i: number) => `${tag}${i}@bench`;
/** A new key that the Account models' isEmail validator accepts. */
const newEmail = (tag: string, i: number) => `${newKey(tag, i)}.example`;

/** The rows the hit path, updateOrCreate and atomicUpdate cases expect. */
export async function seed({ pool }: Subjects): Promise<void> {
  await pool.query(
    `INSERT INTO users (email, name) SELECT prefix || n || '@bench', 'seeded' FROM generate_series(0, $1 - 1) AS n, unnest(ARRAY['hit', 'upd']) AS prefix`,
    [SEEDED_KEYS],
  );
  await pool.query(`INSERT INTO counters (name, value) VALUES ($1, 0)`, [COUNTER]);
}

// The statements racesafe itself sends (as the round-trip count prints them): the "ORM floor"
// cases send exactly these through each ORM's own query method, so the table shows how much of
// the gap to raw pg is the ORM's per-statement cost rather than racesafe's. getOrCreate is one
// statement on PostgreSQL, found or created, after a miss on the table, and a plain SELECT
// first after a hit; Sequelize's INSERT lists the model's defaults too.
const oneStatement = (first: string, firstName: string, columns: string[], from: number) =>
  `WITH ${firstName} AS (${first}), made AS (INSERT INTO "users" (${columns.map((c) => `"${c}"`).join(', ')}) ` +
  `SELECT ${columns.map((_, k) => `$${from + k}`).join(', ')} WHERE NOT EXISTS (SELECT 1 FROM ${firstName}) ON CONFLICT ("email") DO NOTHING RETURNING *) ` +
  `SELECT false AS "racesafe_created", * FROM ${firstName} UNION ALL SELECT true, * FROM made`;
/**
 * The guarded INSERT updateOrCreate sends first on a table whose last two calls created rows when
 * its defaults hold an F expression (db/queries.ts insertUnlessFound).
 */
const guardedInsert = (columns: string[]) =>
  `INSERT INTO "users" (${columns.map((c) => `"${c}"`).join(', ')}) SELECT ${columns.map((_, k) => `$${k + 1}`).join(', ')} ` +
  `WHERE NOT EXISTS (SELECT 1 FROM "users" WHERE "email" = $${columns.length + 1}) ON CONFLICT ("email") DO NOTHING RETURNING *`;
const FOUND = 'SELECT * FROM "users" WHERE "email" = $1 LIMIT 2';
const UPDATED =
  'UPDATE "users" SET "name" = $1, "logins" = ("logins" + $2) WHERE "email" = $3 RETURNING *';
/** The plain INSERT getOrCreate sends first on a table whose last two calls created rows (db/queries.ts insertFirst). */
const insertFirst = (columns: string[]) =>
  `INSERT INTO "users" (${columns.map((c) => `"${c}"`).join(', ')}) VALUES (${columns.map((_, k) => `$${k + 1}`).join(', ')}) ON CONFLICT ("email") DO NOTHING RETURNING *`;
const TYPEORM_GET_OR_CREATE = oneStatement(FOUND, 'found', ['name', 'email'], 2);
const TYPEORM_GUARDED_GET_OR_CREATE = guardedInsert(['name', 'email']);
const TYPEORM_INSERT_FIRST = insertFirst(['name', 'email']);
const SEQUELIZE_INSERT_FIRST = insertFirst(['plan', 'logins', 'visits', 'name', 'email']);
const TYPEORM_GUARDED_UPDATE_OR_CREATE = guardedInsert(['name', 'logins', 'email']);
const SEQUELIZE_GUARDED_UPDATE_OR_CREATE = guardedInsert([
  'plan',
  'visits',
  'name',
  'logins',
  'email',
]);
const RACESAFE_UPDATE = `UPDATE "counters" SET "value" = ("value" + $1) WHERE "name" = $2`;
/**
 * The guarded multi-row INSERT getOrCreateMany sends first on a table whose last two batches
 * created rows (sql/insert-new-rows.ts guardedInsert): one array per column, cast to its type.
 */
const manyGuardedInsert = (columns: [name: string, type: string][]) => {
  const quoted = columns.map(([column]) => `"${column}"`);
  return (
    `INSERT INTO "users" (${quoted.join(', ')}) SELECT ${quoted.map((c) => `racesafe_v.${c}`).join(', ')} ` +
    `FROM unnest(${columns.map(([, type], k) => `$${k + 1}::${type}[]`).join(', ')}) WITH ORDINALITY AS racesafe_v(${quoted.join(', ')}, racesafe_n) ` +
    `WHERE NOT EXISTS (SELECT 1 FROM "users" AS racesafe_t WHERE racesafe_t."email" = racesafe_v."email" OFFSET 0) ORDER BY racesafe_v.racesafe_n ` +
    `ON CONFLICT ("email") DO NOTHING RETURNING *`
  );
};
const TYPEORM_MANY_INSERT = manyGuardedInsert([
  ['name', 'text'],
  ['email', 'text'],
]);
const SEQUELIZE_MANY_INSERT = manyGuardedInsert([
  ['plan', 'text'],
  ['logins', 'integer'],
  ['visits', 'integer'],
  ['name', 'text'],
  ['email', 'text'],
]);
/** getOrCreateMany's SELECT of a batch's keys, first after batches that found their rows (sql/many-rows.ts lookupsCondition). */
const manySelect = (keys: number) =>
  `SELECT * FROM "users" WHERE "email" IN (${Array.from({ length: keys }, (_, k) => `$${k + 1}`).join(', ')})`;

const UPSERT_USER = `INSERT INTO users (email, name, logins) VALUES ($1, $2, 1) ON CONFLICT (email) DO UPDATE SET name = EXCLUDED.name, logins = users.logins + 1 RETURNING *`;
/** `INSERT INTO users (email, name) VALUES ($1, $2), ... ON CONFLICT (email) DO NOTHING RETURNING *` for `rows` rows. */
const insertManySql = (rows: number) =>
  `INSERT INTO users (email, name) VALUES ${Array.from({ length: rows }, (_, k) => `($${2 * k + 1}, $${2 * k + 2})`).join(', ')} ON CONFLICT (email) DO NOTHING RETURNING *`;
const INSERT_IGNORE = `INSERT INTO users (email, name) VALUES ($1, $2) ON CONFLICT (email) DO NOTHING RETURNING *`;
const SELECT_USER = `SELECT * FROM users WHERE email = $1`;
const INSERT_ACCOUNT = `INSERT INTO accounts (email, password) VALUES ($1, $2) ON CONFLICT (email) DO NOTHING RETURNING *`;
const AUDIT = `INSERT INTO audit (event, email) VALUES ($1, $2)`;

/** Each case's own values, so that an updateOrCreate always changes `name` as well as `logins`. */
const name = (i: number, tag = 'bench') => `${tag} ${i}`;

/**
 * racesafe's updateOrCreate on both packages, the same on every database: a new name and
 * logins + 1 on the row `updateKey(i)`, or on a new key (`updateOrCreateNew`).
 */
export function updateOrCreateCases(
  s: Pick<Subjects<unknown>, 'typeorm' | 'sequelize'>,
  group: 'updateOrCreate' | 'updateOrCreateNew' = 'updateOrCreate',
): BenchCase[] {
  const { users } = s.typeorm;
  const { User } = s.sequelize;
  const email = (i: number, tag: string) =>
    group === 'updateOrCreate' ? updateKey(i) : newKey(tag, i);
  return [
    {
      group,
      name: 'typeorm updateOrCreate',
      library: 'typeorm',
      run: (i) =>
        users.updateOrCreate(
          { email: email(i, 'toups') },
          {
            defaults: { name: name(i, 'typeorm'), logins: TypeormF('logins').plus(1) },
            createDefaults: { name: name(i, 'typeorm'), logins: 1 },
          },
        ),
    },
    {
      group,
      name: 'sequelize updateOrCreate',
      library: 'sequelize',
      run: (i) =>
        User.updateOrCreate({
          where: { email: email(i, 'squps') },
          defaults: { name: name(i, 'sequelize'), logins: SequelizeF('logins').plus(1) },
          createDefaults: { name: name(i, 'sequelize'), logins: 1 },
        }),
    },
  ];
}

/** getOrCreateMany's raw baselines through pg (cases-many.ts): the same rows in one multi-row INSERT, the same keys in one SELECT. */
export function pgBatch({ pool }: Pick<Subjects, 'pool'>): RawBatch {
  return {
    driver: 'pg',
    insert: 'multi-row INSERT ON CONFLICT DO NOTHING RETURNING',
    newRows: (emails, rowName) =>
      pool.query(
        insertManySql(emails.length),
        emails.flatMap((email) => [email, rowName]),
      ),
    select: 'SELECT WHERE email = ANY($1)',
    existingRows: (emails) => pool.query(`SELECT * FROM users WHERE email = ANY($1)`, [emails]),
  };
}

/** getOrCreateMany's statements on PostgreSQL, for its floors (cases-many.ts), with the values each package binds. */
export const pgManyStatements: ManyStatements = {
  newRows: {
    typeorm: (emails, rowName) => [TYPEORM_MANY_INSERT, [emails.map(() => rowName), emails]],
    // Sequelize's INSERT lists the model's defaults (plan 'free', logins 0, visits 0), as on the miss path.
    sequelize: (emails, rowName) => [
      SEQUELIZE_MANY_INSERT,
      [...['free', 0, 0, rowName].map((value) => emails.map(() => value)), emails],
    ],
  },
  existingRows: (emails) => [manySelect(emails.length), emails],
};

/** A statement through Sequelize as racesafe's Sequelize gateway sends it: raw rows, no transaction (not even a CLS one), primary. */
const sequelizeQueryOf = (sequelize: Sequelize) => (sql: string, bind: unknown[]) =>
  sequelize.query(sql, {
    bind,
    type: QueryTypes.RAW,
    raw: true,
    useMaster: true,
    transaction: null,
  });

/** A statement and the values it binds. */
export type Sql = [string, unknown[]];
/** How each ORM's floor sends a statement: dataSource.query, sequelize.query (sequelizeQueryOf). */
export type OrmQueries = Record<
  'typeorm' | 'sequelize',
  (sql: string, bind: unknown[]) => Promise<unknown>
>;

/** Each ORM's query method, as racesafe's gateways call it. */
export const ormQueries = (
  dataSource: { query(sql: string, bind: unknown[]): Promise<unknown> },
  sequelize: Sequelize,
): OrmQueries => ({
  typeorm: (sql, bind) => dataSource.query(sql, bind),
  sequelize: sequelizeQueryOf(sequelize),
});

/**
 * A group's two "ORM floor" cases: racesafe's statement of `operation` for call `i` of each
 * library, sent through that ORM's query method with nothing else.
 */
export function floorCases(
  group: GroupId,
  operation: string,
  queries: OrmQueries,
  statement: (library: 'typeorm' | 'sequelize', i: number) => Sql,
  same = 'statement',
): BenchCase[] {
  return [
    {
      group,
      name: `floor: typeorm dataSource.query, same ${same}`,
      library: 'typeorm',
      floorOf: `typeorm ${operation}`,
      run: (i) => queries.typeorm(...statement('typeorm', i)),
    },
    {
      group,
      name: `floor: sequelize.query, same ${same}`,
      library: 'sequelize',
      floorOf: `sequelize ${operation}`,
      run: (i) => queries.sequelize(...statement('sequelize', i)),
    },
  ];
}

/** Every case, grouped; the first of each group is its raw pg baseline. */
export function benchCases(s: Subjects): BenchCase[] {
  const { pool } = s;
  const { dataSource, users, counters, accounts } = s.typeorm;
  const { sequelize, User, Counter, Account } = s.sequelize;
  const queries = ormQueries(dataSource, sequelize);

  /** racesafe's one statement of `operation` sent through each ORM's query method, with the values its case binds. */
  const floors = (
    group: GroupId,
    operation: 'getOrCreate' | 'updateOrCreate',
    values: (i: number, library: 'typeorm' | 'sequelize') => [string, string],
  ): BenchCase[] => {
    // Sequelize's INSERT lists the model's defaults (plan 'free', logins 0, visits 0) where TypeORM leaves them to the table.
    // The statements racesafe sends first after two equal outcomes on the table (last-outcome.ts): on hits getOrCreate SELECTs,
    // on existing rows updateOrCreate UPDATEs, on new keys getOrCreate sends the plain INSERT and updateOrCreate (F
    // expressions in its defaults) the guarded one.
    const found = (email: string): Sql => [FOUND, [email]];
    const updated = (email: string, n: string): Sql => [UPDATED, [n, 1, email]];
    const statement =
      group === 'hit'
        ? { typeorm: found, sequelize: found }
        : group === 'updateOrCreate'
          ? { typeorm: updated, sequelize: updated }
          : operation === 'getOrCreate'
            ? {
                typeorm: (email: string, n: string): Sql => [TYPEORM_INSERT_FIRST, [n, email]],
                sequelize: (email: string, n: string): Sql => [
                  SEQUELIZE_INSERT_FIRST,
                  ['free', 0, 0, n, email],
                ],
              }
            : {
                typeorm: (email: string, n: string): Sql => [
                  TYPEORM_GUARDED_UPDATE_OR_CREATE,
                  [n, 1, email, email],
                ],
                sequelize: (email: string, n: string): Sql => [
                  SEQUELIZE_GUARDED_UPDATE_OR_CREATE,
                  ['free', 0, n, 1, email, email],
                ],
              };
    return floorCases(group, operation, queries, (library, i) =>
      statement[library](...values(i, library)),
    );
  };

  /** Django-free raw getOrCreate: one INSERT that cannot fail on the key, a SELECT only when it returned nothing. */
  async function rawGetOrCreate(
    query: (sql: string, values: unknown[]) => Promise<{ rows: unknown[] }>,
    email: string,
    i: number,
  ) {
    const inserted = await query(INSERT_IGNORE, [email, name(i)]);
    return inserted.rows[0] ?? (await query(SELECT_USER, [email])).rows[0];
  }

  /** What the Account hooks do, by hand: hash, audit, insert, audit, in one transaction. */
  async function rawAuditedInsert(email: string) {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(AUDIT, ['beforeCreate', email]);
      const { rows } = await client.query(INSERT_ACCOUNT, [email, hashed('pw')]);
      await client.query(AUDIT, ['afterCreate', email]);
      await client.query('COMMIT');
      return rows[0];
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  }

  return [
    {
      group: 'hit',
      name: 'raw pg SELECT',
      library: 'pg',
      baseline: true,
      run: (i) => pool.query(SELECT_USER, [hitKey(i)]),
    },
    // What the one statement costs the server against a plain SELECT, without any ORM.
    {
      group: 'hit',
      name: "raw pg, racesafe's one statement",
      library: 'pg',
      run: (i) => pool.query(TYPEORM_GET_OR_CREATE, [hitKey(i), name(i), hitKey(i)]),
    },
    {
      group: 'hit',
      name: 'typeorm getOrCreate',
      library: 'typeorm',
      run: (i) => users.getOrCreate({ email: hitKey(i) }, { defaults: { name: name(i) } }),
    },
    {
      group: 'hit',
      name: 'sequelize getOrCreate',
      library: 'sequelize',
      run: (i) => User.getOrCreate({ where: { email: hitKey(i) }, defaults: { name: name(i) } }),
    },
    ...floors('hit', 'getOrCreate', (i) => [hitKey(i), name(i)]),
    // The raw line's own statement through TypeORM's query method: the most any call through TypeORM can reach (issue 12's 0.85x targets).
    {
      group: 'hit',
      name: 'ceiling: typeorm dataSource.query, the raw SELECT',
      library: 'typeorm',
      run: (i) => dataSource.query(SELECT_USER, [hitKey(i)]),
    },

    {
      group: 'miss',
      name: 'raw pg INSERT ON CONFLICT DO NOTHING RETURNING',
      library: 'pg',
      baseline: true,
      run: (i) => rawGetOrCreate((q, v) => pool.query(q, v), newKey('rawmiss', i), i),
    },
    {
      group: 'miss',
      name: "raw pg, racesafe's one statement",
      library: 'pg',
      run: (i) =>
        pool.query(TYPEORM_GET_OR_CREATE, [newKey('rawcte', i), name(i), newKey('rawcte', i)]),
    },
    // The WITH's guard without the WITH: what racesafe sent after two misses before the plain INSERT (issue 25).
    {
      group: 'miss',
      name: "raw pg, racesafe's guarded INSERT",
      library: 'pg',
      run: (i) =>
        pool.query(TYPEORM_GUARDED_GET_OR_CREATE, [
          name(i),
          newKey('rawguard', i),
          newKey('rawguard', i),
        ]),
    },
    {
      group: 'miss',
      name: 'typeorm getOrCreate',
      library: 'typeorm',
      run: (i) =>
        users.getOrCreate({ email: newKey('tomiss', i) }, { defaults: { name: name(i) } }),
    },
    {
      group: 'miss',
      name: 'sequelize getOrCreate',
      library: 'sequelize',
      run: (i) =>
        User.getOrCreate({ where: { email: newKey('sqmiss', i) }, defaults: { name: name(i) } }),
    },
    // Without Sequelize's built-in validation (a model instance built and validated per new row, as Model.create does): what that costs against the floor.
    {
      group: 'miss',
      name: 'sequelize getOrCreate, hooks: false, validate: false',
      library: 'sequelize',
      run: (i) =>
        User.getOrCreate({
          where: { email: newKey('sqnovalid', i) },
          defaults: { name: name(i) },
          hooks: false,
          validate: false,
        }),
    },
    {
      group: 'miss',
      name: 'sequelize findOrCreate',
      library: 'sequelize',
      run: (i) =>
        User.findOrCreate({
          where: { email: newKey('sqfoc', i) },
          defaults: { email: newKey('sqfoc', i), name: name(i) },
        }),
    },
    ...floors('miss', 'getOrCreate', (i, library) => [newKey(`${library}floor`, i), name(i)]),
    {
      group: 'miss',
      name: 'ceiling: typeorm dataSource.query, the raw INSERT',
      library: 'typeorm',
      run: (i) => dataSource.query(INSERT_IGNORE, [newKey('toceiling', i), name(i)]),
    },

    // The Account models hash the password before insert and audit before and after it, in the
    // statement's transaction (test/integration/hooks.ts): the raw baseline does the same by hand.
    {
      group: 'missWithHooks',
      name: 'raw pg BEGIN, audit, INSERT ON CONFLICT, audit, COMMIT',
      library: 'pg',
      baseline: true,
      run: (i) => rawAuditedInsert(newEmail('rawhook', i)),
    },
    {
      group: 'missWithHooks',
      name: 'typeorm getOrCreate',
      library: 'typeorm',
      run: (i) =>
        accounts.getOrCreate({ email: newEmail('tohook', i) }, { defaults: { password: 'pw' } }),
    },
    {
      group: 'missWithHooks',
      name: 'typeorm getOrCreate, listeners: false',
      library: 'typeorm',
      run: (i) =>
        accounts.getOrCreate(
          { email: newEmail('tonohook', i) },
          { defaults: { password: 'pw' }, listeners: false },
        ),
    },
    {
      // What racesafe replaces in TypeORM code: look, then save() (listeners, subscribers, its own transaction).
      group: 'missWithHooks',
      name: 'typeorm findOneBy + save()',
      library: 'typeorm',
      run: async (i) =>
        (await accounts.findOneBy({ email: newEmail('tosave', i) })) ??
        accounts.save(accounts.create({ email: newEmail('tosave', i), password: 'pw' })),
    },
    {
      group: 'missWithHooks',
      name: 'sequelize getOrCreate',
      library: 'sequelize',
      run: (i) =>
        Account.getOrCreate({
          where: { email: newEmail('sqhook', i) },
          defaults: { password: 'pw' },
        }),
    },
    {
      group: 'missWithHooks',
      name: 'sequelize getOrCreate, hooks: false, validate: false',
      library: 'sequelize',
      run: (i) =>
        Account.getOrCreate({
          where: { email: newEmail('sqnohook', i) },
          defaults: { password: 'pw' },
          hooks: false,
          validate: false,
        }),
    },
    {
      group: 'missWithHooks',
      name: 'sequelize findOrCreate',
      library: 'sequelize',
      run: (i) =>
        Account.findOrCreate({
          where: { email: newEmail('sqfochook', i) },
          defaults: { email: newEmail('sqfochook', i), password: 'pw' },
        }),
    },

    {
      group: 'missInTransaction',
      name: 'raw pg INSERT ON CONFLICT DO NOTHING',
      library: 'pg',
      baseline: true,
      marksRegion: true,
      async run(i, region) {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          const row = await region(() =>
            rawGetOrCreate((q, v) => client.query(q, v), newKey('rawtx', i), i),
          );
          await client.query('COMMIT');
          return row;
        } catch (error) {
          await client.query('ROLLBACK');
          throw error;
        } finally {
          client.release();
        }
      },
    },
    {
      group: 'missInTransaction',
      name: 'typeorm getOrCreate',
      library: 'typeorm',
      marksRegion: true,
      run: (i, region) =>
        dataSource.transaction((m) =>
          region(() =>
            m
              .withRepository(users)
              .getOrCreate({ email: newKey('totx', i) }, { defaults: { name: name(i) } }),
          ),
        ),
    },
    {
      group: 'missInTransaction',
      name: 'sequelize getOrCreate',
      library: 'sequelize',
      marksRegion: true,
      run: (i, region) =>
        sequelize.transaction((transaction) =>
          region(() =>
            User.getOrCreate({
              where: { email: newKey('sqtx', i) },
              defaults: { name: name(i) },
              transaction,
            }),
          ),
        ),
    },

    {
      group: 'updateOrCreate',
      name: 'raw pg INSERT ON CONFLICT DO UPDATE',
      library: 'pg',
      baseline: true,
      run: (i) => pool.query(UPSERT_USER, [updateKey(i), name(i, 'raw')]),
    },
    ...updateOrCreateCases(s),
    ...floors('updateOrCreate', 'updateOrCreate', (i, library) => [updateKey(i), name(i, library)]),
    {
      group: 'updateOrCreateNew',
      name: 'raw pg INSERT ON CONFLICT DO UPDATE',
      library: 'pg',
      baseline: true,
      run: (i) => pool.query(UPSERT_USER, [newKey('rawups', i), name(i, 'raw')]),
    },
    ...updateOrCreateCases(s, 'updateOrCreateNew'),
    // Plain defaults: after two creations one INSERT ... ON CONFLICT DO UPDATE (insert-or-update), as the raw line.
    {
      group: 'updateOrCreateNew',
      name: 'typeorm updateOrCreate, plain defaults',
      library: 'typeorm',
      run: (i) =>
        users.updateOrCreate({ email: newKey('toupsplain', i) }, { defaults: { name: name(i) } }),
    },
    {
      group: 'updateOrCreateNew',
      name: 'sequelize updateOrCreate, plain defaults',
      library: 'sequelize',
      run: (i) =>
        User.updateOrCreate({
          where: { email: newKey('squpsplain', i) },
          defaults: { name: name(i) },
        }),
    },
    ...floors('updateOrCreateNew', 'updateOrCreate', (i, library) => [
      newKey(`${library}upsfloor`, i),
      name(i, library),
    ]),
    {
      group: 'updateOrCreateNew',
      name: 'ceiling: typeorm dataSource.query, the raw upsert',
      library: 'typeorm',
      run: (i) => dataSource.query(UPSERT_USER, [newKey('toceilups', i), name(i, 'raw')]),
    },

    {
      group: 'atomicUpdate',
      name: 'raw pg UPDATE SET n = n + 1',
      library: 'pg',
      baseline: true,
      run: () => pool.query(`UPDATE counters SET value = value + 1 WHERE name = $1`, [COUNTER]),
    },
    {
      group: 'atomicUpdate',
      name: 'typeorm atomicUpdate',
      library: 'typeorm',
      run: () => counters.atomicUpdate({ name: COUNTER }, { value: TypeormF('value').plus(1) }),
    },
    {
      group: 'atomicUpdate',
      name: 'typeorm increment',
      library: 'typeorm',
      run: () => counters.increment({ name: COUNTER }, 'value', 1),
    },
    {
      group: 'atomicUpdate',
      name: 'sequelize atomicUpdate',
      library: 'sequelize',
      run: () =>
        Counter.atomicUpdate({ value: SequelizeF('value').plus(1) }, { where: { name: COUNTER } }),
    },
    {
      group: 'atomicUpdate',
      name: 'sequelize Model.increment',
      library: 'sequelize',
      run: () => Counter.increment('value', { where: { name: COUNTER } }),
    },
    ...floorCases(
      'atomicUpdate',
      'atomicUpdate',
      queries,
      () => [RACESAFE_UPDATE, [1, COUNTER]],
      'UPDATE',
    ),
  ];
}
