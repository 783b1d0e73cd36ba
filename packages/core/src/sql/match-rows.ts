import { MultipleRowsError } from '../errors';
import type { ModelGateway } from '../gateway';

/** A stored row as the database returned it and as the ORM hydrates it. */
export interface Stored<Row> {
  raw: Record<string, unknown>;
  row: Row;
}

/** A lookup to match against stored rows, with its {@link lookupMatchId}. */
export interface Matchable {
  lookup: Record<string, unknown>;
  match: string;
}

/**
 * A lookup's values as one string, canonical: equal lookups share one (bigints, dates and
 * buffers each kept apart from strings), and batches sort by it. A one-property lookup of a
 * string or a finite number, the common case, costs no JSON.stringify.
 */
export function keyId(lookup: Record<string, unknown>, properties: string[]): string {
  if (properties.length === 1) {
    const value = lookup[properties[0]];
    if (typeof value === 'string') return `s${value}`;
    if (typeof value === 'number' && Number.isFinite(value)) return `n${value}`;
  }
  // Starts with '[': never equal to the one-value forms above.
  return JSON.stringify(properties.map((property) => keyPart(lookup[property])));
}

function keyPart(value: unknown): unknown {
  if (value instanceof Date) return `d:${value.toISOString()}`;
  if (typeof value === 'bigint') return `n:${value}`;
  if (Buffer.isBuffer(value)) return `b:${value.toString('hex')}`;
  return value;
}

/**
 * Values as one string, equal for two lists exactly when `sameValue` holds for each pair: null
 * and undefined only equal themselves, anything else compares as its JSON (a Date as its ISO
 * string, so a Date matches the same instant read back as text).
 */
export function matchId(values: unknown[]): string {
  return values.length === 1 ? valueId(values[0]) : JSON.stringify(values.map(valueId));
}

/** {@link matchId} of a lookup's values, in `properties` order. */
export function lookupMatchId(lookup: Record<string, unknown>, properties: string[]): string {
  return properties.length === 1
    ? valueId(lookup[properties[0]])
    : matchId(properties.map((property) => lookup[property]));
}

// A string and a finite number are their own JSON, told apart by a prefix; anything else goes
// through JSON.stringify.
function valueId(value: unknown): string {
  if (typeof value === 'string') return `s${value}`;
  if (typeof value === 'number' && Number.isFinite(value)) return `n${value}`;
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'bigint') return `bigint:${value}`;
  const json = JSON.stringify(value);
  // An object whose JSON is a string or a number (a Date) equals that string or number read back.
  if (json !== undefined && json.startsWith('"')) return `s${JSON.parse(json) as string}`;
  if (json !== undefined && /^-?\d/.test(json)) return `n${json}`;
  return `j${json}`;
}

/** A stored row whose hydrated form is built the first time it is asked for. */
function lazilyHydrated<Row>(
  gateway: ModelGateway<Row>,
  raw: Record<string, unknown>,
): Stored<Row> {
  let row: Row | undefined;
  return {
    raw,
    get row() {
      return (row ??= gateway.hydrate(raw));
    },
  };
}

/**
 * The stored row whose values equal each lookup's (as the ORM reads them back), by lookup; lookups
 * no row matches are left out. Rows are indexed by their values once, so n lookups cost O(n), not
 * O(n²).
 */
export function matchRows<Row, W extends Matchable>(
  gateway: ModelGateway<Row>,
  wanted: W[],
  rows: Record<string, unknown>[],
  properties: string[],
): Map<W, Stored<Row>> {
  const byValues = new Map<string, Stored<Row>[]>();
  for (const raw of rows) {
    const stored = lazilyHydrated(gateway, raw);
    // Read from the raw row where the gateway can: a created row is then built once, by its lifecycle.
    const read = gateway.storedValue
      ? (property: string) => gateway.storedValue!(raw, property)
      : (property: string) => gateway.readValue(stored.row, property);
    const id =
      properties.length === 1 ? valueId(read(properties[0])) : matchId(properties.map(read));
    const same = byValues.get(id);
    if (same) same.push(stored);
    else byValues.set(id, [stored]);
  }
  const matched = new Map<W, Stored<Row>>();
  for (const w of wanted) {
    const matches = byValues.get(w.match);
    if (!matches) continue;
    if (matches.length > 1)
      throw new MultipleRowsError(
        `${gateway.modelName}: more than one row matches ${Object.keys(w.lookup).join(', ')}`,
        { fields: Object.keys(w.lookup) },
      );
    matched.set(w, matches[0]);
  }
  return matched;
}
