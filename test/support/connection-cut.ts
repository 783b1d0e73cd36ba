// Issue 21, item 1: cuts one driver connection at a chosen statement, as a failover or an
// administrator would, with no timing: the statement is handed to the driver, its bytes go
// nowhere (the server never answers it), and a controller session ends the server's session.
// The driver then sees the connection lost with that statement in flight.
import type { Writable } from 'node:stream';
import mysql from 'mysql2/promise';
import { Client } from 'pg';

/** A driver connection as the ORMs hold one: a node-postgres Client or a mysql2 Connection. */
export interface DriverConnection {
  query(...args: unknown[]): unknown;
  execute?(...args: unknown[]): unknown;
  /** node-postgres: the server's pid of this session, and its socket. */
  processID?: number;
  connection?: { stream: Writable };
  /** mysql2: the server's thread id of this session, and its socket. */
  threadId?: number;
  stream?: Writable;
}

/** A controller session that ends another session of the database (`pg_terminate_backend(pid)` or `KILL CONNECTION <id>`), and runs SQL with `?` placeholders. */
export interface SessionKiller {
  kill(connection: DriverConnection): Promise<void>;
  query<Row = Record<string, unknown>>(sql: string, parameters?: unknown[]): Promise<Row[]>;
  end(): Promise<void>;
}

/** Opens the controller on `url` (PostgreSQL, or MariaDB for a `mysql://` URL). */
export async function openSessionKiller(url: string): Promise<SessionKiller> {
  if (/^(mysql|mariadb):/.test(url)) {
    const connection = await mysql.createConnection(url.replace(/^mariadb:/, 'mysql:'));
    connection.on('error', () => undefined);
    return {
      // KILL takes no placeholder; the id is the server's own integer.
      kill: async (target) =>
        void (await connection.query(`KILL CONNECTION ${Number(target.threadId)}`)),
      query: async <Row>(sql: string, parameters: unknown[] = []) =>
        (await connection.query(sql, parameters))[0] as Row[],
      end: () => connection.end(),
    };
  }
  const client = new Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  return {
    async kill(target) {
      const { rows } = await client.query<{ done: boolean }>(
        'SELECT pg_terminate_backend($1) AS done',
        [target.processID],
      );
      if (!rows[0]?.done) throw new Error(`backend ${target.processID} was not terminated`);
    },
    async query<Row>(sql: string, parameters: unknown[] = []) {
      let n = 0;
      return (
        await client.query(
          sql.replace(/\?/g, () => `$${++n}`),
          parameters,
        )
      ).rows as Row[];
    },
    end: () => client.end(),
  };
}

/** The SQL of a driver call's first argument: text, or pg's `{ text }` / mysql2's `{ sql }`. */
function sqlOf(argument: unknown): string {
  if (typeof argument === 'string') return argument;
  const { text, sql } = (argument ?? {}) as { text?: unknown; sql?: unknown };
  const found = text ?? sql;
  return typeof found === 'string' ? found : '';
}

function socketOf(connection: DriverConnection): Writable {
  const socket = connection.connection?.stream ?? connection.stream;
  if (!socket) throw new Error('connection-cut: not a node-postgres Client or a mysql2 Connection');
  return socket;
}

/** From now on, whatever the driver writes to `socket` is dropped, as on a network that went dark. */
function blackHole(socket: Writable): void {
  socket.write = ((_chunk: unknown, encoding?: unknown, callback?: unknown) => {
    const done = typeof encoding === 'function' ? encoding : callback;
    if (typeof done === 'function') process.nextTick(done);
    return true;
  }) as Writable['write'];
}

/** Statements a {@link watchStatements} saw, and the cut it made (if any). */
export interface StatementWatch {
  /** SQL of every statement sent on the connection while watched, in order (the cut one last). */
  readonly statements: string[];
  /** Settles once the controller ended the session (undefined until the cut statement was sent). */
  readonly cut: () => Promise<void> | undefined;
  /** Stops watching: the driver's own methods again. */
  stop(): void;
}

/**
 * Records the statements `connection` sends from now on (its `query` and `execute`). With
 * `cutAt` n (1-based), the n-th one is sent into a socket that drops it, and `killer` ends the
 * session on the server: the driver gets the server's goodbye (57P01, or the socket closed) while
 * that statement waits for its answer.
 */
export function watchStatements(
  connection: DriverConnection,
  killer: SessionKiller,
  cutAt?: number,
): StatementWatch {
  const statements: string[] = [];
  let cut: Promise<void> | undefined;
  const methods = (['query', 'execute'] as const).filter(
    (name) => typeof connection[name] === 'function',
  );
  for (const name of methods) {
    // eslint-disable-next-line @typescript-eslint/unbound-method -- the driver's own method, applied to its connection below
    const original = connection[name]!;
    // Synchronous, as the driver's own method: ORMs use its return value (mysql2's command object).
    connection[name] = (...args: unknown[]) => {
      statements.push(sqlOf(args[0]));
      if (statements.length === cutAt) {
        blackHole(socketOf(connection));
        cut = killer.kill(connection);
      }
      return original.apply(connection, args);
    };
  }
  return {
    statements,
    cut: () => cut,
    stop: () => methods.forEach((name) => delete connection[name]),
  };
}

/**
 * Ends `connection`'s session while it sits idle (inside a transaction, between two statements),
 * and resolves once the driver has seen its socket close: the next statement finds it gone.
 */
export async function cutWhileIdle(
  connection: DriverConnection,
  killer: SessionKiller,
): Promise<void> {
  const socket = socketOf(connection);
  const closed = socket.destroyed
    ? Promise.resolve()
    : new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await killer.kill(connection);
  await closed;
}
