import { F, UniqueLookupRequiredError } from '@racesafe/core';
import { useTestDatabase } from '../harness/database';
import type { SuiteDatabase } from './databases';
import type { Row } from './orm';

/** The suite's tables, by the name the suite gives them. */
export type IdentifierTable = 'reserved' | 'odd' | 'long' | 'billing' | 'invoices';

/** A 63-character name: PostgreSQL's longest identifier (NAMEDATALEN - 1); MariaDB takes 64. */
export const longTable = `t${'l'.repeat(61)}x`;
export const longColumn = `c${'o'.repeat(61)}y`;

/**
 * The tables, each with its properties as the ORM maps them:
 * - reserved: table `user`, columns `order` (unique), `group`, `select`;
 * - odd: table `Mixed Case"q`b` (a space, a double quote, a backtick), columns `Sp Ace` (unique, property spAce), `qu"ote` (quote), `back`tick` (backtick);
 * - long: a 63-character table and unique column (property key), and `n`;
 * - billing: `invoices` in another schema (PostgreSQL `billing`, MariaDB another database): unique `number` text, `total`;
 * - invoices: `invoices` in the default schema: unique `code`, `number` an integer and not unique.
 */
export const oddTable = 'Mixed Case"q`b';

/** The odd table's names; `without` the character the ORM strips from every name (Sequelize: its own quote character on the dialect). */
export function oddNames(without?: '"' | '`') {
  const strip = (name: string) => (without ? name.split(without).join(' ') : name);
  return {
    table: strip(oddTable),
    spAce: 'Sp Ace',
    quote: strip('qu"ote'),
    backtick: strip('back`tick'),
  };
}

/** What the suite needs of an ORM package: the four operations on its models of these tables. */
export interface IdentifierOrm {
  getOrCreate(table: IdentifierTable, lookup: Row, defaults?: Row): Promise<[Row, boolean]>;
  getOrCreateMany(
    table: IdentifierTable,
    lookups: Row[],
    defaults?: Row,
  ): Promise<[Row, boolean][]>;
  updateOrCreate(table: IdentifierTable, lookup: Row, defaults: Row): Promise<[Row, boolean]>;
  atomicUpdate(table: IdentifierTable, where: Row, values: Row): Promise<number>;
  query(sql: string): Promise<Row[]>;
  close(): Promise<void>;
  /**
   * The billing table as the ORM names it in SQL: `"billing"."invoices"`, `` `db_billing`.`invoices` ``;
   * Sequelize's mysql dialect has no schemas and makes `schema` a prefix of one name, `` `db_billing.invoices` ``.
   */
  readonly billingTable?: string;
  /** The odd table's names as this ORM can name them (see {@link oddNames}). */
  readonly odd: ReturnType<typeof oddNames>;
}

/** Opens an IdentifierOrm on `url`; `billingSchema` is the schema (MariaDB: database) of the billing table, undefined on SQLite. */
export type OpenIdentifierOrm = (
  url: string,
  billingSchema: string | undefined,
) => Promise<IdentifierOrm>;

/** The schema, per database: every name quoted as the database quotes it. */
function idColumn(database: SuiteDatabase): string {
  return database.dialect === 'postgres'
    ? 'id serial PRIMARY KEY'
    : database.dialect === 'mysql'
      ? 'id int AUTO_INCREMENT PRIMARY KEY'
      : 'id INTEGER PRIMARY KEY AUTOINCREMENT';
}

// MariaDB keys a TEXT column only by a prefix: varchar keys the whole value.
function keyType(database: SuiteDatabase): string {
  return database.dialect === 'mysql' ? 'varchar(100)' : 'text';
}

function schemaSql(database: SuiteDatabase): string {
  const q =
    database.dialect === 'mysql'
      ? (n: string) => `\`${n.replace(/`/g, '``')}\``
      : (n: string) => `"${n.replace(/"/g, '""')}"`;
  const id = idColumn(database);
  const key = keyType(database);
  return [
    `CREATE TABLE ${q('user')} (${id}, ${q('order')} ${key} NOT NULL UNIQUE, ${q('group')} integer NOT NULL DEFAULT 0, ${q('select')} ${key})`,
    `CREATE TABLE ${q(longTable)} (${id}, ${q(longColumn)} ${key} NOT NULL UNIQUE, n integer NOT NULL DEFAULT 0)`,
    `CREATE TABLE invoices (${id}, code ${key} NOT NULL UNIQUE, number integer NOT NULL DEFAULT 0)`,
    ...(database.dialect === 'postgres'
      ? [
          'CREATE SCHEMA billing',
          `CREATE TABLE billing.invoices (${id}, number text NOT NULL UNIQUE, total integer NOT NULL DEFAULT 0)`,
        ]
      : []),
  ].join(';\n');
}

/**
 * Names that need quoting (issue 22, item 3): reserved words, mixed case, spaces, a double
 * quote, a backtick, 63 characters, and a table of the same name in two schemas. All four
 * operations work on each, and the catalog reads (unique keys, column types) read the table
 * the model names, not its namesake in the default schema.
 */
