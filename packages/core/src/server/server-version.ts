import { RaceSafeError } from '../errors';
import type { ModelGateway, Session } from '../gateway';
import { ScopeCache } from './scope-cache';

// Per connection configuration: read before the first statement. The read's driver error reaches
// the caller as the driver gave it.
const versions = new ScopeCache<true>({ sharing: 'all', untranslated: true });

/**
 * Refuses a database older than its adapter's `minimumServerVersion` (SQLite before 3.35 has
 * no RETURNING and no `INSERT ... ON CONFLICT DO NOTHING`) by name, before any other statement.
 * Read once per connection configuration with the adapter's `serverVersionSql`
 * (SQLite: `SELECT sqlite_version() AS version`); synchronous, and free, once it has passed.
 * A failed read, or an old version, is asked again on the next call.
 */
export function assertSupportedVersion(
  gateway: ModelGateway<unknown>,
  session: Session,
): void | Promise<void> {
  const { serverVersionSql: sql, minimumServerVersion: minimum } = gateway.dialect;
  if (!sql || !minimum) return;
  const passed = versions.get(gateway, session, sql, () =>
    session.query(sql, []).then(({ rows }) => supported(gateway, rows[0]?.version, minimum)),
  );
  return passed === true ? undefined : passed.then(() => undefined);
}

/** True for a version at or above `minimum`; the refusal, naming both, below it. */
function supported(gateway: ModelGateway<unknown>, read: unknown, minimum: string): true {
  const version = (read ?? '') as string;
  if (compareVersions(version, minimum) >= 0) return true;
  const { name } = gateway.dialect;
  throw new RaceSafeError(
    `racesafe needs ${name} ${minimum} or later (RETURNING, INSERT ... ON CONFLICT DO NOTHING); this connection runs ${name} ${version || '(unknown version)'}. ` +
      `Upgrade the driver (better-sqlite3 and sqlite3 bundle their own SQLite) or the system library it links.`,
  );
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
