import type { LockStrength, UniqueKey } from './dialects';
import { ConflictError, InvalidFieldError, MultipleRowsError } from './errors';
import type { ModelGateway, PendingWrite, RowLifecycle, Session } from './gateway';
import { readWinner } from './get-or-create';
import { createWithHooks } from './create-row';
import { type RetryPolicy, withRetries } from './retry';
import { type Parameters, findOne, inCallerTransaction, inSavepoint, liveLookupCondition, parametersFor, run } from './statements';
import { lookupKey } from './unique-keys';
import { assertKnownFields, assertPlainLookup, assertWritableValues } from './validate';

/** Values for each new row: an object, or a function of the row's lookup called only for rows about to be created. */
export type ManyDefaults = Record<string, unknown> | ((lookup: Record<string, unknown>) => Record<string, unknown>);

/** Options of getOrCreateMany, shared by both packages. */
export interface GetOrCreateManyCoreOptions {
  defaults?: ManyDefaults;
  /** Retries when racesafe owns the statements (default 5 attempts). */
  retry?: RetryPolicy;
}

/** One distinct lookup of the input, and what became of it. */
interface Wanted<Row> {
  lookup: Record<string, unknown>;
  /** Its key values, canonical: equal lookups share one, and batches sort by it. */
  id: string;
  result?: [Row, boolean];
}

/**
 * getOrCreate for many lookups of one unique key: `[row, created][]` in input order; a lookup
 * given twice gets the same row (created at most once, reported created on its first place).
 * Per chunk of lookups (sized under the dialect's bound-parameter limit):
 * `SELECT * FROM t WHERE (<lookup>) OR (<lookup>) ...`, then for the rows missing one multi-row
 * `INSERT ... ON CONFLICT (<key>) DO NOTHING RETURNING *` in key order (two batches that insert
 * overlapping keys in the same order wait for each other instead of deadlocking), then one
 * re-read of the keys a concurrent caller took meanwhile. Without ON CONFLICT (MySQL) the INSERT
 * runs in a savepoint and a 1062 falls back to one row at a time.
 * All of it commits together: in your transaction inside one savepoint, else in one statement
 * per chunk when one chunk is all there is (each statement is atomic), else in a transaction of racesafe's own.
 */
export async function getOrCreateMany<Row>(
  gateway: ModelGateway<Row>,
  lookups: Record<string, unknown>[],
  options: GetOrCreateManyCoreOptions = {},
): Promise<[Row, boolean][]> {
  const wanted = checkLookups(gateway, lookups, options.defaults);
  if (wanted.length === 0) return [];
  const lifecycle = gateway.lifecycle(options);
  const chunks = chunksOf(gateway, wanted, lookups[0], options.defaults);
  const work = (session: Session) => resolveAll(gateway, session, chunks, options.defaults, lifecycle);
  const caller = gateway.callerTransaction();
  if (caller) await inCallerTransaction(caller, (session) => inSavepoint(gateway, session, () => work(session)));
  else if (chunks.length === 1 && !lifecycle?.atomic && gateway.dialect.supportsReturning) await withRetries(options.retry, () => gateway.autocommit(work));
  else await withRetries(options.retry, () => gateway.transaction((session) => work(session).catch(forget(wanted))));
  const byId = new Map(wanted.map((w) => [w.id, w]));
  const seen = new Set<string>();
  return lookups.map((lookup) => {
    const id = keyId(gateway, lookup);
    const [row, created] = byId.get(id)!.result!;
    const first = !seen.has(id);
    seen.add(id);
    return [row, created && first];
  });
}

/** A rolled-back attempt's results are not results: the next attempt starts over. */
const forget =
  <Row>(wanted: Wanted<Row>[]) =>
  (error: unknown): never => {
    for (const w of wanted) w.result = undefined;
    throw error;
  };

