import { Client } from 'pg';

/** What one counted piece of work sent to the server. */
export interface Counted<T> {
  result: T;
  /** One round trip = one `pg.Client#query` call (a multi-statement simple query counts once). */
  roundTrips: number;
  /** The statements, shortened, in order. */
  statements: string[];
}

type Query = (this: Client, ...args: unknown[]) => unknown;

let installed = false;
let counting = false;
let statements: string[] = [];

/** The SQL text of a `client.query(...)` first argument: a string, a QueryConfig or a Submittable. */
function textOf(config: unknown): string {
  const text = typeof config === 'string' ? config : ((config as { text?: unknown } | null)?.text ?? '?');
  return String(text).replace(/\s+/g, ' ').trim();
}

/**
 * Wraps `pg.Client.prototype.query`, which raw pg, TypeORM's pool and Sequelize's
 * connections all go through (one `pg` module in node_modules), so that round trips are
 * counted from the driver rather than guessed. Call once, before any client is used.
 */
export function installRoundTripCounter(): void {
  if (installed) return;
  installed = true;
  const original = Client.prototype.query as unknown as Query;
  (Client.prototype as unknown as { query: Query }).query = function (this: Client, ...args: unknown[]) {
    if (counting) statements.push(textOf(args[0]));
    return original.apply(this, args);
  };
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
