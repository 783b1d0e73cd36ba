import { identifierParts } from '../../packages/core/src/dialects/identifiers';
import { mysqlDialect, postgresDialect, sqliteDialect } from '@racesafe/core';

describe('identifierParts: a quoted, qualified table name as the catalog names it', () => {
  it.each([
    ['"users"', ['users']],
    ['`users`', ['users']],
    ['[users]', ['users']],
    ['users', ['users']],
    ['"billing"."invoices"', ['billing', 'invoices']],
    ['`shop`.`order`', ['shop', 'order']],
    ['"a""b"', ['a"b']],
    ['`a``b`', ['a`b']],
    ['"Mixed Case""q`b"', ['Mixed Case"q`b']],
    ['`Mixed Case"q``b`', ['Mixed Case"q`b']],
    ['"a.b"."c"', ['a.b', 'c']],
    ['billing.invoices', ['billing', 'invoices']],
  ])('%s -> %j', (quoted, parts) => {
    expect(identifierParts(quoted)).toEqual(parts);
  });

  it('binds what each catalog read takes: PostgreSQL the quoted name, MySQL schema and name, SQLite the bare name', () => {
    expect(postgresDialect.catalogTable('"billing"."invoices"')).toBe('"billing"."invoices"');
    expect(mysqlDialect.catalogTable('`other`.`invoices`')).toBe('other\u001finvoices');
    expect(mysqlDialect.catalogTable('`in``voices`')).toBe('\u001fin`voices');
    expect(sqliteDialect.catalogTable('"quo""te"')).toBe('quo"te');
  });
});
