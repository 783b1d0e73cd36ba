import { takeTurn, takeTurnOnceKnown } from '@racesafe/core';

/** A call that records when it starts and ends, and ends when told to. */
function step(log: string[], name: string) {
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const work = async () => {
    log.push(`${name}:start`);
    await finished;
    log.push(`${name}:end`);
    return name;
  };
  return { work, finish };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('takeTurn', () => {
  it('runs calls on one connection one after another, in arrival order', async () => {
    const log: string[] = [];
    const connection = {};
    const [a, b, c] = ['a', 'b', 'c'].map((name) => step(log, name));
    const results = [
      takeTurn(connection, a.work),
      takeTurn(connection, b.work),
      takeTurn(connection, c.work),
    ];
    await tick();
    expect(log).toEqual(['a:start']);
    c.finish();
    b.finish();
    a.finish();
    expect(await Promise.all(results)).toEqual(['a', 'b', 'c']);
    expect(log).toEqual(['a:start', 'a:end', 'b:start', 'b:end', 'c:start', 'c:end']);
  });

  it('never makes calls on different connections wait for each other', async () => {
    const log: string[] = [];
    const [a, b] = ['a', 'b'].map((name) => step(log, name));
    const results = [takeTurn({}, a.work), takeTurn({}, b.work)];
    await tick();
    expect(log).toEqual(['a:start', 'b:start']);
    b.finish();
    a.finish();
    await Promise.all(results);
  });

  it('passes the turn on when a call fails', async () => {
    const connection = {};
    const failing = takeTurn(connection, async () => {
      throw new Error('boom');
    });
    await expect(failing).rejects.toThrow('boom');
    await expect(takeTurn(connection, async () => 'next')).resolves.toBe('next');
  });

  it('lets a call made inside a turn (from an ORM hook) join it, its siblings taking turns among themselves', async () => {
    const log: string[] = [];
    const connection = {};
    const outer = takeTurn(connection, async () => {
      const [x, y] = ['x', 'y'].map((name) => step(log, name));
      const nested = [takeTurn(connection, x.work), takeTurn(connection, y.work)];
      await tick();
      expect(log).toEqual(['x:start']);
      x.finish();
      y.finish();
      return Promise.all(nested);
    });
    const after = takeTurn(connection, async () => log.push('after'));
    expect(await outer).toEqual(['x', 'y']);
    await after;
    expect(log).toEqual(['x:start', 'x:end', 'y:start', 'y:end', 'after']);
  });
});

describe('takeTurnOnceKnown', () => {
  it('holds the turn of the connection it claims from the claim until its work settles, and lets calls inside join it', async () => {
    const log: string[] = [];
    const connection = {};
    const [a, b] = ['a', 'b'].map((name) => step(log, name));
    // Work that learns its connection after starting (as Sequelize acquires a transaction's), then claims it.
    const known = (work: () => Promise<string>) =>
      takeTurnOnceKnown(async (claim) => {
        await tick();
        await claim(connection);
        const inner = await takeTurn(connection, async () => 'joined');
        return `${await work()}+${inner}`;
      });
    const results = [known(a.work), known(b.work)];
    await tick();
    await tick();
    // Queued after both claimed: it waits for both.
    results.push(takeTurn(connection, async () => (log.push('plain'), 'plain')));
    expect(log).toEqual(['a:start']);
    b.finish();
    a.finish();
    expect(await Promise.all(results)).toEqual(['a+joined', 'b+joined', 'plain']);
    expect(log).toEqual(['a:start', 'a:end', 'b:start', 'b:end', 'plain']);
  });

  it('passes the turn on when its work fails after claiming', async () => {
    const connection = {};
    await expect(
      takeTurnOnceKnown(async (claim) => {
        await claim(connection);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await expect(takeTurn(connection, async () => 'next')).resolves.toBe('next');
  });
});
