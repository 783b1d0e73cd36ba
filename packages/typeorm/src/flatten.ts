import { InvalidFieldError, isFExpression, isPlainObject, sameValue } from '@racesafe/core';
import type { EntityMetadata, ObjectLiteral } from 'typeorm';
import { type EntityInfo, type RelationMetadata, entityInfo, isOwning } from './columns';

/** How a group is read: `values` (lookups, defaults, values to write) or `where` (names only; TypeORM's where builder reads the values). */
type Mode = 'values' | 'where';

interface Problem {
  field: string;
  reason: string;
  unknown?: boolean;
}

interface Flattening {
  metadata: EntityMetadata;
  info: EntityInfo;
  mode: Mode;
  problems: Problem[];
}

/**
 * Flattens named groups of values to column property paths, as `repo.findOneBy` reads them:
 * - a relation (ManyToOne, owning OneToOne) given as an entity or an object of its referenced
 *   columns becomes its join columns: `{ org: { id: 5 } }` -> `{ 'org.id': 5 }`,
 *   `{ region: { code, country } }` -> `{ 'region.code', 'region.country' }`, `null` -> NULL join columns;
 * - an embedded object becomes its columns: `{ address: { city } }` -> `{ 'address.city' }`;
 * - a property path (`'address.city'`, `'org.id'`) and a plain column stay as they are.
 *
 * A group that is not a plain object is returned unchanged (racesafe's validation reports it);
 * a function group is wrapped so that what it returns is flattened when it is called.
 * Unknown names are kept as written, for `assertKnownFields` to report all at once. A bad
 * relation or embedded value throws {@link InvalidFieldError} naming it and every unknown name.
 *
 * @example
 * ```ts
 * flattenGroups(metadata, { lookup: { org, email } }); // { lookup: { 'org.id': 5, email } }
 * ```
 */
export function flattenGroups<Groups extends Record<string, unknown>>(
  metadata: EntityMetadata,
  groups: Groups,
  { where = [] }: { where?: string[] } = {},
): Groups {
  const info = entityInfo(metadata);
  // The common case, column properties only (`{ email }`): nothing to flatten, no copy made.
  if (
    Object.values(groups).every(
      (values) =>
        values === undefined ||
        (isPlainObject(values) && Object.keys(values).every((key) => info.byProperty.has(key))),
    )
  ) {
    return groups;
  }
  const problems: Problem[] = [];
  const flat = Object.fromEntries(
    Object.entries(groups).map(([group, values]) => {
      if (typeof values === 'function')
        return [
          group,
          (...args: unknown[]) =>
            flattenGroups(metadata, { [group]: (values as (...a: unknown[]) => unknown)(...args) })[
              group
            ],
        ];
      const mode = where.includes(group) ? 'where' : 'values';
      return [
        group,
        isPlainObject(values) ? flattenObject({ metadata, info, mode, problems }, values) : values,
      ];
    }),
  );
  if (problems.some((p) => !p.unknown)) {
    throw new InvalidFieldError(
      `${metadata.name}: ${problems.map((p) => `"${p.field}" ${p.reason}`).join('; ')}`,
      {
        fields: [...new Set(problems.map((p) => p.field))],
      },
    );
  }
  return flat as Groups;
}

function flattenObject(
  context: Flattening,
  values: Record<string, unknown>,
): Record<string, unknown> {
  // No prototype: a caller's `__proto__` key is a key here, as it was in JSON.parse's object.
  const out = Object.create(null) as Record<string, unknown>;
  for (const [property, value] of Object.entries(values))
    flattenEntry(context, property, value, out);
  return out;
}

function flattenEntry(
  context: Flattening,
  path: string,
  value: unknown,
  out: Record<string, unknown>,
): void {
  const { metadata, info } = context;
  if (info.byProperty.has(path)) return put(context, out, path, path, value);
  const relation = metadata.findRelationWithPropertyPath(path);
  if (relation) return flattenRelation(context, relation, value, out);
  const embedded = metadata.findEmbeddedWithPropertyPath(path);
  if (!embedded) {
    context.problems.push({ field: path, reason: 'is not a property', unknown: true });
    return setOwn(out, path, value);
  }
  if (!isObjectValue(value)) {
    const properties = embedded.columns.map((c) => c.propertyName).join(', ');
    return fail(
      context,
      path,
      `is an embedded object: give an object of its properties ({ ${properties} }), got ${describe(value)}`,
    );
  }
  for (const [property, inner] of Object.entries(value))
    flattenEntry(context, `${path}.${property}`, inner, out);
}

/** A relation's value to its join columns; in `where` mode the value is left for TypeORM's where builder. */
function flattenRelation(
  context: Flattening,
  relation: RelationMetadata,
  value: unknown,
  out: Record<string, unknown>,
): void {
  const path = relation.propertyPath;
  const target = relation.inverseEntityMetadata.name;
  if (!isOwning(relation)) {
    return fail(
      context,
      path,
      `is a ${relation.relationType} relation: its foreign key is not a column of ${context.metadata.tableName}`,
    );
  }
  const joinColumns = relation.joinColumns;
  const referenced = joinColumns.map((c) => c.referencedColumn!.propertyPath);
  if (context.mode === 'where') {
    for (const column of joinColumns) setOwn(out, column.propertyPath, value);
    return;
  }
  if (value !== null && !isObjectValue(value)) {
    return fail(
      context,
      path,
      `must be a ${target}, an object of its ${referenced.join(', ')}, or null; got ${describe(value)}`,
    );
  }
  const ids = joinColumns.map((c): unknown =>
    value === null ? null : c.referencedColumn!.getEntityValue(value),
  );
  const missing = referenced.filter((_, i) => ids[i] === undefined);
  if (missing.length > 0)
    return fail(
      context,
      path,
      `has no ${missing.join(', ')}: give the ${target} or { ${referenced.join(', ')} }`,
    );
  joinColumns.forEach((column, i) => put(context, out, path, column.propertyPath, ids[i]));
}

/** Sets one column's value; the same column named twice with different values (`org` and `orgId`) is refused. */
function put(
  context: Flattening,
  out: Record<string, unknown>,
  written: string,
  path: string,
  value: unknown,
): void {
  if (Object.hasOwn(out, path) && !sameValue(out[path], value)) {
    fail(
      context,
      written,
      `sets column ${context.info.byProperty.get(path)!.info.column} again, to another value`,
    );
  }
  setOwn(out, path, value);
}

/** Defines an own key, whatever its name (`__proto__` included), never running a setter. */
function setOwn(out: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
}

function fail(context: Flattening, field: string, reason: string): void {
  context.problems.push({ field, reason });
}

/** An entity, embedded instance or plain object: not an operator, F expression, date, array or buffer. */
function isObjectValue(value: unknown): value is Record<string, unknown> {
  if (
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value) ||
    value instanceof Date ||
    value instanceof Uint8Array
  )
    return false;
  return (
    !isFExpression(value) && (value as ObjectLiteral)['@instanceof'] !== Symbol.for('FindOperator')
  );
}

function describe(value: unknown): string {
  if (isFExpression(value)) return 'an F expression';
  return typeof value === 'object'
    ? `${(value as object).constructor?.name ?? 'an object'}`
    : typeof value;
}
