import type { FOn, RetryPolicy } from '@racesafe/core';
import type { Transaction, Utils } from 'sequelize';

/** Attribute values that identify one row. `null` only for NULLS NOT DISTINCT keys. */
export type Lookup<Attributes> = { [K in keyof Attributes]?: Attributes[K] | null };

/**
 * SQL for a value to write, built by Sequelize and compiled by its query generator as
 * `Model.create` / `Model.update` compile it: `fn('now')`, `literal('DEFAULT')`, `col('other')`, `cast(v, 'int')`.
 */
export type SqlValue = Utils.Fn | Utils.Literal | Utils.Col | Utils.Cast;

/** Attribute values to write, each a plain value or a {@link SqlValue}. */
export type Values<Attributes> = { [K in keyof Attributes]?: Attributes[K] | null | SqlValue };

/**
 * Attribute values to write, each a plain value, a {@link SqlValue}, or an F expression computed
 * by the database on one of the model's numeric attributes (`F('loginz')` does not compile).
 */
export type AtomicValues<Attributes> = {
  [K in keyof Attributes]?: Attributes[K] | null | SqlValue | FOn<Attributes>;
};

/** Values, or a function returning them (called only when they are needed). */
export type ValuesOrFactory<V> = V | (() => V);

/** The `transaction` option, as in every Sequelize call; omitted, the CLS transaction applies. */
export interface TransactionOptions {
  /** The transaction to run in; `null` runs outside any transaction, even under CLS. */
  transaction?: Transaction | null;
}

export type { RetryPolicy };
