import type { SessionFault } from './session-fault';

/**
 * The operations a race worker must implement, named the same in both packages'
 * race-worker.ts. Each returns a small JSON value the checks read.
 */
export type RaceOp =
  | 'getOrCreate'
  | 'getOrCreate:transaction'
  | 'naive:getOrCreate'
  | 'getOrCreate:hashingHook'
  | 'naive:getOrCreate:hashingHook'
  | 'getOrCreateMany:mixed'
  | 'naive:getOrCreateMany:mixed'
  | 'updateOrCreate'
  // Issue 13: updateOrCreate in the caller's transaction, which then holds the row lock over one more round trip (PostgreSQL, MariaDB).
  | 'updateOrCreate:transaction'
  | 'naive:updateOrCreate'
  | 'atomicUpdate:increment'
  | 'naive:increment'
  | 'atomicUpdate:guardedDecrement'
  | 'naive:guardedDecrement';

/** Arguments every race worker receives. */
export interface RaceWorkerArgs {
  url: string;
  op: RaceOp;
  /** Pooled connections per process (kept below callers per process). */
  poolSize: number;
  /** OS processes in the race (for raceKey). */
  processes: number;
  /** Spread calls over this many keys; one hot key when absent. */
  keys?: number;
  /** Every n-th call instead increments users.visits with a raw `visits = visits + 1`. */
  incrementVisitsEvery?: number;
  /** SQLite: the busy timeout of every connection in ms (test/race/sqlite-busy.ts); the driver's default when absent. */
  busyTimeoutMs?: number;
  /** racesafe's retry policy for the transactions it owns (SQLite: test/race/sqlite-busy.ts); its default when absent. */
  retry?: { attempts: number };
  /** A server timeout put on this worker's own sessions once it is set up (test/race/session-fault.ts), never on the harness's. */
  sessionFault?: SessionFault;
}

/**
 * The lookup key of call i. Process p runs calls p, p + P, p + 2P...: keying on
 * floor(i / P) makes every process's n-th call hit the same key at about the same time.
 */
export function raceKey(
  args: Pick<RaceWorkerArgs, 'keys' | 'processes'>,
  callIndex: number,
): string {
  return args.keys ? `k${Math.floor(callIndex / args.processes) % args.keys}@race` : 'hot@race';
}

/** raceKey as an address an `isEmail` validator accepts (the Account models validate it). */
export function raceEmail(
  args: Pick<RaceWorkerArgs, 'keys' | 'processes'>,
  callIndex: number,
): string {
  return `${raceKey(args, callIndex)}.example`;
}

/** The getOrCreateMany race: lookups per batch, and how many keys the window of keys moves on each round. */
export const raceBatch = { size: 200, stride: 50 };

/**
 * Whether call i of the getOrCreateMany race is a batch (else a single getOrCreate): one call
 * in 4 of each process, staggered by process, so batches of neighbouring rounds (overlapping
 * windows) and single calls on the same keys run at the same time.
 */
export function isRaceBatch(args: Pick<RaceWorkerArgs, 'processes'>, callIndex: number): boolean {
  return (Math.floor(callIndex / args.processes) + (callIndex % args.processes)) % 4 === 0;
}

/**
 * The keys of call i of the getOrCreateMany race. Round r = floor(i / P) owns a window of
 * `raceBatch.size` keys starting at r x `raceBatch.stride` (neighbouring windows overlap): a
 * batch takes the whole window in an order shuffled by its call index, a single call one key of it.
 */
export function raceBatchKeys(
  args: Pick<RaceWorkerArgs, 'processes'>,
  callIndex: number,
): string[] {
  const start = Math.floor(callIndex / args.processes) * raceBatch.stride;
  const window = Array.from({ length: raceBatch.size }, (_, k) => `m${start + k}@race`);
  const random = seededRandom(callIndex);
  if (!isRaceBatch(args, callIndex)) return [window[Math.floor(random() * window.length)]];
  // Fisher-Yates: batches of the same keys in different orders, the way deadlocks are made.
  for (let k = window.length - 1; k > 0; k--) {
    const j = Math.floor(random() * (k + 1));
    [window[k], window[j]] = [window[j], window[k]];
  }
  return window;
}

/** mulberry32: the same numbers for the same seed in every process. */
function seededRandom(seed: number): () => number {
  let state = seed | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Results the workers return, per operation family. */
export interface GetOrCreateResult {
  key: string;
  id: number;
  created: boolean;
}
/** getOrCreateMany:mixed returns one GetOrCreateResult per lookup: 200 for a batch, 1 for a single getOrCreate. */
export type GetOrCreateManyResult = GetOrCreateResult[];
/** getOrCreate of an Account, whose before-create hook / @BeforeInsert listener hashes the password. */
export interface HashedAccountResult extends GetOrCreateResult {
  password: string;
}
/** The password every caller of the hashing-hook race gives. */
export const racePassword = 'secret';
export interface UpdateOrCreateResult {
  key: string;
  id: number;
  created: boolean;
  name: string;
  logins: number;
}
export interface VisitResult {
  visited: number;
}
export interface CounterResult {
  value: number;
}
export interface DecrementResult {
  sold: number;
}

/** The row the counter and stock scenarios race on. */
export const hotCounter = 'hot';
export const hotSku = 'hot';