function checkLookups<Row>(gateway: ModelGateway<Row>, lookups: Record<string, unknown>[], defaults: ManyDefaults | undefined): Wanted<Row>[] {
  if (!Array.isArray(lookups)) throw new InvalidFieldError(`getOrCreateMany on ${gateway.modelName}: lookups must be an array of lookup objects`);
  const properties = lookups.length > 0 ? Object.keys(lookups[0]).sort().join(',') : '';
  lookups.forEach((lookup, i) => {
    assertKnownFields(gateway, { [`lookups[${i}]`]: lookup });
    assertPlainLookup(gateway, lookup);
    if (Object.keys(lookup).sort().join(',') !== properties) {
      throw new InvalidFieldError(
        `getOrCreateMany on ${gateway.modelName}: lookups[${i}] names ${Object.keys(lookup).join(', ')}, lookups[0] names ${Object.keys(lookups[0]).join(', ')}: every lookup must name the same unique key`,
        { fields: Object.keys(lookup) },
      );
    }
  });
  if (defaults && typeof defaults !== 'function') checkedDefaults(gateway, defaults);
  const distinct = new Map<string, Wanted<Row>>();
  for (const lookup of lookups) {
    const id = keyId(gateway, lookup);
    if (!distinct.has(id)) distinct.set(id, { lookup, id });
  }
  return [...distinct.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** A lookup's values in property order, as one string: bigints, dates and buffers each kept distinct. */
function keyId(gateway: ModelGateway<unknown>, lookup: Record<string, unknown>): string {
  return JSON.stringify(
    Object.keys(lookup)
      .sort()
      .map((property) => {
        const value = lookup[property];
        if (value instanceof Date) return `d:${value.toISOString()}`;
        if (typeof value === 'bigint') return `n:${value}`;
        if (Buffer.isBuffer(value)) return `b:${value.toString('hex')}`;
        return value;
      }),
  );
}

/** Lookups in chunks whose statements stay under the dialect's bound-parameter limit. */
function chunksOf<Row>(gateway: ModelGateway<Row>, wanted: Wanted<Row>[], first: Record<string, unknown>, defaults: ManyDefaults | undefined): Wanted<Row>[][] {
  // A row's INSERT binds its lookup, its defaults and the ORM's insert defaults: a generous guess at a row's width.
  const width = Object.keys(first).length + (typeof defaults === 'object' ? Object.keys(defaults).length : 8) + 4;
  const size = Math.max(1, Math.min(5000, gateway.dialect.maxOrTerms ?? Infinity, Math.floor(gateway.dialect.maxBoundParameters / width)));
  const chunks: Wanted<Row>[][] = [];
  for (let i = 0; i < wanted.length; i += size) chunks.push(wanted.slice(i, i + size));
  return chunks;
}

async function resolveAll<Row>(
  gateway: ModelGateway<Row>,
  session: Session,
  chunks: Wanted<Row>[][],
  defaults: ManyDefaults | undefined,
  lifecycle: RowLifecycle<Row> | undefined,
): Promise<void> {
  const key = await lookupKey(gateway, session, chunks[0][0].lookup);
  for (const chunk of chunks) {
    // Checks NULLs against the key of every lookup before anything is sent (cached after the first).
    for (const w of chunk) await lookupKey(gateway, session, w.lookup);
    await resolveChunk(gateway, session, chunk, key, defaults, lifecycle);
  }
}

/** SELECT the chunk's rows; create the missing ones; read what concurrent callers created meanwhile. */
async function resolveChunk<Row>(
  gateway: ModelGateway<Row>,
  session: Session,
  chunk: Wanted<Row>[],
  key: UniqueKey,
  defaults: ManyDefaults | undefined,
  lifecycle: RowLifecycle<Row> | undefined,
): Promise<void> {
  const open = chunk.filter((w) => !w.result);
  if (open.length === 0) return;
  const rows = await selectLookups(gateway, session, open);
  const found = matchRows(gateway, open, rows);
  for (const [w, { row }] of found) w.result = [row, false];
  // Rows the SELECT returned that no lookup matched exactly (a case-insensitive collation: 'Bob' found 'bob '): the rest one by one.
  if (found.size < rows.length) {
    for (const w of open.filter((w) => !w.result)) {
      const found = await findOne(gateway, session, w.lookup);
      if (found) w.result = [found, false];
    }
  }
  const missing = open.filter((w) => !w.result);
  if (missing.length === 0) return;
  await createMissing(gateway, session, missing, key, defaults, lifecycle);
  // A concurrent caller took these keys between the SELECT and the INSERT: their rows are the winners', read in one statement.
  const taken = missing.filter((w) => !w.result);
  if (taken.length === 0) return;
  const winners = await selectLookups(gateway, session, taken, gateway.dialect.lockingReadAfterConflict);
  for (const [w, { row }] of matchRows(gateway, taken, winners)) w.result = [row, false];
  // Not visible in this snapshot, deleted since, or matched only by collation: readWinner reads each again and says which.
  for (const w of taken.filter((w) => !w.result)) w.result = [await readWinner(gateway, session, w.lookup, key), false];
}

async function createMissing<Row>(
  gateway: ModelGateway<Row>,
  session: Session,
  missing: Wanted<Row>[],
  key: UniqueKey,
  defaults: ManyDefaults | undefined,
  lifecycle: RowLifecycle<Row> | undefined,
): Promise<void> {
  const valuesOf = (w: Wanted<Row>) => ({ ...(typeof defaults === 'function' ? checkedDefaults(gateway, defaults(w.lookup)) : defaults), ...w.lookup });
  if (lifecycle?.runsUserCode) {
    // Hooks run per row, as for getOrCreate: each INSERT in a savepoint, so a lost race unwinds that row's hook writes only.
    for (const w of missing) {
      const created = await createWithHooks(gateway, w.lookup, valuesOf(w), key, lifecycle, (work) => inSavepoint(gateway, session, () => work(session)));
      if (created) w.result = [created, true];
    }
    return;
  }
  const pending = new Map<Wanted<Row>, PendingWrite<Row> | undefined>();
  const rows: Record<string, unknown>[] = [];
  for (const w of missing) {
    const write = lifecycle ? await lifecycle.beforeCreate(valuesOf(w), session) : undefined;
    pending.set(w, write);
    rows.push(write ? write.values : gateway.insertValues(valuesOf(w)));
  }
  const inserted = await insertMany(gateway, session, missing, rows, key);
  for (const [w, { raw, row }] of inserted) {
    const write = pending.get(w);
    w.result = [write ? await write.stored(raw) : row, true];
  }
}

function checkedDefaults(gateway: ModelGateway<unknown>, values: Record<string, unknown>): Record<string, unknown> {
  assertKnownFields(gateway, { defaults: values });
  assertWritableValues(gateway, 'defaults', values, false);
  return values;
}

/**
 * One multi-row INSERT per set of columns (rows without a property get the column default),
 * rows in key order; the rows stored, by the lookup they were inserted for.
 */
async function insertMany<Row>(
  gateway: ModelGateway<Row>,
  session: Session,
  missing: Wanted<Row>[],
  rows: Record<string, unknown>[],
  key: UniqueKey,
): Promise<Map<Wanted<Row>, Stored<Row>>> {
  const inserted = new Map<Wanted<Row>, Stored<Row>>();
  const groups = new Map<string, number[]>();
  rows.forEach((row, i) => {
    const columns = Object.keys(row).join(',');
    const group = groups.get(columns);
    if (group) group.push(i);
    else groups.set(columns, [i]);
  });
  for (const indexes of groups.values()) {
    const group = indexes.map((i) => missing[i]);
    const stored = gateway.dialect.supportsInsertIgnoringConflictOn
      ? await insertSkippingTaken(gateway, session, indexes.map((i) => rows[i]), key)
      : await insertOrFallBack(gateway, session, group, indexes.map((i) => rows[i]), key);
    for (const [w, match] of matchRows(gateway, group, stored)) inserted.set(w, match);
  }
  return inserted;
}

/** `INSERT INTO t (...) VALUES (...), (...) ON CONFLICT (<key>) DO NOTHING RETURNING *`: the rows it inserted. */
async function insertSkippingTaken(gateway: ModelGateway<unknown>, session: Session, rows: Record<string, unknown>[], key: UniqueKey): Promise<Record<string, unknown>[]> {
  const parameters = parametersFor(gateway);
  const sql = `${multiRowInsert(gateway, rows, parameters)} ${gateway.dialect.skipConflictClause(key)}${gateway.dialect.supportsReturning ? ' RETURNING *' : ''}`;
  const { rows: stored } = await run(gateway, session, sql, parameters.values);
  return stored;
}

/**
 * Without ON CONFLICT (MySQL): the multi-row INSERT in a savepoint, then the rows read back by
 * their keys in the same transaction. A 1062 on the lookup's key (a concurrent caller took one)
 * undoes the whole statement: the rows are then inserted one at a time, each skipping a taken key.
 */
async function insertOrFallBack<Row>(
  gateway: ModelGateway<Row>,
  session: Session,
  group: Wanted<Row>[],
  rows: Record<string, unknown>[],
  key: UniqueKey,
): Promise<Record<string, unknown>[]> {
  const insert = (some: Record<string, unknown>[]) =>
    inSavepoint(gateway, session, async () => {
      const parameters = parametersFor(gateway);
      await run(gateway, session, multiRowInsert(gateway, some, parameters), parameters.values);
    });
  try {
    await insert(rows);
  } catch (error) {
    if (!(error instanceof ConflictError && error.constraint === key.name)) throw error;
    const stored: Record<string, unknown>[] = [];
    for (const [i, row] of rows.entries()) {
      try {
        await insert([row]);
        stored.push(...(await selectLookups(gateway, session, [group[i]])));
      } catch (rowError) {
        if (!(rowError instanceof ConflictError && rowError.constraint === key.name)) throw rowError;
      }
    }
    return stored;
  }
  return selectLookups(gateway, session, group);
}

function multiRowInsert(gateway: ModelGateway<unknown>, rows: Record<string, unknown>[], parameters: Parameters): string {
  const properties = Object.keys(rows[0]);
  const columns = properties.map((property) => gateway.column(property)!.quoted).join(', ');
  const tuples = rows.map((row) => `(${properties.map((property) => gateway.bindValue(property, row[property], parameters.add)).join(', ')})`);
  return `INSERT INTO ${gateway.tableSql} (${columns}) VALUES ${tuples.join(', ')}`;
}

/**
 * The rows of these lookups (live rows only on a soft-deleting model): `SELECT * FROM t WHERE
 * "name" IN ($1, $2, ...)` for a one-column key, else `((<lookup 1>) OR (<lookup 2>)) OR (...)`
 * nested in halves, as SQLite refuses an expression more than 1,000 levels deep; with `lock`,
 * a locking read (`... LOCK IN SHARE MODE` on MySQL, where only that sees a winner's row under REPEATABLE READ).
 */
async function selectLookups(gateway: ModelGateway<unknown>, session: Session, wanted: Wanted<unknown>[], lock: LockStrength | null = null): Promise<Record<string, unknown>[]> {
  const parameters = parametersFor(gateway);
  const [property, ...others] = Object.keys(wanted[0].lookup);
  let condition: string;
  if (others.length === 0 && wanted.every((w) => w.lookup[property] !== null)) {
    const list = wanted.map((w) => gateway.bindValue(property, w.lookup[property], parameters.add)).join(', ');
    const deleted = gateway.softDeleteColumn;
    condition = `${gateway.column(property)!.quoted} IN (${list})${deleted ? ` AND ${deleted.quoted} IS NULL` : ''}`;
  } else {
    condition = balancedOr(wanted.map((w) => `(${liveLookupCondition(gateway, w.lookup, parameters)})`));
  }
  const lockSql = lock ? ` ${gateway.dialect.lockClause(lock, {})}` : '';
  const { rows } = await run(gateway, session, `SELECT * FROM ${gateway.tableSql} WHERE ${condition}${lockSql}`, parameters.values);
  return rows;
}

function balancedOr(terms: string[]): string {
  if (terms.length === 1) return terms[0];
  const half = Math.ceil(terms.length / 2);
  return `(${balancedOr(terms.slice(0, half))} OR ${balancedOr(terms.slice(half))})`;
}

/** A stored row as the database returned it and as the ORM hydrates it. */
interface Stored<Row> {
  raw: Record<string, unknown>;
  row: Row;
}

/**
 * The stored row whose values equal each lookup's (as the ORM reads them back), by lookup; lookups
 * no row matches are left out. Rows are indexed by their values once, so n lookups cost O(n), not O(n²).
 */
function matchRows<Row>(gateway: ModelGateway<Row>, wanted: Wanted<Row>[], rows: Record<string, unknown>[]): Map<Wanted<Row>, Stored<Row>> {
  const properties = Object.keys(wanted[0].lookup).sort();
  const byValues = new Map<string, Stored<Row>[]>();
  for (const raw of rows) {
    const row = gateway.hydrate(raw);
    const id = matchId(properties.map((property) => gateway.readValue(row, property)));
    const same = byValues.get(id);
    if (same) same.push({ raw, row });
    else byValues.set(id, [{ raw, row }]);
  }
  const matched = new Map<Wanted<Row>, Stored<Row>>();
  for (const w of wanted) {
    const matches = byValues.get(matchId(properties.map((property) => w.lookup[property])));
    if (!matches) continue;
    if (matches.length > 1) throw new MultipleRowsError(`${gateway.modelName}: more than one row matches ${Object.keys(w.lookup).join(', ')}`, { fields: Object.keys(w.lookup) });
    matched.set(w, matches[0]);
  }
  return matched;
}

/**
 * Values as one string, equal for two lists exactly when `sameValue` holds for each pair: null
 * and undefined only equal themselves, anything else compares as JSON (a Date as its ISO string).
 */
function matchId(values: unknown[]): string {
  return JSON.stringify(
    values.map((value) => {
      if (value === null) return 'null';
      if (value === undefined) return 'undefined';
      if (typeof value === 'bigint') return `bigint:${value}`;
      return `json:${JSON.stringify(value)}`;
    }),
  );
}
