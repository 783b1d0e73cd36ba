import type { ModelGateway } from '../gateway';
import type { Parameters } from './parameters';

/**
 * `col = $n AND col IS NULL ...` for a lookup (NULL only reaches here for NULLS NOT DISTINCT keys).
 */
export function lookupCondition(
  gateway: ModelGateway<unknown>,
  lookup: Record<string, unknown>,
  parameters: Parameters,
): string {
  return Object.entries(lookup)
    .map(([property, value]) => {
      const column = gateway.column(property)!.quoted;
      return value === null
        ? `${column} IS NULL`
        : `${column} = ${gateway.bindValue(property, value, parameters.add)}`;
    })
    .join(' AND ');
}

/**
 * The lookup's condition, and on a soft-deleting model `AND "deletedAt" IS NULL` unless
 * `withDeleted` (as findOne does).
 */
export function liveLookupCondition(
  gateway: ModelGateway<unknown>,
  lookup: Record<string, unknown>,
  parameters: Parameters,
  withDeleted = false,
): string {
  const condition = lookupCondition(gateway, lookup, parameters);
  const deleted = gateway.softDeleteColumn;
  return deleted && !withDeleted ? `${condition} AND ${deleted.quoted} IS NULL` : condition;
}
