import type sqlite3 from 'sqlite3';

/**
 * The busy timeout of every race worker connection on SQLite, in ms: how long a statement
 * waits for the database's write lock before SQLITE_BUSY. Deliberately far below the
 * drivers' defaults (node-sqlite3 1000 ms, better-sqlite3 5000 ms, during which it blocks
 * its process's event loop): under 16 callers some waits outlast it, so the SQLITE_BUSY
 * that racesafe retries really happens in the runs (counted as `busy`) instead of being
 * absorbed by a long wait. Measured on 2 cores: at 10 ms racesafe met SQLITE_BUSY up to 32
 * (TypeORM) and 372 (Sequelize, its own statement retries included) times per scenario and
 * surfaced none; at 0 ms its 5 attempts ran out (31 RetryableErrors in 1,000
 * updateOrCreate calls). A deferred transaction that
 * read first and cannot upgrade gets SQLITE_BUSY_SNAPSHOT at once, whatever the timeout
 * (docs/database-behaviours.md#sqlite-a-reader-cannot-become-a-writer-after-another-commit). `RACESAFE_SQLITE_BUSY_TIMEOUT_MS` overrides it (to compare settings).
 */
export const raceBusyTimeoutMs = Number(process.env.RACESAFE_SQLITE_BUSY_TIMEOUT_MS ?? 20);

/**
 * racesafe's attempts for its own transactions in the SQLite races. With the 20 ms busy timeout
 * above, the default 5 attempts wait about 150 ms in all for the write lock, a seventh of what
 * node-sqlite3 waits by default for one statement (1 s): measured with both cores overloaded
 * (load 17), 2 of 1,000 hot-key updateOrCreate calls per ORM ran out of attempts
 * (RetryableError). Ten attempts wait up to about 1.3 s in all; SQLITE_BUSY is still met and
 * retried in the runs (`busy` in the report).
 */
export const raceRetry = { attempts: 10 };

/** True for a driver error whose (extended) code is SQLITE_BUSY*, however the ORM wrapped it. */
export function isSqliteBusy(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 3) return false;
  const candidate = error as {
    code?: unknown;
    driverError?: unknown;
    original?: unknown;
    parent?: unknown;
    cause?: unknown;
  };
  if (typeof candidate.code === 'string' && candidate.code.startsWith('SQLITE_BUSY')) return true;
  return [candidate.driverError, candidate.original, candidate.parent, candidate.cause].some(
    (inner) => inner !== error && isSqliteBusy(inner, depth + 1),
  );
}

/**
 * Runs one autocommit statement of the test's own (not racesafe's) again while it fails with
 * SQLITE_BUSY*: a failed autocommit statement wrote nothing, and the race's checks need every
 * one of them to land. racesafe's calls never go through here.
 */
export async function untilNotBusy<T>(statement: () => Promise<T>, attempts = 50): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await statement();
    } catch (error) {
      if (!isSqliteBusy(error) || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10));
    }
  }
}

/** The statement of the race's own concurrent writer (the updateOrCreate scenario's visits), counted apart from racesafe's. */
export function isVisitsWriter(sql: string): boolean {
  return /SET visits = visits \+ 1/.test(sql);
}

type Callback = (this: unknown, error: Error | null, ...rest: unknown[]) => void;

/**
 * Sequelize's sqlite dialect opens a node-sqlite3 connection per transaction (and one for
 * statements outside any); it has no busy-timeout option. Sets `busyTimeoutMs` on each
 * connection when it is opened and calls `onBusy` for every statement that failed with
 * SQLITE_BUSY*. Sequelize retries such a statement up to 5 times by itself
 * (`options.retry.match: ['SQLITE_BUSY: database is locked']`), so these count statement
 * failures, not calls. `onBusy` gets the statement.
 */
export function watchSequelizeSqlite(
  sequelize: { connectionManager: unknown },
  busyTimeoutMs: number,
  onBusy: (sql: string) => void,
): void {
  const manager = sequelize.connectionManager as {
    getConnection(options?: unknown): Promise<sqlite3.Database>;
  };
  const getConnection = manager.getConnection.bind(manager);
  const seen = new WeakSet<sqlite3.Database>();
  manager.getConnection = async (options) => {
    const connection = await getConnection(options);
    if (seen.has(connection)) return connection;
    seen.add(connection);
    connection.configure('busyTimeout', busyTimeoutMs);
    for (const method of ['all', 'run', 'exec'] as const) {
      // eslint-disable-next-line @typescript-eslint/unbound-method -- the original, called below with the connection as `this`
      const original = connection[method] as (...args: unknown[]) => unknown;
      (connection as unknown as Record<string, unknown>)[method] = function (
        this: unknown,
        ...args: unknown[]
      ) {
        const callback = args[args.length - 1];
        if (typeof callback === 'function') {
          args[args.length - 1] = function (
            this: unknown,
            error: Error | null,
            ...rest: unknown[]
          ) {
            if (error && isSqliteBusy(error)) onBusy(String(args[0]));
            return (callback as Callback).call(this, error, ...rest);
          };
        }
        return original.apply(this, args);
      };
    }
    return connection;
  };
}
