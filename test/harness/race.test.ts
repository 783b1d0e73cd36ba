import path from 'node:path';
import { Client } from 'pg';
import { useTestDatabase } from './database';
import { formatReport, runRace, type RaceReport } from './race';
import type { CounterArgs } from './fixtures/counter-worker';
import type { BrokenMode } from './fixtures/broken-worker';

const db = useTestDatabase('CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL)');
const counterWorker = path.join(__dirname, 'fixtures/counter-worker.ts');
const brokenWorker = path.join(__dirname, 'fixtures/broken-worker.ts');
const pidWorker = path.join(__dirname, 'fixtures/pid-worker.ts');
const shape = { processes: 4, callersPerProcess: 8, calls: 400 };

async function sql<T>(text: string): Promise<T[]> {
  const client = new Client({ connectionString: db.url() });
  await client.connect();
  try {
    return (await client.query(text)).rows as T[];
  } finally {
    await client.end();
  }
}

async function race(op: CounterArgs['op']): Promise<{ report: RaceReport; n: number }> {
  await sql('INSERT INTO counter VALUES (1, 0) ON CONFLICT (id) DO UPDATE SET n = 0');
  const args: CounterArgs = { url: db.url(), op };
  const report = await runRace({ worker: counterWorker, args, label: op, ...shape });
  const [{ n }] = await sql<{ n: number }>('SELECT n FROM counter WHERE id = 1');
  console.log(`${formatReport(report)} | setup ${report.setupMs.toFixed(0)} ms | counter ${n}`);
  return { report, n };
}

describe('runRace', () => {
  it('runs every call once, each in its process share, and atomic increments all land', async () => {
    const { report, n } = await race('atomic');
    expect(report.errorCount).toBe(0);
    expect(report.calls.map((c) => c.call)).toEqual([...Array(shape.calls).keys()]);
    expect(report.calls.every((c) => c.process === c.call % shape.processes)).toBe(true);
    expect(n).toBe(report.okCount);
    expect(n).toBe(shape.calls);
    // Each UPDATE ... RETURNING saw a distinct value: a permutation of 1..400.
    const seen = report.calls.map((c) => (c.value as { n: number }).n).sort((a, b) => a - b);
    expect(seen).toEqual([...Array(shape.calls).keys()].map((i) => i + 1));
    // Each process's own count (RaceWorker.counters), summed by the parent.
    expect(report.counters).toEqual({ calls: shape.calls });
  });

  it('exposes lost updates of a read-modify-write', async () => {
    const { report, n } = await race('naive');
    expect(report.okCount).toBe(shape.calls);
    expect(n).toBeLessThan(report.okCount);
  });

  it('fails a race that sends a statement on a pg client still executing one', async () => {
    await expect(race('one-client')).rejects.toThrow(/already executing a query/);
  });

  const broken = (mode: BrokenMode, timeoutMs?: number) =>
    runRace({
      worker: brokenWorker,
      args: { mode },
      processes: 2,
      callersPerProcess: 2,
      calls: 20,
      timeoutMs,
    });

  it('rejects when a worker throws in createWorker', async () => {
    await expect(broken('throw-in-create')).rejects.toThrow(
      /failed in createWorker: Error: createWorker refused on purpose/,
    );
  });

  it('rejects with the stderr tail when a child exits during the calls', async () => {
    await expect(broken('exit-during-calls')).rejects.toThrow(
      /exited early \(code 3[\s\S]*about to crash on purpose/,
    );
  });

  it('rejects on timeout and kills the children', async () => {
    await expect(broken('hang-in-create', 500)).rejects.toThrow(/timed out after 500 ms/);
  });

  /** The process ids of a 2-process race of pid-worker.ts, and what each call saw of the module. */
  async function pidRace(): Promise<{ pids: number[]; workersCreated: number[] }> {
    const report = await runRace({
      worker: pidWorker,
      processes: 2,
      callersPerProcess: 1,
      calls: 2,
    });
    const values = report.calls.map((c) => c.value as { pid: number; workersCreated: number });
    return {
      pids: values.map((v) => v.pid).sort((a, b) => a - b),
      workersCreated: values.map((v) => v.workersCreated),
    };
  }

  it('runs the next race in the same processes, each loading the worker module afresh', async () => {
    const first = await pidRace();
    const second = await pidRace();
    expect(new Set(first.pids).size).toBe(2);
    expect(second.pids).toEqual(first.pids);
    // A module-level counter of the worker starts again: no state of the repository's modules carries over.
    expect(second.workersCreated).toEqual([1, 1]);
  });

  it('shares idle processes with the next test file of this jest process', async () => {
    const first = await pidRace();
    // A second copy of race.ts in its own module registry, as the next test file loads it.
    let nextFile!: typeof import('./race');
    jest.isolateModules(() => {
      nextFile = jest.requireActual<typeof import('./race')>('./race');
    });
    expect(nextFile.runRace).not.toBe(runRace);
    const report = await nextFile.runRace({
      worker: pidWorker,
      processes: 2,
      callersPerProcess: 1,
      calls: 2,
    });
    const pids = report.calls.map((c) => (c.value as { pid: number }).pid).sort((a, b) => a - b);
    expect(pids).toEqual(first.pids);
  });

  it('never runs a race in a process of a race that failed', async () => {
    const before = await pidRace();
    // Takes both idle processes, fails in createWorker: runRace kills them.
    await expect(broken('throw-in-create')).rejects.toThrow(/refused on purpose/);
    const after = await pidRace();
    expect(after.pids.filter((pid) => before.pids.includes(pid))).toEqual([]);
  });
});
