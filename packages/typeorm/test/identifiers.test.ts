import { DataSource, EntitySchema } from 'typeorm';
import { describeOnEachDatabase } from '../../../test/integration/databases';
import {
  type IdentifierTable,
  type OpenIdentifierOrm,
  describeIdentifiers,
  longColumn,
  longTable,
  oddNames,
} from '../../../test/integration/identifiers.suite';
import type { Row } from '../../../test/integration/orm';
import { raceSafe } from '../src';
import { testDataSource } from './entities';

const id = { type: Number, primary: true, generated: true } as const;

/** The suite's tables as EntitySchemas; `billingSchema` the schema (MariaDB: database) of the billing invoices. */
function schemas(
  billingSchema: string | undefined,
  onMysql: boolean,
  odd: ReturnType<typeof oddNames>,
): Record<IdentifierTable, EntitySchema> {
  return {
    reserved: new EntitySchema({
      name: 'Reserved',
      tableName: 'user',
      columns: {
        id,
        order: { type: String },
        group: { type: 'int', default: 0 },
        select: { type: String, nullable: true },
      },
    }),
    odd: new EntitySchema({
      name: 'Odd',
      tableName: odd.table,
      columns: {
        id,
        spAce: { type: String, name: odd.spAce },
        quote: { type: String, name: odd.quote, nullable: true },
        backtick: { type: 'int', name: odd.backtick, default: 0 },
      },
    }),
    long: new EntitySchema({
      name: 'Long',
      tableName: longTable,
      columns: { id, key: { type: String, name: longColumn }, n: { type: 'int', default: 0 } },
    }),
    billing: new EntitySchema({
      name: 'BillingInvoice',
      tableName: 'invoices',
      // TypeORM names MySQL's other database `database`, PostgreSQL's schema `schema`.
      ...(billingSchema ? (onMysql ? { database: billingSchema } : { schema: billingSchema }) : {}),
      columns: { id, number: { type: String }, total: { type: 'int', default: 0 } },
    }),
    invoices: new EntitySchema({
      name: 'Invoice',
      tableName: 'invoices',
      columns: { id, code: { type: String }, number: { type: 'int', default: 0 } },
    }),
  };
}

const openIdentifierOrm: OpenIdentifierOrm = async (url, billingSchema) => {
  // The test data source's driver and options, with these entities instead (the billing one only where it has a schema).
  const entities: EntitySchema[] = [];
  const dataSource = new DataSource({ ...testDataSource(url).options, entities, subscribers: [] });
  // TypeORM 1.x doubles its quote character inside a name; 0.3 does not, so its own save() cannot reach a name holding it.
  const quote = dataSource.driver.escape('x')[0] as '"' | '`';
  const odd =
    dataSource.driver.escape(`a${quote}b`) === `${quote}a${quote}${quote}b${quote}`
      ? oddNames()
      : oddNames(quote);
  const all = schemas(billingSchema, /^(mysql|mariadb):/.test(url), odd);
  entities.push(
    ...Object.entries(all)
      .filter(([table]) => table !== 'billing' || billingSchema)
      .map(([, schema]) => schema),
  );
  await dataSource.initialize();
  const repo = (table: IdentifierTable) => raceSafe(dataSource.getRepository<Row>(all[table]));
  const plain = (row: Row): Row => ({ ...row });
  return {
    getOrCreate: async (table, lookup, defaults) => {
      const [row, created] = await repo(table).getOrCreate(lookup, { defaults });
      return [plain(row), created];
    },
    getOrCreateMany: async (table, lookups, defaults) =>
      (await repo(table).getOrCreateMany(lookups, { defaults })).map(([row, created]) => [
        plain(row),
        created,
      ]),
    updateOrCreate: async (table, lookup, defaults) => {
      const [row, created] = await repo(table).updateOrCreate(lookup, { defaults });
      return [plain(row), created];
    },
    atomicUpdate: async (table, where, values): Promise<number> =>
      repo(table).atomicUpdate(where as never, values),
    query: (sql) => dataSource.query(sql),
    close: () => dataSource.destroy(),
    odd,
    billingTable:
      billingSchema &&
      `${dataSource.driver.escape(billingSchema)}.${dataSource.driver.escape('invoices')}`,
  };
};

describeOnEachDatabase('identifiers that need quoting (TypeORM)', (database) =>
  describeIdentifiers(openIdentifierOrm, database),
);
