import { AsyncLocalStorage } from 'node:async_hooks';

// Each queue is a chain of promises: its tail settles when the last call in it is done.
const tails = new WeakMap<object, Promise<void>>();
// The turns the current async context holds: connection -> its turn (a queue of its own for nested calls).
const held = new AsyncLocalStorage<ReadonlyMap<object, object>>();

/**
 * Runs `work` when no other racesafe call is using `connection`, so that calls sharing a
 * caller's transaction (`Promise.all` of getOrCreate inside one transaction) send their
 * statements one call after another: their savepoints then nest and release in stack
 * order (two interleaved calls would RELEASE each other's savepoint: "savepoint does not
 * exist", and the transaction aborts), and no statement is sent on a client that is still
 * executing one. Calls on different connections never wait for each other.
 *
 * A racesafe call made while `work` holds the turn (from an ORM hook it runs) joins that
 * turn instead of waiting behind it, which would never end; its own siblings take turns.
 */
export async function takeTurn<T>(connection: object, work: () => Promise<T>): Promise<T> {
  const turns = held.getStore();
  const queue = turns?.get(connection) ?? connection;
  const previous = tails.get(queue);
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const tail = previous ? previous.then(() => done) : done;
  tails.set(queue, tail);
  if (previous) await previous;
  try {
    return await held.run(new Map(turns).set(connection, {}), work);
  } finally {
    finish();
    if (tails.get(queue) === tail) tails.delete(queue);
  }
}
