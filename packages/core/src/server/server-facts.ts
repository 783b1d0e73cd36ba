import type { ModelGateway, Session } from '../gateway';
import { ScopeCache } from './scope-cache';

// Per connection configuration and question (its SQL).
const facts = new ScopeCache<Record<string, unknown> | undefined>({ sharing: 'all' });

/**
 * The first row of `sql`, a question about the server that does not change while it runs
 * (MariaDB or MySQL?), asked once per connection configuration and remembered. A failed read
 * is asked again on the next call; its driver error is racesafe's (a read: a lost connection
 * sent nothing that commits, ConnectionLostError, as in run()).
 */
export async function serverFact(
  gateway: ModelGateway<unknown>,
  session: Session,
  sql: string,
): Promise<Record<string, unknown> | undefined> {
  return facts.get(gateway, session, sql, () => session.query(sql, []).then(({ rows }) => rows[0]));
}
