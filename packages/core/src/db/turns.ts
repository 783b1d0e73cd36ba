import { AsyncLocalStorage } from 'node:async_hooks';

// Each queue is a chain of promises: its tail settles when the last call in it is done.
const tails = new WeakMap<object, Promise<void>>();
// The turns the current async context holds: connection -> its turn (a queue of its own for nested
// calls).
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
  const place = queueUp(turns?.get(connection) ?? connection);
  await place.ready;
  try {
    return await held.run(new Map(turns).set(connection, {}), work);
  } finally {
    place.leave();
  }
}

/**
 * {@link takeTurn} for work that learns its connection only once it has started: Sequelize
 * acquires a transaction's connection inside its own transaction steps, and on SQLite `:memory:`
 * hands every transaction the same one, where two racesafe transactions at once would send BEGIN
 * inside BEGIN. `work` calls `claim(connection)` as soon as it knows the connection (before it
 * sends anything on it); claim resolves when that connection's turn comes. The turn is held until
 * `work` settles, and racesafe calls made inside `work` join it, as with takeTurn.
 *
 * @example
 * await takeTurnOnceKnown(async (claim) => { const connection = await acquire(); await
 * claim(connection); return useIt(connection); });
 */
export async function takeTurnOnceKnown<T>(
  work: (claim: (connection: object) => Promise<void>) => Promise<T>,
): Promise<T> {
  // This call's own map: filled in by claim, read by the racesafe calls work makes after it.
  const turns = new Map(held.getStore());
  const places: { leave(): void }[] = [];
  const claim = async (connection: object) => {
    const place = queueUp(turns.get(connection) ?? connection);
    places.push(place);
    await place.ready;
    turns.set(connection, {});
  };
  try {
    return await held.run(turns, () => work(claim));
  } finally {
    for (const place of places) place.leave();
  }
}

/**
 * Joins the end of `queue`: `ready` settles when the calls before are done (undefined: none);
 * `leave` lets the next one go.
 */
function queueUp(queue: object): { ready: Promise<void> | undefined; leave(): void } {
  const previous = tails.get(queue);
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const tail = previous ? previous.then(() => done) : done;
  tails.set(queue, tail);
  return {
    ready: previous,
    leave() {
      finish();
      if (tails.get(queue) === tail) tails.delete(queue);
    },
  };
}
