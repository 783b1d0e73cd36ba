// The 'error' listener every PostgreSQL app should give node-postgres (docs/guide.md, "What
// racesafe promises under faults"). The tests run every ORM with it (test/harness/pg-error-listener.ts
// re-exports it) and test/harness/pg-error-listener.test.ts shows that it is enough: without it a
// backend terminated as its connection starts kills the process.
//
// Why: pg-pool hands a new client to TypeORM, and Sequelize's connection manager gets one from
// `client.connect()`, with no 'error' listener until a promise continuation attaches theirs. A
// backend terminated as its startup completes sends ReadyForQuery and the FATAL 57P01 in one
// packet: the client emits 'error' in that gap and, with no listener, the process dies.
// #region pg-error-listener
import pg from 'pg';

/** node-postgres whose clients listen for 'error' from construction on, and end themselves on one (so pools discard them). */
export function pgWithErrorListener(): typeof pg {
  class Client extends pg.Client {
    constructor(config?: string | pg.ClientConfig) {
      super(config);
      this.on('error', () => void this.end().catch(() => undefined));
    }
  }
  class Pool extends pg.Pool {
    constructor(config?: pg.PoolConfig) {
      super({ ...config, Client });
    }
  }
  return Object.assign(Object.create(pg) as typeof pg, { Client, Pool });
}

// TypeORM:   new DataSource({ type: 'postgres', driver: pgWithErrorListener(), ... })
// Sequelize: new Sequelize(url, { dialectModule: pgWithErrorListener(), ... })
// #endregion