export function describeIdentifiers(open: OpenIdentifierOrm, database: SuiteDatabase): void {
  // Registered before the database's own afterAll, which drops the database: the ORM still reaches it here.
  afterAll(async () => {
    if (database.dialect === 'mysql' && billing)
      await orm?.query(`DROP DATABASE IF EXISTS ${q(billing)}`);
    await orm?.close();
  });
  const db = useTestDatabase(schemaSql(database), {
    dialect: database.dialect,
    through: database.through,
  });
  const schemas = database.dialect !== 'sqlite';
  let billing: string | undefined;
  let orm: IdentifierOrm | undefined;
  const q =
    database.dialect === 'mysql'
      ? (n: string) => `\`${n.replace(/`/g, '``')}\``
      : (n: string) => `"${n.replace(/"/g, '""')}"`;
  const tables: Record<IdentifierTable, string> = {
    reserved: q('user'),
    odd: q(oddTable),
    long: q(longTable),
    invoices: 'invoices',
    billing: '',
  };

  beforeAll(async () => {
    if (database.dialect === 'postgres') billing = 'billing';
    if (database.dialect === 'mysql') billing = `${new URL(db.url()).pathname.slice(1)}_billing`;
    orm = await open(db.url(), billing);
    tables.billing = orm.billingTable ?? '';
    const { odd } = orm;
    tables.odd = q(odd.table);
    await orm.query(
      `CREATE TABLE ${q(odd.table)} (${idColumn(database)}, ${q(odd.spAce)} ${keyType(database)} NOT NULL UNIQUE, ${q(odd.quote)} ${keyType(database)}, ${q(odd.backtick)} integer NOT NULL DEFAULT 0)`,
    );
    if (database.dialect === 'mysql') {
      await orm.query(`CREATE DATABASE ${q(billing!)}`);
      await orm.query(
        `CREATE TABLE ${orm.billingTable} (id int AUTO_INCREMENT PRIMARY KEY, number varchar(100) NOT NULL UNIQUE, total integer NOT NULL DEFAULT 0)`,
      );
    }
  });
  beforeEach(async () => {
    for (const table of Object.values(tables)) if (table) await orm!.query(`DELETE FROM ${table}`);
  });

  const rows = async (table: IdentifierTable, columns: string[]) =>
    (await orm!.query(`SELECT ${columns.map(q).join(', ')} FROM ${tables[table]} ORDER BY id`)).map(
      (row) => columns.map((c) => String(row[c])),
    );

  /** The four operations on one table: `key` its unique property (column `keyColumn`), `count` an integer property (column `countColumn`). */
  const allFour = async (
    table: IdentifierTable,
    key: string,
    keyColumn: string,
    count: string,
    countColumn: string,
    extra: Row = {},
  ) => {
    const [created, isNew] = await orm!.getOrCreate(
      table,
      { [key]: 'a' },
      { [count]: 1, ...extra },
    );
    expect([created[key], isNew]).toEqual(['a', true]);
    const [found, again] = await orm!.getOrCreate(table, { [key]: 'a' }, { [count]: 9 });
    expect([found.id, again]).toEqual([created.id, false]);
    const [updated, updatedNew] = await orm!.updateOrCreate(table, { [key]: 'a' }, { [count]: 5 });
    expect([updated[count], updatedNew]).toEqual([5, false]);
    const [, madeNew] = await orm!.updateOrCreate(table, { [key]: 'b' }, { [count]: 2 });
    expect(madeNew).toBe(true);
    // Three batches of new keys: the last ones go by the guarded INSERT first where the dialect has it (column types read from the catalog).
    for (const batch of ['c', 'd', 'e']) {
      const results = await orm!.getOrCreateMany(
        table,
        [{ [key]: 'a' }, { [key]: `${batch}1` }, { [key]: `${batch}2` }],
        { [count]: 3 },
      );
      expect(results.map(([row, made]) => [row[key], made])).toEqual([
        ['a', false],
        [`${batch}1`, true],
        [`${batch}2`, true],
      ]);
    }
    expect(await orm!.atomicUpdate(table, { [key]: 'a' }, { [count]: F(count).plus(10) })).toBe(1);
    expect(await rows(table, [keyColumn, countColumn])).toEqual([
      ['a', '15'],
      ['b', '2'],
      ...['c', 'd', 'e'].flatMap((b) => [
        [`${b}1`, '3'],
        [`${b}2`, '3'],
      ]),
    ]);
  };

  it('runs the four operations on a table and columns named by reserved words (user, order, group, select)', async () => {
    await allFour('reserved', 'order', 'order', 'group', 'group', { select: 's' });
    expect((await rows('reserved', ['select']))[0]).toEqual(['s']);
  });

  it('runs the four operations on names with mixed case, a space, a double quote and a backtick', async () => {
    const { odd } = orm!;
    await allFour('odd', 'spAce', odd.spAce, 'backtick', odd.backtick, { quote: 'q"`' });
    expect((await rows('odd', [odd.quote]))[0]).toEqual(['q"`']);
  });

  it('runs the four operations on a 63-character table and column name', async () => {
    await allFour('long', 'key', longColumn, 'n', 'n');
  });

  (schemas ? it : it.skip)(
    'reads the unique keys and column types of the schema-qualified table, not its namesake in the default schema',
    async () => {
      await allFour('billing', 'number', 'number', 'total', 'total');
      expect(await rows('invoices', ['code'])).toEqual([]);
      // The default schema's invoices: unique by code; its number is no unique key.
      const [, created] = await orm!.getOrCreate('invoices', { code: 'x' }, { number: 7 });
      expect(created).toBe(true);
      await expect(orm!.getOrCreate('invoices', { number: 7 })).rejects.toBeInstanceOf(
        UniqueLookupRequiredError,
      );
      const results = await orm!.getOrCreateMany('invoices', [{ code: 'y' }, { code: 'z' }], {
        number: 1,
      });
      expect(results.map(([, made]) => made)).toEqual([true, true]);
      expect((await rows('billing', ['number'])).length).toBe(8);
    },
  );
}
