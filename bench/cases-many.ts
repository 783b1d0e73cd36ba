import type { BenchCase, GroupId, Library, OrmQueries, Sql } from './cases';
import { SEEDED_KEYS, floorCases, hitKey, newKey, ormQueries } from './cases';
import type { Subjects } from './subjects';

/** Keys per getOrCreateMany call: one chunk on PostgreSQL (65,535 bound parameters) and on MariaDB. */
export const MANY_KEYS = 1000;

/** `MANY_KEYS` keys nobody used before, unique per case and call. */
const newKeys = (tag: string, i: number) =>
  Array.from({ length: MANY_KEYS }, (_, k) => newKey(`${tag}${i}_`, k));
/** Every seeded hit key (`MANY_KEYS` = `SEEDED_KEYS`). */
const existingKeys = Array.from({ length: Math.min(MANY_KEYS, SEEDED_KEYS) }, (_, k) => hitKey(k));
const batchName = (i: number) => `batch ${i}`;

/** The raw driver's way to insert and to read a batch of users, named for the table. */
export interface RawBatch {
  driver: Extract<Library, 'pg' | 'mysql2'>;
  /** What `newRows` sends, e.g. "multi-row INSERT ON CONFLICT DO NOTHING RETURNING". */
  insert: string;
  /** Inserts one row per email, all with the name `name`, and returns them. */
  newRows(emails: string[], name: string): Promise<unknown>;
  /** What `existingRows` sends. */
  select: string;
  /** Reads the rows of these emails. */
  existingRows(emails: string[]): Promise<unknown>;
}

/**
 * The statement racesafe's getOrCreateMany sends for a batch, with the values each package binds
 * (the bench's round-trip log shows it), for its "ORM floor" cases (cases.ts).
 */
export interface ManyStatements {
  /**
   * Every key new, every row named `name`: each package's first statement on a table whose batches
   * keep creating rows (none on MariaDB: there it is a compound statement with the rows inside).
   */
  newRows?: Record<'typeorm' | 'sequelize', (emails: string[], name: string) => Sql>;
  /** Every key with a row: the SELECT of the keys. */
  existingRows(emails: string[]): Sql;
  /** How the floors send them, when not as racesafe's gateways do on PostgreSQL (ormQueries). */
  queries?: OrmQueries;
}

/**
 * getOrCreateMany of `MANY_KEYS` new keys and of as many existing ones on both packages,
 * beside the raw driver's batch statement and a loop of getOrCreate over the same keys (the
 * same on every database; `raw` says how the driver does it).
 */
export function getOrCreateManyCases(
  s: Pick<Subjects<unknown>, 'typeorm' | 'sequelize'>,
  raw: RawBatch,
  statements?: ManyStatements,
): BenchCase[] {
  const { users, dataSource } = s.typeorm;
  const { User } = s.sequelize;
  const queries = statements?.queries ?? ormQueries(dataSource, s.sequelize.sequelize);
  /** racesafe's statement of the group's getOrCreateMany sent through each ORM's query method, when `statements` gives it. */
  const floors = (
    group: GroupId,
    statement: (sql: ManyStatements, library: 'typeorm' | 'sequelize', i: number) => Sql,
  ): BenchCase[] =>
    statements
      ? floorCases(group, 'getOrCreateMany', queries, (library, i) =>
          statement(statements, library, i),
        )
      : [];
  const lookups = (emails: string[]) => emails.map((email) => ({ email }));
  // racesafe picks a table's first statement from its last two getOrCreateMany outcomes (last-outcome.ts), and reads the
  // column types on its first guarded INSERT: the first call of a case (the bench's unmeasured warm-up) settles both first,
  // so that counted and timed calls show the steady state of a table whose batches keep creating rows.
  const settled = new Set<string>();
  const settle = async (name: string, call: (keys: string[]) => Promise<unknown>) => {
    if (settled.has(name)) return;
    settled.add(name);
    for (let round = 0; round < 3; round++)
      await call(newKeys(`${name}settle${process.pid}_${round}_`, 0));
  };
  const typeormMany = async (tag: string, i: number) => {
    const call = (keys: string[]) =>
      users.getOrCreateMany(lookups(keys), { defaults: { name: batchName(i) } });
    await settle(tag, call);
    return call(newKeys(tag, i));
  };
  const sequelizeMany = async (tag: string, i: number) => {
    const call = (keys: string[]) =>
      User.getOrCreateMany({ where: lookups(keys), defaults: { name: batchName(i) } });
    await settle(tag, call);
    return call(newKeys(tag, i));
  };
  return [
    {
      group: 'manyNew',
      name: `raw ${raw.driver} ${raw.insert}`,
      library: raw.driver,
      baseline: true,
      run: (i) => raw.newRows(newKeys('rawmany', i), batchName(i)),
    },
    {
      group: 'manyNew',
      name: 'typeorm getOrCreateMany',
      library: 'typeorm',
      run: (i) => typeormMany('tomany', i),
    },
    {
      group: 'manyNew',
      name: 'sequelize getOrCreateMany',
      library: 'sequelize',
      run: (i) => sequelizeMany('sqmany', i),
    },
    {
      group: 'manyNew',
      name: `typeorm loop of ${MANY_KEYS} getOrCreate`,
      library: 'typeorm',
      async run(i) {
        for (const email of newKeys('toloop', i))
          await users.getOrCreate({ email }, { defaults: { name: batchName(i) } });
      },
    },
    {
      group: 'manyNew',
      name: `sequelize loop of ${MANY_KEYS} getOrCreate`,
      library: 'sequelize',
      async run(i) {
        for (const email of newKeys('sqloop', i))
          await User.getOrCreate({ where: { email }, defaults: { name: batchName(i) } });
      },
    },
    ...(statements?.newRows
      ? floors('manyNew', (sql, library, i) =>
          sql.newRows![library](newKeys(`${library}manyfloor`, i), batchName(i)),
        )
      : []),

    {
      group: 'manyExisting',
      name: `raw ${raw.driver} ${raw.select}`,
      library: raw.driver,
      baseline: true,
      run: () => raw.existingRows(existingKeys),
    },
    {
      group: 'manyExisting',
      name: 'typeorm getOrCreateMany',
      library: 'typeorm',
      run: (i) =>
        users.getOrCreateMany(lookups(existingKeys), { defaults: { name: batchName(i) } }),
    },
    {
      group: 'manyExisting',
      name: 'sequelize getOrCreateMany',
      library: 'sequelize',
      run: (i) =>
        User.getOrCreateMany({ where: lookups(existingKeys), defaults: { name: batchName(i) } }),
    },
    ...floors('manyExisting', (sql) => sql.existingRows(existingKeys)),
  ];
}
