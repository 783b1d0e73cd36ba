// Types shared by the race parent (race.ts), the forked child (race-child.ts) and worker modules.

/** What the child knows about its place in the race; passed to `createWorker`. */
export interface RaceWorkerContext {
  /** 0-based index of this OS process; it runs call indexes `i` with `i % processes === processIndex`. */
  processIndex: number;
  processes: number;
}

/** What a worker module's `createWorker` returns: one instance (one pool) per OS process. */
export interface RaceWorker {
  /** One racing call; the result must be a small JSON-serialisable value. */
  call(callIndex: number): Promise<unknown>;
  close(): Promise<void>;
  /** Counts the worker kept over its calls (e.g. SQLITE_BUSY errors its driver saw); summed over processes into `RaceReport.counters`. */
  counters?(): Record<string, number>;
}

/** The contract of the module named by `RaceOptions.worker`. */
export interface RaceWorkerModule {
  createWorker(args: unknown, ctx: RaceWorkerContext): Promise<RaceWorker>;
}

/** One call as observed in its child. Times are ms since the parent's 'go' (shared clock). */
export interface CallRecord {
  call: number;
  process: number;
  caller: number;
  startMs: number;
  endMs: number;
  ok: boolean;
  value?: unknown;
  error?: { name: string; code?: string; message: string };
}

export type ParentMessage =
  | {
      type: 'init';
      worker: string;
      args: unknown;
      processIndex: number;
      processes: number;
      callersPerProcess: number;
      calls: number;
    }
  /** `goEpochMs` = the parent's timeOrigin + now(), so all children share one time axis. */
  | { type: 'go'; goEpochMs: number }
  /** Close the worker, answer 'closed', then wait for another 'init' (race.ts keeps the process for the next race). */
  | { type: 'close' };

export type ChildMessage =
  | { type: 'ready' }
  | { type: 'records'; records: CallRecord[] }
  | { type: 'done'; counters?: Record<string, number> }
  | { type: 'closed' }
  | { type: 'failed'; phase: string; error: string };
