import mysql from 'mysql2';
import { Client } from 'pg';

/** What one counted piece of work sent to the server. */
export interface Counted<T> {
  result: T;
  /**
   * One round trip = one `pg.Client#query` call (a multi-statement simple query counts once),
   * or on MariaDB one mysql2 `Connection#query` or `#execute` call.
   */
  roundTrips: number;
  /** The statements, shortened, in order. */
  statements: string[];
}

type Query = (this: unknown, ...args: unknown[]) => unknown;

let installed = false;
let counting = false;
let statements: string[] = [];

/**
 * The SQL text of a `client.query(...)` first argument: a string, a QueryConfig or a
 * Submittable (pg: `text`), or mysql2's options object or Query command (`sql`).
 */
function textOf(config: unknown): string {
  const object = config as { text?: unknown; sql?: unknown } | null;
  const text = typeof config === 'string' ? config : (object?.text ?? object?.sql ?? '?');
  return (typeof text === 'string' ? text : JSON.stringify(text)).replace(/\s+/g, ' ').trim();
}

/** Makes `prototype[method]` note each call's SQL while counting. */
function wrap(prototype: object, method: string): void {
  const target = prototype as Record<string, Query>;
  const original = target[method];
  target[method] = function (this: unknown, ...args: unknown[]) {
    if (counting) statements.push(textOf(args[0]));
    return original.apply(this, args);
  };
}

/**
 * Wraps the driver's query methods, which the raw client, TypeORM and Sequelize all go
 * through (one copy of each driver in node_modules), so that round trips are counted from
 * the driver rather than guessed. Call once, before any client is used.
 * - `pg`: `Client.prototype.query` (pg.Pool's clients, TypeORM's pool, Sequelize's connections).
 * - `mysql2`: the base `Connection.prototype.query` and `.execute`, under mysql2's pool
 *   connections and promise wrappers. TypeORM's `mysql` driver sends everything with `query`;
 *   Sequelize's `mysql` dialect uses `execute` (a prepared statement) when it binds parameters
 *   and `query` otherwise; `beginTransaction` / `commit` go through `query`. One call counts
 *   one round trip; the COM_STMT_PREPARE that `execute` sends the first time a connection
 *   sees a statement (then cached on that connection) is one-time work and not counted.
 */
export function installRoundTripCounter(driver: 'pg' | 'mysql2' = 'pg'): void {
  if (installed) return;
  installed = true;
  if (driver === 'pg') return wrap(Client.prototype, 'query');
  // mysql2 exports Connection (extends BaseConnection); PoolConnection extends Connection. The methods live on BaseConnection.
  const base = Object.getPrototypeOf(mysql.Connection.prototype) as object;
  wrap(base, 'query');
  wrap(base, 'execute');
}

/**
 * Counts the queries that `work` sends. Only meaningful when nothing else runs at the
 * same time: the bench counts on a sequential pass (concurrency 1).
 */
export async function countRoundTrips<T>(work: () => Promise<T>): Promise<Counted<T>> {
  if (!installed) throw new Error('countRoundTrips: call installRoundTripCounter() first');
  if (counting) throw new Error('countRoundTrips: already counting (nested or concurrent use)');
  statements = [];
  counting = true;
  try {
    const result = await work();
    return { result, roundTrips: statements.length, statements };
  } finally {
    counting = false;
  }
}
