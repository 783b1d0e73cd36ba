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
      throw new InvalidFieldError(`${group} must be a plain object of ${gateway.modelName} properties, got ${describe(values)}`);
    }
    for (const property of Object.keys(values)) {
      if (!gateway.column(property) && !unknown.includes(property)) unknown.push(property);
    }
  }
  if (unknown.length > 0) {
    const known = gateway.columns().map((c) => c.property).join(', ');
    throw new InvalidFieldError(
      `${gateway.modelName} has no propert${unknown.length === 1 ? 'y' : 'ies'} ${unknown.map((p) => `"${p}"`).join(', ')} (known: ${known})`,
      { fields: unknown },
    );
  }
}

/**
 * A lookup must name at least one property, each with a plain value: `undefined` would
 * silently match any row in some ORMs, and operators cannot identify one row.
 */
export function assertPlainLookup(gateway: ModelGateway<unknown>, lookup: Record<string, unknown>): void {
  const entries = Object.entries(lookup);
  if (entries.length === 0) {
    throw new InvalidFieldError(`The lookup for ${gateway.modelName} is empty: it would match any row. Name the unique properties to look up by.`);
  }
  const bad = entries.filter(([, value]) => value === undefined || isOperatorValue(gateway, value));
  if (bad.length > 0) {
    throw new InvalidFieldError(
      `Lookup values must be plain values: ${bad.map(([p, v]) => `${p} is ${describe(v)}`).join(', ')}`,
      { fields: bad.map(([p]) => p) },
    );
  }
}

/** Values to write must not be ORM operators; F expressions only where `allowF`. */
export function assertWritableValues(gateway: ModelGateway<unknown>, group: string, values: Record<string, unknown>, allowF: boolean): void {
  const bad = Object.entries(values).filter(([, value]) =>
    value === undefined || (isFExpression(value) ? !allowF : isOperatorValue(gateway, value)),
  );
  if (bad.length > 0) {
    const reason = allowF ? '' : ' (F expressions apply to existing rows only; give plain values for a new row)';
    throw new InvalidFieldError(
      `${group} values must be plain values${reason}: ${bad.map(([p, v]) => `${p} is ${describe(v)}`).join(', ')}`,
      { fields: bad.map(([p]) => p) },
    );
  }
}

function isOperatorValue(gateway: ModelGateway<unknown>, value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (isFExpression(value) || gateway.isOperator(value) || Array.isArray(value)) return true;
  // Sequelize operators are symbol-keyed plain objects ({ [Op.gte]: 1 }).
  return isPlainObject(value) && Object.getOwnPropertySymbols(value).length > 0;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (isFExpression(value)) return `an F expression (F('${value.property}'))`;
  if (typeof value === 'object') return `an operator/object (${value.constructor?.name ?? 'Object'})`;
  return typeof value;
}
