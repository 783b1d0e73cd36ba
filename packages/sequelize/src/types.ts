import type { FExpression, RetryPolicy } from '@racesafe/core';
import type { Transaction } from 'sequelize';

/** Attribute values that identify one row. `null` only for NULLS NOT DISTINCT keys. */
export type Lookup<Attributes> = { [K in keyof Attributes]?: Attributes[K] | null };

/** Plain attribute values to write. */
export type Values<Attributes> = { [K in keyof Attributes]?: Attributes[K] | null };

/** Attribute values to write, each a plain value or an F expression computed by the database. */
export type AtomicValues<Attributes> = { [K in keyof Attributes]?: Attributes[K] | null | FExpression };

/** Values, or a function returning them (called only when they are needed). */
export type ValuesOrFactory<V> = V | (() => V);

/** The `transaction` option, as in every Sequelize call; omitted, the CLS transaction applies. */
export interface TransactionOptions {
  transaction?: Transaction | null;
}

export type { RetryPolicy };
