import { F as SequelizeF } from '@racesafe/sequelize';
import { F as TypeormF } from '@racesafe/typeorm';
import type { Pool, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import {
  type BenchCase,
  COUNTER,
  type OrmQueries,
  floorCases,
  ormQueries,
  SEEDED_KEYS,
  hitKey,
  newKey,
  updateKey,
  updateOrCreateCases,
} from './cases';
import type { ManyStatements, RawBatch } from './cases-many';
import type { Subjects } from './subjects';

// `npm run bench -- --db mariadb`: the groups of cases.ts that exist on MariaDB, raw mysql2
// beside racesafe and the ORMs' own helpers. The baselines use mysql2's `pool.query` (the
// text protocol, what TypeORM's `mysql` driver sends too); a `pool.execute` line (a prepared
// statement, what Sequelize sends when it binds) shows what the protocol alone is worth.

/** The rows the hit path, updateOrCreate and atomicUpdate cases expect: the same keys as on PostgreSQL. */
export async function seed({ pool }: Subjects<Pool>): Promise<void> {
  const rows = ['hit', 'upd'].flatMap((prefix) =>
    Array.from({ length: SEEDED_KEYS }, (_, n) => [`${prefix}${n}@bench`, 'seeded']),
  );
  // mysql2 expands a nested array after VALUES into (a, b), (c, d), ...
  await pool.query('INSERT INTO users (email, name) VALUES ?', [rows]);
  await pool.query('INSERT INTO counters (name, value) VALUES (?, 0)', [COUNTER]);
}

// The statements racesafe itself sends on MariaDB for the hit path and for atomicUpdate (as
// the round-trip count prints them): the "ORM floor" cases send exactly these through each
// ORM's own query method. Sequelize binds `$n` (racesafe's Sequelize gateway does the same).
const RACESAFE_SELECT = 'SELECT * FROM `users` WHERE `email` = ? LIMIT 2';
const RACESAFE_UPDATE =
  'UPDATE `counters` SET `value` = (`value` + CAST(? AS SIGNED)) WHERE `name` = ?';
/** What racesafe's atomicUpdate `returning` by `{ name }` sends on MariaDB (atomic-update.ts, the mysql adapter's updateThenSelect). */
const RACESAFE_UPDATE_RETURNING = [
  'BEGIN NOT ATOMIC',
  'DECLARE racesafe_matched INT DEFAULT 0;',
  'DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END;',
  'START TRANSACTION;',
  'SELECT COUNT(*) INTO racesafe_matched FROM `counters` WHERE `name` = ? FOR UPDATE;',
  'UPDATE `counters` SET `value` = (`value` + CAST(? AS SIGNED)) WHERE `name` = ?;',
  'SELECT * FROM `counters` WHERE `name` = ? AND racesafe_matched > 0;',
  'COMMIT;',
  'END',
].join('\n');
const dollars = (sql: string) => {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
};

const SELECT_USER = 'SELECT * FROM users WHERE email = ?';
const INSERT_USER = 'INSERT INTO users (email, name) VALUES (?, ?)';
const UPSERT_USER =
  'INSERT INTO users (email, name, logins) VALUES (?, ?, 1) ON DUPLICATE KEY UPDATE name = VALUES(name), logins = logins + 1';
const INCREMENT = 'UPDATE counters SET value = value + 1 WHERE name = ?';
const SELECT_COUNTER = 'SELECT * FROM counters WHERE name = ?';
/** ER_DUP_ENTRY. */
const DUPLICATE_KEY = 1062;

/**
 * getOrCreateMany's raw baselines through mysql2 (cases-many.ts): the rows in one multi-row
 * INSERT, then read back by key (no RETURNING; a taken key would fail the whole INSERT, and
 * the bench's keys are new: a lower bound, as for the miss path); the keys in one SELECT.
 */
export function mysqlBatch({ pool }: Pick<Subjects<Pool>, 'pool'>): RawBatch {
  return {
    driver: 'mysql2',
    insert: 'multi-row INSERT, SELECT by keys',
    async newRows(emails, rowName) {
      await pool.query('INSERT INTO users (email, name) VALUES ?', [
        emails.map((email) => [email, rowName]),
      ]);
      return (await pool.query('SELECT * FROM users WHERE email IN (?)', [emails]))[0];
    },
    select: 'SELECT WHERE email IN (...)',
    existingRows: async (emails) =>
      (await pool.query('SELECT * FROM users WHERE email IN (?)', [emails]))[0],
  };
}

/** Each ORM's query method as racesafe's gateways call it: Sequelize binds `$n` on MariaDB too (dollars). */
function mariadbOrmQueries(s: Pick<Subjects<Pool>, 'typeorm' | 'sequelize'>): OrmQueries {
  const orm = ormQueries(s.typeorm.dataSource, s.sequelize.sequelize);
  return { typeorm: orm.typeorm, sequelize: (sql, bind) => orm.sequelize(dollars(sql), bind) };
}

/**
 * getOrCreateMany's SELECT of the keys as racesafe sends it on MariaDB, for the manyExisting floors
 * (cases-many.ts); its new rows go inside a compound statement, which has no floor.
 */
export function mariadbManyStatements(
  s: Pick<Subjects<Pool>, 'typeorm' | 'sequelize'>,
): ManyStatements {
  return {
    existingRows: (emails) => [
      `SELECT * FROM \`users\` WHERE \`email\` IN (${emails.map(() => '?').join(', ')})`,
      emails,
    ],
    queries: mariadbOrmQueries(s),
  };
}

/** Every MariaDB case, grouped; the first of each group is its raw mysql2 baseline. */
export function mariadbBenchCases(s: Subjects<Pool>): BenchCase[] {
  const { pool } = s;
  const { users, counters } = s.typeorm;
  const { User, Counter } = s.sequelize;
  const name = (i: number, tag = 'bench') => `${tag} ${i}`;
  const queries = mariadbOrmQueries(s);

  /**
   * The shortest correct raw get-or-create without RETURNING, for a key that is usually new:
   * INSERT, then read the row back by its key (the server fills id, plan, logins, visits and
   * created_at, and only a read shows them; racesafe returns the whole row too). On a 1062 the
   * same SELECT returns the winner's row: outside a transaction (autocommit) each statement
   * reads the latest committed rows, so no locking read is needed. The bench's keys are always
   * new, so this is always INSERT + SELECT, 2 round trips. It starts with the INSERT because
   * that is cheapest on a miss; an application that also expects hits would SELECT first and pay
   * a third round trip on a miss. No INSERT IGNORE or ON DUPLICATE KEY UPDATE: they would also
   * swallow another key's conflict (issue 10, item 2), which racesafe may not do either.
   */
  async function rawGetOrCreate(email: string, i: number) {
    try {
      await pool.query<ResultSetHeader>(INSERT_USER, [email, name(i)]);
    } catch (error) {
      if ((error as { errno?: unknown }).errno !== DUPLICATE_KEY) throw error;
    }
    const [rows] = await pool.query<RowDataPacket[]>(SELECT_USER, [email]);
    return rows[0];
  }

  /**
   * UPDATE then read back, in one transaction: 4 round trips, what an application writes by
   * hand. The key is unique and unchanged by the UPDATE, whose row lock is held until COMMIT, so
   * the SELECT (which sees this transaction's own write) returns exactly the value written.
   * racesafe sends all of it as one compound statement (BEGIN NOT ATOMIC ... END, MariaDB only):
   * the "racesafe's one statement" line sends that statement through mysql2 directly.
   */
  async function rawUpdateReturning() {
    const connection = await pool.getConnection();
    try {
      await connection.beginTransaction();
      await connection.query<ResultSetHeader>(INCREMENT, [COUNTER]);
      const [rows] = await connection.query<RowDataPacket[]>(SELECT_COUNTER, [COUNTER]);
      await connection.commit();
      return rows;
    } catch (error) {
      await connection.rollback();
      throw error;
    } finally {
      connection.release();
    }
  }

  return [
    {
      group: 'hit',
      name: 'raw mysql2 SELECT',
      library: 'mysql2',
      baseline: true,
      run: (i) => pool.query(SELECT_USER, [hitKey(i)]),
    },
    {
      group: 'hit',
      name: 'raw mysql2 SELECT, execute (prepared)',
      library: 'mysql2',
      run: (i) => pool.execute(SELECT_USER, [hitKey(i)]),
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
    ...floorCases(
      'hit',
      'getOrCreate',
      queries,
      (_, i) => [RACESAFE_SELECT, [hitKey(i)]],
      'SELECT',
    ),

    {
      group: 'miss',
      name: 'raw mysql2 INSERT, SELECT by key',
      library: 'mysql2',
      baseline: true,
      run: (i) => rawGetOrCreate(newKey('rawmiss', i), i),
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

    {
      // One round trip, but no row comes back (no RETURNING), and ON DUPLICATE KEY UPDATE fires on
      // a conflict on any unique key (username too): a lower bound, not an equal of updateOrCreate.
      group: 'updateOrCreate',
      name: 'raw mysql2 INSERT ON DUPLICATE KEY UPDATE',
      library: 'mysql2',
      baseline: true,
      run: (i) => pool.query(UPSERT_USER, [updateKey(i), name(i, 'raw')]),
    },
    ...updateOrCreateCases(s),
    {
      group: 'updateOrCreateNew',
      name: 'raw mysql2 INSERT ON DUPLICATE KEY UPDATE',
      library: 'mysql2',
      baseline: true,
      run: (i) => pool.query(UPSERT_USER, [newKey('rawups', i), name(i, 'raw')]),
    },
    ...updateOrCreateCases(s, 'updateOrCreateNew'),

    {
      group: 'atomicUpdate',
      name: 'raw mysql2 UPDATE SET n = n + 1',
      library: 'mysql2',
      baseline: true,
      run: () => pool.query(INCREMENT, [COUNTER]),
    },
    {
      group: 'atomicUpdate',
      name: 'raw mysql2 UPDATE, execute (prepared)',
      library: 'mysql2',
      run: () => pool.execute(INCREMENT, [COUNTER]),
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

    {
      group: 'atomicUpdateReturning',
      name: 'raw mysql2 START TRANSACTION, UPDATE, SELECT, COMMIT',
      library: 'mysql2',
      baseline: true,
      run: rawUpdateReturning,
    },
    {
      group: 'atomicUpdateReturning',
      name: "raw mysql2, racesafe's one statement",
      library: 'mysql2',
      run: () => pool.query(RACESAFE_UPDATE_RETURNING, [COUNTER, 1, COUNTER, COUNTER]),
    },
    {
      group: 'atomicUpdateReturning',
      name: 'typeorm atomicUpdate returning',
      library: 'typeorm',
      run: () =>
        counters.atomicUpdate(
          { name: COUNTER },
          { value: TypeormF('value').plus(1) },
          { returning: true },
        ),
    },
    {
      group: 'atomicUpdateReturning',
      name: 'sequelize atomicUpdate returning',
      library: 'sequelize',
      run: () =>
        Counter.atomicUpdate(
          { value: SequelizeF('value').plus(1) },
          { where: { name: COUNTER }, returning: true },
        ),
    },
  ];
}
