import { RaceSafeError } from '../errors';
import type { DialectAdapter } from './dialect';
import { mysqlDialect } from './mysql';
import { postgresDialect } from './postgres';
import { sqliteDialect } from './sqlite';

export type {
  ClassifiedError,
  DialectAdapter,
  ErrorKind,
  LockStrength,
  UniqueKey,
} from './dialect';
export { postgresDialect } from './postgres';
export { duplicateKeyName, mysqlDialect } from './mysql';
export { sqliteDialect, sqliteUniqueViolation } from './sqlite';

// The one place a dialect name is looked up.
const dialects: Record<string, DialectAdapter> = Object.fromEntries(
  [postgresDialect, mysqlDialect, sqliteDialect].flatMap((dialect) =>
    [dialect.name, ...(dialect.aliases ?? [])].map((name) => [name, dialect]),
  ),
);

/**
 * The adapter for an ORM's dialect name (`postgres`, `mysql`, `mariadb`, `sqlite`, `better-sqlite3`). Throws a clear error for a database
 * racesafe does not support yet.
 */
export function dialectFor(name: string): DialectAdapter {
  const dialect = dialects[name];
  if (!dialect) {
    throw new RaceSafeError(
      `racesafe does not support the "${name}" database yet (supported: ${Object.keys(dialects).join(', ')})`,
    );
  }
  return dialect;
}
