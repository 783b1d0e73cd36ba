import type { ModelGateway, Session } from '../gateway';
import { ScopeStore } from './scope-store';
import { translateError } from './translate-error';

/**
 * Who waits for a read already in flight:
 * - `all`: every caller, and a failed read fails them all (one question per server: its version,
 *   its sql_mode, MariaDB or MySQL);
 * - `outside-transaction`: callers outside a transaction; a caller holding a connection in a
 *   transaction reads on its own session, as the shared read may wait for this very connection's
 *   pool (a pool of one deadlocks), and a caller whose shared read failed reads again on its own;
 * - `none`: every caller reads on its own session until one has answered (a SELECT, and none
 *   waits for another's connection).
 */
export type Sharing = 'all' | 'outside-transaction' | 'none';

/** How a {@link ScopeCache} reads. */
export interface ScopeCacheOptions<V> {
  sharing: Sharing;
  /** Where answers are kept, when another module reads them synchronously (the unique keys). */
  store?: ScopeStore<V>;
  /**
   * Pass the read's driver error as it is: the version check, whose errors never were translated.
   */
  untranslated?: boolean;
}

/**
 * One answer per connection configuration and key (a table, a question) that does not change
 * while the server runs, read once and kept: a read in flight is shared (see {@link Sharing}), a
 * failed read is forgotten so the next call asks again (a connection lost during it must not fail
 * every later call), and a driver error of the read becomes racesafe's error (a SELECT: a lost
 * connection committed nothing, ConnectionLostError).
 */
export class ScopeCache<V> {
  readonly store: ScopeStore<V>;
  private readonly inFlight = new ScopeStore<Promise<V>>();

  constructor(private readonly options: ScopeCacheOptions<V>) {
    this.store = options.store ?? new ScopeStore<V>();
  }

  /**
   * The kept answer (synchronously: a cached hit costs no extra await), else the read in flight,
   * else `read()` on `session`, kept once it answers.
   */
  get(
    gateway: ModelGateway<unknown>,
    session: Session,
    key: string,
    read: () => Promise<V>,
  ): V | Promise<V> {
    if (this.store.has(gateway, key)) return this.store.peek(gateway, key)!;
    const shared = this.inFlight.peek(gateway, key);
    const { sharing } = this.options;
    if (!shared || sharing === 'none') return this.start(gateway, key, read);
    if (sharing === 'all') return shared;
    if (session.inTransaction) return this.readAlone(gateway, key, read);
    return shared.catch(() => this.get(gateway, session, key, read));
  }

  /** Drops the kept answer and the read in flight: the next call reads again. */
  forget(gateway: ModelGateway<unknown>, key: string): void {
    this.store.forget(gateway, key);
    this.inFlight.forget(gateway, key);
  }

  /** A read others may share, dropped if it fails. */
  private start(gateway: ModelGateway<unknown>, key: string, read: () => Promise<V>): Promise<V> {
    const answer = this.readAlone(gateway, key, read);
    if (this.options.sharing === 'none') return answer;
    this.inFlight.keep(gateway, key, answer);
    answer.catch(() => {
      if (this.inFlight.peek(gateway, key) === answer) this.inFlight.forget(gateway, key);
    });
    return answer;
  }

  /** The read itself; its answer kept, its driver error translated. */
  private readAlone(
    gateway: ModelGateway<unknown>,
    key: string,
    read: () => Promise<V>,
  ): Promise<V> {
    return read().then(
      (value) => {
        this.store.keep(gateway, key, value);
        return value;
      },
      (error: unknown) =>
        Promise.reject(this.options.untranslated ? error : translateError(gateway, error)),
    );
  }
}
