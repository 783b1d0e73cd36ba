// An in-memory description of one model's columns: the metadata half of a ModelGateway.
// Pure code for unit tests; anything that would reach a database throws.
import {
  type ColumnInfo,
  type DialectAdapter,
  type FCompileContext,
  type ModelGateway,
  Parameters,
  postgresDialect,
} from '@racesafe/core';

/** Stands in for an ORM operator object (TypeORM's FindOperator); symbol-keyed objects are operators too, as in Sequelize. */
export class OrmOperator {
  constructor(
    readonly type: string,
    readonly value: unknown,
  ) {}
}

/** Stands in for an ORM SQL value (Sequelize's fn / literal); the stub writes its `sql` as is. */
export class OrmSql {
  constructor(readonly sql: string) {}
}

const column = (
  property: string,
  name: string,
  numeric: boolean,
  primary = false,
  structured = false,
): ColumnInfo => ({
  property,
  column: name,
  quoted: postgresDialect.quoteIdentifier(name),
  numeric,
  integer: numeric,
  primary,
  structured,
});

/** Columns of the stub "Account" model; property and column names differ for viewCount and updatedAt. */
export const accountColumns: readonly ColumnInfo[] = [
  column('id', 'id', true, true),
  column('email', 'email', false),
  column('name', 'name', false),
  column('balance', 'balance', true),
  column('pending', 'pending', true),
  column('viewCount', 'view_count', true),
  column('updatedAt', 'updated_at', false),
  column('tags', 'tags', false, false, true),
];

export interface StubGateway extends ModelGateway<Record<string, unknown>> {
  /** Every call of bindValue, in order. */
  readonly bindings: { property: string; value: unknown }[];
}

const notUsed = (what: string) => (): never => {
  throw new Error(`stub gateway: ${what} is not used by unit tests`);
};

export function stubGateway(
  options: {
    updateAssignments?: { property: string; sql: string }[];
    dialect?: DialectAdapter;
  } = {},
): StubGateway {
  const byProperty = new Map(accountColumns.map((c) => [c.property, c]));
  const bindings: { property: string; value: unknown }[] = [];
  return {
    dialect: options.dialect ?? postgresDialect,
    modelName: 'Account',
    tableSql: '"accounts"',
    catalogScope: {},
    bindings,
    columns: () => accountColumns,
    column: (property) => byProperty.get(property),
    bindValue(property, value, addParameter) {
      bindings.push({ property, value });
      return value instanceof OrmSql ? value.sql : addParameter(value);
    },
    isOperator: (value) =>
      value instanceof OrmOperator ||
      (typeof value === 'object' &&
        value !== null &&
        Object.getOwnPropertySymbols(value).length > 0),
    isSqlValue: (value) => value instanceof OrmSql,
    insertValues: (values) => values,
    updateAssignments: () => options.updateAssignments ?? [],
    readValue: (row, property) => row[property],
    hydrate: (raw) => raw,
    lifecycle: () => undefined,
    callerTransaction: () => undefined,
    autocommit: notUsed('autocommit'),
    transaction: notUsed('transaction'),
  };
}

/** The F compile context an ORM package builds from its gateway, over fresh or given parameters. */
export function compileContext(
  gateway: ModelGateway<unknown>,
  parameters = new Parameters(postgresDialect.placeholder),
): FCompileContext & { parameters: Parameters } {
  return {
    column: (property) => gateway.column(property)?.quoted,
    isNumeric: (property) => gateway.column(property)?.numeric === true,
    addParameter: parameters.add,
    parameters,
  };
}
