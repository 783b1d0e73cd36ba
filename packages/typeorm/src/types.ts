import type { FExpression, FOn, RetryPolicy } from '@racesafe/core';

/**
 * A property's value as `repo.findOneBy` takes it: for a relation (ManyToOne, owning
 * OneToOne) also an object of the related entity's referenced columns (`{ id: 5 }`), for an
 * embedded an object of its properties (`{ city, zip }`).
 */
export type PropertyValue<T> = T extends
  Date | readonly unknown[] | Uint8Array | FExpression | ((...args: never[]) => unknown)
  ? T
  : T extends object
    ? T | { [K in keyof T]?: PropertyValue<T[K]> | null }
    : T;

/** Property paths as keys (`'address.city'`, `'org.id'`): the columns racesafe maps a relation or embedded to. */
export type PropertyPaths = { [path: `${string}.${string}`]: unknown };

/**
 * Property values that identify one row; keys are entity property names (relations and
 * embeddeds included, see {@link PropertyValue}) or property paths. `null` only for NULLS NOT DISTINCT keys.
 */
export type Lookup<Entity> = {
  [K in keyof Entity]?: PropertyValue<Entity[K]> | null;
} & PropertyPaths;

/**
 * Raw SQL for a value to write, as TypeORM's `insert()` / `update()` take it: the function
 * returns SQL text that is sent as is (`{ stampedAt: () => 'now()' }`). Never user input.
 */
export type RawSql = () => string;

/** Property values to write (relations and embeddeds as in {@link Lookup}), each a plain value or {@link RawSql}. */
export type Values<Entity> = {
  [K in keyof Entity]?: PropertyValue<Entity[K]> | null | RawSql;
} & PropertyPaths;

/**
 * Property values to write, each a plain value, {@link RawSql}, or an F expression computed by
 * the database on one of the entity's numeric properties (`F('loginz')` does not compile).
 */
export type AtomicValues<Entity> = {
  [K in keyof Entity]?: PropertyValue<Entity[K]> | null | RawSql | FOn<Entity>;
} & PropertyPaths;

/** Values, or a function returning them (called only when they are needed). */
export type ValuesOrFactory<V> = V | (() => V);

export type { RetryPolicy };
