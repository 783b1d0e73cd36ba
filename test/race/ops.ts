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
  | 'updateOrCreate'
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
}

/**
 * The lookup key of call i. Process p runs calls p, p + P, p + 2P...: keying on
 * floor(i / P) makes every process's n-th call hit the same key at about the same time.
 */
export function raceKey(args: Pick<RaceWorkerArgs, 'keys' | 'processes'>, callIndex: number): string {
  return args.keys ? `k${Math.floor(callIndex / args.processes) % args.keys}@race` : 'hot@race';
}

/** raceKey as an address an `isEmail` validator accepts (the Account models validate it). */
export function raceEmail(args: Pick<RaceWorkerArgs, 'keys' | 'processes'>, callIndex: number): string {
  return `${raceKey(args, callIndex)}.example`;
}

/** Results the workers return, per operation family. */
export interface GetOrCreateResult {
  key: string;
  id: number;
  created: boolean;
}
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
