import type { FExpression, RetryPolicy } from '@racesafe/core';

/** Property values that identify one row; keys are entity property names. `null` only for NULLS NOT DISTINCT keys. */
export type Lookup<Entity> = { [K in keyof Entity]?: Entity[K] | null };

/** Plain property values to write. */
export type Values<Entity> = { [K in keyof Entity]?: Entity[K] | null };

/** Property values to write, each a plain value or an F expression computed by the database. */
export type AtomicValues<Entity> = { [K in keyof Entity]?: Entity[K] | null | FExpression };

/** Values, or a function returning them (called only when they are needed). */
export type ValuesOrFactory<V> = V | (() => V);

export type { RetryPolicy };
