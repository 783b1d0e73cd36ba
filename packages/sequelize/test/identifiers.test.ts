import { DataTypes, type ModelStatic, type Model } from 'sequelize';
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
import { testSequelize } from './models';

const id = { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true };
const text = (field?: string, allowNull = false) => ({
  type: DataTypes.STRING(100),
  allowNull,
  ...(field ? { field } : {}),
});
const integer = (field?: string) => ({
  type: DataTypes.INTEGER,
  allowNull: false,
  defaultValue: 0,
  ...(field ? { field } : {}),
});

const openIdentifierOrm: OpenIdentifierOrm = async (url, billingSchema) => {
  const { sequelize } = testSequelize(url);
  const common = { timestamps: false };
  // Sequelize strips its dialect's quote character from every name (removeTicks): its own Model.create cannot reach a name holding it.
  const generator = sequelize.getQueryInterface().queryGenerator as {
    quoteIdentifier(name: string): string;
    quoteTable(table: unknown): string;
  };
  const odd = oddNames(generator.quoteIdentifier('x')[0] as '"' | '`');
  const models: Partial<Record<IdentifierTable, ModelStatic<Model>>> = {
    reserved: sequelize.define(
      'Reserved',
      { id, order: text(), group: integer(), select: text(undefined, true) },
      { ...common, tableName: 'user' },
    ),
    odd: sequelize.define(
      'Odd',
      { id, spAce: text(odd.spAce), quote: text(odd.quote, true), backtick: integer(odd.backtick) },
      { ...common, tableName: odd.table },
    ),
    long: sequelize.define(
      'Long',
      { id, key: text(longColumn), n: integer() },
      { ...common, tableName: longTable },
    ),
    invoices: sequelize.define(
      'Invoice',
      { id, code: text(), number: integer() },
      { ...common, tableName: 'invoices' },
    ),
  };
  if (billingSchema)
    models.billing = sequelize.define(
      'BillingInvoice',
      { id, number: text(), total: integer() },
      { ...common, tableName: 'invoices', schema: billingSchema },
    );
  const model = (table: IdentifierTable) => raceSafe(models[table]!);
  const plain = (row: Model): Row => row.get({ plain: true }) as Row;
  return {
    getOrCreate: async (table, where, defaults) => {
      const [row, created] = await model(table).getOrCreate({ where, defaults } as never);
      return [plain(row), created];
    },
    getOrCreateMany: async (table, where, defaults) =>
      (await model(table).getOrCreateMany({ where, defaults } as never)).map(([row, created]) => [
        plain(row),
        created,
      ]),
    updateOrCreate: async (table, where, defaults) => {
      const [row, created] = await model(table).updateOrCreate({ where, defaults } as never);
      return [plain(row), created];
    },
    atomicUpdate: (table, where, values) =>
      model(table).atomicUpdate(values as never, { where: where as never }),
    query: async (sql) => (await sequelize.query(sql))[0] as Row[],
    close: () => sequelize.close(),
    odd,
    // Sequelize's own quoting of the model's table: on its mysql dialect `schema` is a prefix of one name.
    billingTable: models.billing && generator.quoteTable(models.billing.getTableName()),
  };
};

describeOnEachDatabase('identifiers that need quoting (Sequelize)', (database) =>
  describeIdentifiers(openIdentifierOrm, database),
);
