import { InvalidFieldError } from '../errors';
import type { ModelGateway } from '../gateway';
import { keyId, lookupMatchId } from '../sql/match-rows';
import { assertKnownFields, assertPlainLookup, assertWritableValues } from '../validate';
import type { ManyDefaults } from './defaults';

// getOrCreateMany's lookups before any statement: checked, made distinct, put in key order, chunked.

/** One distinct lookup of the input, and what became of it. */
export interface Wanted<Row> {
  lookup: Record<string, unknown>;
  /** Its key values, canonical: equal lookups share one, and batches sort by it. */
  id: string;
  /** Its values as rows are matched to it (match-rows.ts). */
  match: string;
  /** It has a NULL value: checked against the key's NULL rule before anything is sent. */
  hasNull: boolean;
  result?: [Row, boolean];
}

/**
 * Checks every lookup before any statement (InvalidFieldError); the distinct ones in key order,
 * each input lookup's key id, and the lookups' properties sorted.
 */
export function checkLookups<Row>(
  gateway: ModelGateway<Row>,
  lookups: Record<string, unknown>[],
  defaults: ManyDefaults | undefined,
): { wanted: Wanted<Row>[]; ids: string[]; properties: string[] } {
  if (!Array.isArray(lookups))
    throw new InvalidFieldError(
      `getOrCreateMany on ${gateway.modelName}: lookups must be an array of lookup objects`,
    );
  const properties = lookups.length > 0 ? Object.keys(lookups[0]).sort() : [];
  // Unknown names of every lookup and of the defaults, in one InvalidFieldError.
  const named = Object.fromEntries(lookups.map((lookup, i) => [`lookups[${i}]`, lookup]));
  assertKnownFields(
    gateway,
    defaults && typeof defaults !== 'function' ? { ...named, defaults } : named,
  );
  lookups.forEach((lookup, i) => checkLookup(gateway, lookup, i, lookups[0], properties));
  if (defaults && typeof defaults !== 'function') checkedDefaults(gateway, defaults);
  const ids = lookups.map((lookup) => keyId(lookup, properties));
  const distinct = new Map<string, Wanted<Row>>();
  lookups.forEach((lookup, i) => {
    const id = ids[i];
    if (distinct.has(id)) return;
    const hasNull = properties.some((property) => lookup[property] === null);
    // A one-value id of a string or a number ('s...', 'n...') is its match id too.
    distinct.set(id, {
      lookup,
      id,
      match: id.startsWith('[') ? lookupMatchId(lookup, properties) : id,
      hasNull,
    });
  });
  return {
    wanted: [...distinct.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    ids,
    properties,
  };
}

/**
 * One lookup's checks. The usual lookup (a plain object naming lookups[0]'s properties, each a
 * string or number) takes a short path; any other gets the full checks, in the same order as ever.
 */
function checkLookup(
  gateway: ModelGateway<unknown>,
  lookup: Record<string, unknown>,
  i: number,
  first: Record<string, unknown>,
  properties: string[],
): void {
  if (
    i > 0 &&
    isPlainRecord(lookup) &&
    hasExactly(lookup, properties) &&
    properties.every((p) => typeof lookup[p] === 'string' || typeof lookup[p] === 'number')
  )
    return;
  assertKnownFields(gateway, { [`lookups[${i}]`]: lookup });
  assertPlainLookup(gateway, lookup);
  if (!hasExactly(lookup, properties)) {
    throw new InvalidFieldError(
      `getOrCreateMany on ${gateway.modelName}: lookups[${i}] names ${Object.keys(lookup).join(', ')}, lookups[0] names ${Object.keys(first).join(', ')}: every lookup must name the same unique key`,
      { fields: Object.keys(lookup) },
    );
  }
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  const prototype: unknown =
    typeof value === 'object' && value !== null ? Object.getPrototypeOf(value) : undefined;
  return prototype === Object.prototype || prototype === null;
}

/** The lookup's own keys are exactly `properties` (in any order). */
function hasExactly(lookup: Record<string, unknown>, properties: string[]): boolean {
  const keys = Object.keys(lookup);
  return (
    keys.length === properties.length &&
    (keys.length === 1
      ? keys[0] === properties[0]
      : keys.sort().every((key, i) => key === properties[i]))
  );
}

/** Lookups in chunks whose statements stay under the dialect's bound-parameter limit. */
export function chunksOf<Row>(
  gateway: ModelGateway<Row>,
  wanted: Wanted<Row>[],
  first: Record<string, unknown>,
  defaults: ManyDefaults | undefined,
): Wanted<Row>[][] {
  // A row's INSERT binds its lookup, its defaults and the ORM's insert defaults: a generous guess
  // at a row's width.
  const width =
    Object.keys(first).length +
    (typeof defaults === 'object' ? Object.keys(defaults).length : 8) +
    4;
  const size = Math.max(
    1,
    Math.min(
      5000,
      gateway.dialect.maxOrTerms ?? Infinity,
      Math.floor(gateway.dialect.maxBoundParameters / width),
    ),
  );
  const chunks: Wanted<Row>[][] = [];
  for (let i = 0; i < wanted.length; i += size) chunks.push(wanted.slice(i, i + size));
  return chunks;
}

/** A defaults object of getOrCreateMany (or what its function returned), checked as `defaults`. */
export function checkedDefaults(
  gateway: ModelGateway<unknown>,
  values: Record<string, unknown>,
): Record<string, unknown> {
  assertKnownFields(gateway, { defaults: values });
  assertWritableValues(gateway, 'defaults', values, false);
  return values;
}
