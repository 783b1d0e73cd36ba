import type { ModelGateway } from '../gateway';
import { assertKnownFields, assertWritableValues } from '../validate';

/** Values for a new row: an object, or a function called only when a row is created. */
export type Defaults<Values> = Values | (() => Values);

/**
 * Calls a defaults function (only now, when a row is about to be created) and checks what it
 * returned.
 */
export function resolveDefaults(
  gateway: ModelGateway<unknown>,
  defaults: Defaults<Record<string, unknown>> | undefined,
  group = 'defaults',
  allowF = false,
): Record<string, unknown> {
  if (typeof defaults !== 'function') return defaults ?? {};
  const values = defaults();
  assertKnownFields(gateway, { [group]: values });
  assertWritableValues(gateway, group, values, allowF);
  return values;
}

/**
 * Values for each new row: an object, or a function of the row's lookup called only for rows about
 * to be created.
 */
export type ManyDefaults =
  Record<string, unknown> | ((lookup: Record<string, unknown>) => Record<string, unknown>);
