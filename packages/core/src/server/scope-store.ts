import type { ModelGateway } from '../gateway';

/**
 * Answers kept per connection configuration (the gateway's `catalogScope`, weakly held: a closed
 * DataSource or Sequelize instance takes its answers with it) and per key within it (a table, a
 * question). The storage under {@link ScopeCache}; used alone where nothing is read
 * (last-outcome.ts).
 */
export class ScopeStore<V> {
  private readonly scopes = new WeakMap<object, Map<string, V>>();

  /** Whether an answer is kept for `key` (an answer may itself be undefined). */
  has(gateway: ModelGateway<unknown>, key: string): boolean {
    return this.scopes.get(gateway.catalogScope)?.has(key) ?? false;
  }

  /** The answer kept for `key`, if any. */
  peek(gateway: ModelGateway<unknown>, key: string): V | undefined {
    return this.scopes.get(gateway.catalogScope)?.get(key);
  }

  /** Keeps `value` as the answer for `key`. */
  keep(gateway: ModelGateway<unknown>, key: string, value: V): void {
    let answers = this.scopes.get(gateway.catalogScope);
    if (!answers) this.scopes.set(gateway.catalogScope, (answers = new Map<string, V>()));
    answers.set(key, value);
  }

  /** Drops the answer kept for `key`. */
  forget(gateway: ModelGateway<unknown>, key: string): void {
    this.scopes.get(gateway.catalogScope)?.delete(key);
  }
}
