import type { ColumnInfo } from '@racesafe/core';
import type { EntityMetadata, ObjectLiteral } from 'typeorm';

/** TypeORM does not export ColumnMetadata / RelationMetadata from its index in every version. */
type ColumnMetadata = EntityMetadata['columns'][number];
export type RelationMetadata = EntityMetadata['relations'][number];

const integerTypes = /^(int|int2|int4|int8|integer|smallint|bigint|tinyint|mediumint)$/;
const numericTypes =
  /^(int|int2|int4|int8|integer|smallint|bigint|tinyint|mediumint|numeric|decimal|dec|real|float|float4|float8|double|double precision|money)$/;
// Types that hold a whole array or object as one value (TypeORM's simple-* store it as text).
const structuredTypes = /^(json|jsonb|simple-array|simple-json)$/;

/** An entity's stored columns, keyed by TypeORM's property path. */
export interface EntityInfo {
  columns: ColumnInfo[];
  /**
   * Every stored column by property path: `email`, `address.city` (embedded), `org.id`
   * (join column of relation `org`), or `orgId` when the entity declares the FK column itself.
   */
  byProperty: Map<string, { info: ColumnInfo; metadata: ColumnMetadata }>;
  /** ManyToOne / owning OneToOne relations whose join columns have no property of their own. */
  joinRelations: RelationMetadata[];
  tableSql: string;
}

// Column maps are derived from metadata once per entity and data source.
const entityInfos = new WeakMap<EntityMetadata, EntityInfo>();

/** The column map of an entity, built once per entity metadata. */
export function entityInfo(metadata: EntityMetadata): EntityInfo {
  let info = entityInfos.get(metadata);
  if (info) return info;
  const driver = metadata.connection.driver;
  const byProperty = new Map<string, { info: ColumnInfo; metadata: ColumnMetadata }>();
  // A virtual column is a relation's join column with no property of its own: stored, so mapped (as `org.id`).
  for (const column of metadata.columns.filter((c) => !c.isVirtual || c.relationMetadata)) {
    const columnInfo: ColumnInfo = {
      property: column.propertyPath,
      column: column.databaseName,
      quoted: driver.escape(column.databaseName),
      numeric: numericTypes.test(String(driver.normalizeType(column)).toLowerCase()),
      integer: integerTypes.test(String(driver.normalizeType(column)).toLowerCase()),
      primary: column.isPrimary,
      structured: column.isArray || structuredTypes.test(String(column.type)),
    };
    byProperty.set(column.propertyPath, { info: columnInfo, metadata: column });
  }
  const joinRelations = metadata.relations.filter(
    (r) => isOwning(r) && r.joinColumns.every((c) => c.isVirtual),
  );
  const tableSql = metadata.tablePath
    .split('.')
    .map((part) => driver.escape(part))
    .join('.');
  info = {
    columns: [...byProperty.values()].map((c) => c.info),
    byProperty,
    joinRelations,
    tableSql,
  };
  entityInfos.set(metadata, info);
  return info;
}

/**
 * Sets every column of a raw row (keyed by column name) on `entity` as TypeORM's hydration
 * does. A join column with no property of its own becomes the relation's id object
 * (`org: { id: 5 }`, TypeORM's own setEntityValue), and `org: null` when the row references nothing.
 */
export function setColumnValues(
  metadata: EntityMetadata,
  entity: ObjectLiteral,
  raw: Record<string, unknown>,
): void {
  const info = entityInfo(metadata);
  const driver = metadata.connection.driver;
  for (const { metadata: column } of info.byProperty.values()) {
    if (Object.hasOwn(raw, column.databaseName))
      setColumnValue(column, entity, driver.prepareHydratedValue(raw[column.databaseName], column));
  }
  for (const relation of info.joinRelations) {
    // setEntityValue alone would leave `{ id: null }`, an id object of no entity.
    if (relation.joinColumns.every((c) => raw[c.databaseName] === null))
      assignPath(entity, relation.propertyPath, null);
  }
}

/**
 * Assigns at a property path, making plain objects for missing parents. Unlike
 * RelationMetadata.setEntityValue it replaces rather than merges, and unlike
 * ColumnMetadata.setEntityValue it makes no embedded instance (whose class fields would be `undefined`).
 */
function assignPath(target: ObjectLiteral, path: string, value: unknown): void {
  const names = path.split('.');
  const last = names.pop()!;
  const parent = names.reduce<ObjectLiteral>(
    (object, name) => (object[name] ??= {}) as ObjectLiteral,
    target,
  );
  parent[last] = value;
}

/**
 * `column.setEntityValue(entity, value)`, also for a join column with no property of its own
 * when the relation property exists but holds no object: TypeORM then writes `value` into
 * `entity.org.id` and throws on `undefined` (a class field declared `org!: Org`, defined by
 * ES2022 class fields before any constructor body runs) or `null`.
 */
export function setColumnValue(
  column: ColumnMetadata,
  entity: ObjectLiteral,
  value: unknown,
): void {
  const relation = column.isVirtual ? column.relationMetadata : undefined;
  if (relation && (relation.getEntityValue(entity) ?? null) === null)
    relation.setEntityValue(entity, {});
  column.setEntityValue(entity, value);
}

/**
 * The object for TypeORM's `UpdateQueryBuilder.set()` that assigns each property path its SQL:
 * nested the way TypeORM reads entities back (`{ org: { id } }`, `{ address: { city } }`).
 * Plain objects only: TypeORM would write an embedded instance's `undefined` fields as NULL.
 */
export function updateSet(assignments: { property: string; sql: string }[]): ObjectLiteral {
  const set: ObjectLiteral = {};
  for (const { property, sql } of assignments) assignPath(set, property, () => sql);
  return set;
}

/** A ManyToOne or owning OneToOne relation: its join columns are columns of this entity's table. */
export function isOwning(relation: RelationMetadata): boolean {
  return relation.isManyToOne || relation.isOneToOneOwner;
}
