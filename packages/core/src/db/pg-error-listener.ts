// TypeScript's rule for mixins: a class that extends a constructor type must take `...args: any[]`,
// and pg's Client and Pool are extended here with their own arguments passed through unchanged.
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-argument */
/**
 * What {@link pgWithErrorListener} needs of node-postgres (`import pg from 'pg'`): its Client and
 * Pool classes.
 */
export interface PgModule {
  /** node-postgres' Client class. */
  Client: {
    /**
     * A client, from pg's own arguments (a connection string or a ClientConfig). Any arguments: a
     * subclass must take `...args: any[]`.
     */
    new (...args: any[]): PgClientEvents;
  };
  /** node-postgres' Pool class. */
  Pool: {
    /** A pool, from pg's own arguments (a PoolConfig). */
    new (...args: any[]): object;
  };
}

/** The part of a node-postgres Client that {@link pgWithErrorListener} uses. */
export interface PgClientEvents {
  /** Adds a listener; pgWithErrorListener adds one for `'error'`. */
  on(event: 'error', listener: (error: Error) => void): unknown;
  /** Closes the connection; the client's pool then discards it. */
  end(): Promise<void>;
}

/**
 * node-postgres (`pg`) whose clients listen for `'error'` from construction on and end themselves
 * on one, so that a pool discards them. Give it to your ORM in place of `pg`; racesafe sends no
 * statement of its own here, and nothing else changes.
 *
 * Why: when the server ends a session (a failover, `pg_terminate_backend`, an idle-session
 * timeout, a restart), node-postgres emits `'error'` on that client, and a Node.js EventEmitter
 * with no `'error'` listener throws, which ends the process. TypeORM and Sequelize attach their
 * listener only once a new client has connected (a promise continuation later): a session ended
 * just as its connection starts (the server sends ReadyForQuery and the termination in one packet)
 * emits `'error'` in that gap and kills the process, inside pg and ORM code, before racesafe is
 * reached (typeorm/typeorm#5387, sequelize/sequelize#12704). With this listener the client ends,
 * the pool drops it, and the next statement on it fails with a lost connection that racesafe
 * reports as {@link ConnectionLostError} or {@link IndeterminateError}.
 *
 * @param pg The node-postgres module your ORM would load (`import pg from 'pg'`).
 * @returns An object that has everything `pg` has, with Client and Pool replaced by subclasses
 * (Pool builds its clients from that Client).
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * // TypeORM
 * new DataSource({ type: 'postgres', url, driver: pgWithErrorListener(pg), entities: [User] });
 * // Sequelize
 * new Sequelize(url, { dialect: 'postgres', dialectModule: pgWithErrorListener(pg) });
 * ```
 */
export function pgWithErrorListener<Pg extends PgModule>(pg: Pg): Pg {
  class Client extends pg.Client {
    constructor(...args: any[]) {
      super(...args);
      // From construction on: the client ends itself, and its pool discards it.
      this.on('error', () => void this.end().catch(() => undefined));
    }
  }
  class Pool extends pg.Pool {
    constructor(config?: any, ...rest: any[]) {
      super({ ...config, Client }, ...rest);
    }
  }
  return Object.assign(Object.create(pg) as Pg, { Client, Pool });
}
