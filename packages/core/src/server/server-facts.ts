import type { ModelGateway, Session } from '../gateway';
import { translateError } from '../db/statements';

// Per connection configuration (the gateway's catalogScope), like the unique keys.
const answers = new WeakMap<object, Map<string, Promise<Record<string, unknown> | undefined>>>();

/**
 * The first row of `sql`, a question about the server that does not change while it runs
 * (MariaDB or MySQL?), asked once per connection configuration and remembered. A failed read
 * is asked again on the next call.
 */
export function serverFact(
  gateway: ModelGateway<unknown>,
  session: Session,
  sql: string,
): Promise<Record<string, unknown> | undefined> {
  let byQuestion = answers.get(gateway.catalogScope);
  if (!byQuestion) answers.set(gateway.catalogScope, (byQuestion = new Map<string, never>()));
  let answer = byQuestion.get(sql);
  if (!answer) {
    const asked = byQuestion;
    // A read: a lost connection sent nothing that commits (ConnectionLostError), as in run().
    answer = session.query(sql, []).then(
      ({ rows }) => rows[0],
      (error: unknown) => Promise.reject(translateError(gateway, error, 'rolled-back')),
    );
    answer.catch(() => asked.delete(sql));
    asked.set(sql, answer);
  }
  return answer;
}
