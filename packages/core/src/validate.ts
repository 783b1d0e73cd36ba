import { InvalidFieldError } from './errors';
import { isFExpression } from './expressions';
import type { ModelGateway } from './gateway';

/** Named groups of values a call received: `{ lookup: {...}, defaults: {...} }`. */
export type NamedValues = Record<string, Record<string, unknown> | undefined>;

/**
 * Throws {@link InvalidFieldError} listing every property, across all groups, that the
 * model does not have. Runs before any statement is sent.
 */
export function assertKnownFields(gateway: ModelGateway<unknown>, groups: NamedValues): void {
  const unknown: string[] = [];
  for (const [group, values] of Object.entries(groups)) {
    if (values === undefined) continue;
    if (!isPlainObject(values)) {
      throw new InvalidFieldError(
        `${group} must be a plain object of ${gateway.modelName} properties, got ${Array.isArray(values) ? 'an array' : kindOf(values)}`,
      );
    }
    for (const property of Object.keys(values)) {
      if (!gateway.column(property) && !unknown.includes(property)) unknown.push(property);
    }
  }
  if (unknown.length > 0) {
    const known = gateway
      .columns()
      .map((c) => c.property)
      .join(', ');
    throw new InvalidFieldError(
      `${gateway.modelName} has no propert${unknown.length === 1 ? 'y' : 'ies'} ${unknown.map((p) => `"${p}"`).join(', ')} (known: ${known})`,
      { fields: unknown },
    );
  }
}

/**
 * A lookup must name at least one property, each with a plain value compared by equality:
 * `undefined` would silently match any row in some ORMs, operators and F expressions cannot
 * identify one row, and an ORM SQL value (`fn('now')`, `() => 'now()'`) is not a value to
 * compare. An array is accepted only for an array or JSON column, compared whole
 * (`"tags" = $1`); elsewhere the ORMs read an array as a list (`IN`), so it is refused.
 */
export function assertPlainLookup(
  gateway: ModelGateway<unknown>,
  lookup: Record<string, unknown>,
): void {
  const entries = Object.entries(lookup);
  if (entries.length === 0) {
    throw new InvalidFieldError(
      `The lookup for ${gateway.modelName} is empty: it would match any row. Name the unique properties to look up by.`,
    );
  }
  const bad = entries.filter(([property, value]) => !isLookupValue(gateway, property, value));
  if (bad.length > 0) {
    throw new InvalidFieldError(
      `Lookup values must be plain values compared by equality: ${bad.map(([p, v]) => `${p} is ${describe(gateway, v)}`).join(', ')}`,
      { fields: bad.map(([p]) => p) },
    );
  }
  assertBindable(gateway, lookup);
}

/**
 * Converts each plain value once with the ORM's own conversion (bindValue, parameters thrown
 * away), so that a value the ORM cannot write (a bigint inside JSON, Infinity where TypeORM's
 * SQLite drivers write numbers into the SQL) is refused with InvalidFieldError naming it
 * before any statement, not when the statement that holds it is built.
 */
function assertBindable(gateway: ModelGateway<unknown>, values: Record<string, unknown>): void {
  for (const [property, value] of Object.entries(values)) {
    if (value !== null && !isFExpression(value) && !gateway.isSqlValue(value))
      gateway.bindValue(property, value, () => '?');
  }
}

function isLookupValue(gateway: ModelGateway<unknown>, property: string, value: unknown): boolean {
  if (
    value === undefined ||
    isCircular(value) ||
    isOperatorValue(gateway, value) ||
    gateway.isSqlValue(value)
  )
    return false;
  return !Array.isArray(value) || gateway.column(property)?.structured === true;
}

/**
 * Values to write must not be ORM operators; F expressions only where `allowF`. Arrays,
 * JSON objects and ORM SQL values are values: the ORM's own create / update write them.
 */
export function assertWritableValues(
  gateway: ModelGateway<unknown>,
  group: string,
  values: Record<string, unknown>,
  allowF: boolean,
): void {
  const bad = Object.entries(values).filter(
    ([, value]) =>
      value === undefined ||
      isCircular(value) ||
      (isFExpression(value) ? !allowF : isOperatorValue(gateway, value)),
  );
  if (bad.length > 0) {
    const reason = allowF
      ? ''
      : ' (F expressions apply to existing rows only; give plain values for a new row)';
    throw new InvalidFieldError(
      `${group} values must be plain values${reason}: ${bad.map(([p, v]) => `${p} is ${describe(gateway, v)}`).join(', ')}`,
      { fields: bad.map(([p]) => p) },
    );
  }
  assertBindable(gateway, values);
}

function isOperatorValue(gateway: ModelGateway<unknown>, value: unknown): boolean {
  return value !== null && (isFExpression(value) || gateway.isOperator(value));
}

/** An object literal or one made by `Object.create(null)`: not a class instance, array, Date or Buffer. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * A plain object or array that contains itself: no column stores it (JSON cannot print it),
 * and walking it would never end. Class instances are not walked (an entity graph is the ORM's).
 */
function isCircular(value: unknown, path: Set<object> = new Set()): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (path.has(value)) return true;
  const prototype: unknown = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && prototype !== Object.prototype && prototype !== null) return false;
  path.add(value);
  const circular = Object.values(value).some((item) => isCircular(item, path));
  path.delete(value);
  return circular;
}

function describe(gateway: ModelGateway<unknown>, value: unknown): string {
  if (value === undefined) return 'undefined';
  if (isCircular(value)) return 'a circular object, which no column stores';
  if (isFExpression(value)) return `an F expression (F('${value.property}'))`;
  if (gateway.isOperator(value)) return `an ORM operator (${kindOf(value)})`;
  if (gateway.isSqlValue(value))
    return `an ORM SQL value (${kindOf(value)}), which only values to write may hold`;
  if (Array.isArray(value)) return 'an array, which only an array or JSON column compares whole';
  return typeof value;
}

function kindOf(value: unknown): string {
  return typeof value === 'object' && value !== null
    ? (value.constructor?.name ?? 'Object')
    : typeof value;
}
