import { RaceSafeError } from '../errors';
import type { ModelGateway, Session } from '../gateway';

// Answers per connection configuration, like the unique keys: read before the first statement.
const checks = new WeakMap<object, Promise<void>>();
const passed = new WeakSet<object>();

/**
 * Refuses a database older than its adapter's `minimumServerVersion` (SQLite before 3.35 has
 * no RETURNING and no `INSERT ... ON CONFLICT DO NOTHING`) by name, before any other statement.
 * Read once per connection configuration with the adapter's `serverVersionSql`
 * (SQLite: `SELECT sqlite_version() AS version`); synchronous, and free, once it has passed.
 */
export function assertSupportedVersion(
  gateway: ModelGateway<unknown>,
  session: Session,
): void | Promise<void> {
  const { serverVersionSql: sql, minimumServerVersion: minimum, name } = gateway.dialect;
  if (!sql || !minimum || passed.has(gateway.catalogScope)) return;
  let check = checks.get(gateway.catalogScope);
  if (!check) {
    check = session.query(sql, []).then(({ rows }) => {
      const version = (rows[0]?.version ?? '') as string;
      if (compareVersions(version, minimum) >= 0) return void passed.add(gateway.catalogScope);
      throw new RaceSafeError(
        `racesafe needs ${name} ${minimum} or later (RETURNING, INSERT ... ON CONFLICT DO NOTHING); this connection runs ${name} ${version || '(unknown version)'}. ` +
          `Upgrade the driver (better-sqlite3 and sqlite3 bundle their own SQLite) or the system library it links.`,
      );
    });
    // A failed read (or an old version) is asked again on the next call, not remembered.
    const scope = gateway.catalogScope;
    check.catch(() => checks.delete(scope));
    checks.set(scope, check);
  }
  return check;
}

/** Compares dotted version numbers (`3.35.0` < `3.53.2`); a missing part counts as 0. */
export function compareVersions(a: string, b: string): number {
  const left = a.split('.').map((part) => Number.parseInt(part, 10) || 0);
  const right = b.split('.').map((part) => Number.parseInt(part, 10) || 0);
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const difference = (left[i] ?? 0) - (right[i] ?? 0);
    if (difference !== 0) return Math.sign(difference);
  }
  return 0;
}
