// Issue 13, item 4: the 'error' listener the guide tells users to attach, as the tests attach it.
import pg from 'pg';

/**
 * node-postgres whose every client listens for 'error' from the moment it is constructed, and
 * ends itself on one, so that every pool (pg-pool under TypeORM, Sequelize's own) discards it.
 *
 * Why: pg-pool hands a new client to TypeORM, and Sequelize's connection manager gets one from
 * `client.connect()`, with no 'error' listener until a promise continuation attaches theirs.
 * A backend terminated as its startup completes sends ReadyForQuery and the FATAL 57P01 in one
 * packet: the client emits 'error' in that gap and, with no listener, the process dies. Pass
 * the result as TypeORM's `driver` option or Sequelize's `dialectModule`.
 */
export function pgWithErrorListener(): typeof pg {
  class Client extends pg.Client {
    constructor(config?: string | pg.ClientConfig) {
      super(config);
      // end() marks the client _ending: pg-pool and Sequelize's validate() then discard it instead of reusing it.
      this.on('error', () => void this.end().catch(() => undefined));
    }
  }
  class Pool extends pg.Pool {
    constructor(config?: pg.PoolConfig) {
      super({ ...config, Client } as pg.PoolConfig);
    }
  }
  return Object.assign(Object.create(pg) as typeof pg, { Client, Pool });
}
