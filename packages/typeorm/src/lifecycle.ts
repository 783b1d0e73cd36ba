import { type PendingWrite, type RowLifecycle, isFExpression, sameValue } from '@racesafe/core';
import type {
  EntityMetadata,
  EntitySubscriberInterface,
  ObjectLiteral,
  QueryRunner,
} from 'typeorm';
import { setColumnValue } from './columns';

/** Options of every writing call: TypeORM's own `save()` option. */
export interface ListenerOptions {
  /** Run entity listeners and subscribers as `save()` does (default true). */
  listeners?: boolean;
}

type ColumnMetadata = EntityMetadata['columns'][number];

/** What the lifecycle needs of the gateway's column map. */
export interface EntityValues<Entity> {
  /** The mapped columns, by property path. */
  columns: Iterable<ColumnMetadata>;
  /** Values for an INSERT from a new entity (version column and the like added). */
  insertValues(values: Record<string, unknown>): Record<string, unknown>;
  /** Sets a stored row (raw, keyed by column) on an entity, converted as TypeORM hydrates it. */
  fill(entity: Entity, raw: Record<string, unknown>): void;
}

/** Who listens to an entity's writes: entity listeners, and subscribers of its data source. */
interface Listeners {
  any: boolean;
  /** Code that can write (subscribers get a manager) or runs after the statement (after-listeners). */
  atomic: boolean;
}

// Computed per call, not cached: a data source's subscribers can be added after it initialised.
function listeners(metadata: EntityMetadata): Listeners {
  const events = ['beforeInsert', 'afterInsert', 'beforeUpdate', 'afterUpdate'] as const;
  const subscribed = metadata.connection.subscribers.some(
    (subscriber) =>
      listensTo(subscriber, metadata) && events.some((e) => subscriber[e] !== undefined),
  );
  const after = metadata.afterInsertListeners.length + metadata.afterUpdateListeners.length > 0;
  const before = metadata.beforeInsertListeners.length + metadata.beforeUpdateListeners.length > 0;
  return { any: subscribed || after || before, atomic: subscribed || after };
}

/** TypeORM's own rule (Broadcaster#isAllowedSubscriber). */
function listensTo(subscriber: EntitySubscriberInterface, metadata: EntityMetadata): boolean {
  const target = subscriber.listenTo?.();
  return (
    !target ||
    target === Object ||
    target === metadata.target ||
    (typeof metadata.target === 'function' &&
      Object.prototype.isPrototypeOf.call(target, metadata.target))
  );
}

/**
 * TypeORM's write lifecycle for one call, as `repository.save()` runs it, through TypeORM's
 * own broadcaster on the query runner the statement runs on: `@BeforeInsert` listeners and
 * subscribers' `beforeInsert` before the INSERT, `afterInsert` after it; for an update
 * `beforeUpdate` / `afterUpdate` with `databaseEntity` (the row as locked) and
 * `updatedColumns`. Undefined with `listeners: false` or when nothing listens.
 */
export function typeormLifecycle<Entity extends ObjectLiteral>(
  metadata: EntityMetadata,
  options: ListenerOptions,
  values: EntityValues<Entity>,
): RowLifecycle<Entity> | undefined {
  const found = listeners(metadata);
  if (options.listeners === false || !found.any) return undefined;
  // TypeORM's own broadcaster on the statement's query runner: listeners and subscribers as save() calls them.
  const broadcast = (runner: unknown, event: string, ...args: unknown[]) =>
    broadcasterOf(runner).broadcast(event, metadata, ...args);

  return {
    // Listeners and subscribers are the user's code: never run on a hit.
    runsUserCode: true,
    atomic: found.atomic,
    async beforeCreate(row, session): Promise<PendingWrite<Entity>> {
      // A new entity, as repository.create() makes it (class field initialisers run).
      const entity = metadata.create(session.native as QueryRunner) as Entity;
      for (const column of values.columns)
        if (row[column.propertyPath] !== undefined)
          setColumnValue(column, entity, row[column.propertyPath]);
      await broadcast(session.native, 'BeforeInsert', entity);
      return {
        values: values.insertValues(valuesOf(values.columns, entity)),
        stored: async (raw) => {
          values.fill(entity, raw);
          await broadcast(session.native, 'AfterInsert', entity, metadata.getEntityIdMap(entity));
          return entity;
        },
      };
    },
    async beforeUpdate(entity, changes, session): Promise<PendingWrite<Entity>> {
      const columns = [...values.columns];
      const databaseEntity = copyOf(metadata, columns, entity);
      const expressions = Object.fromEntries(
        Object.entries(changes).filter(([, value]) => isFExpression(value)),
      );
      for (const column of columns) {
        const value = changes[column.propertyPath];
        if (value !== undefined && !isFExpression(value)) setColumnValue(column, entity, value);
      }
      const updatedColumns = columns.filter((column) =>
        Object.hasOwn(changes, column.propertyPath),
      );
      await broadcast(session.native, 'BeforeUpdate', entity, databaseEntity, updatedColumns, []);
      // Listeners may change more: what differs from the row as locked is written, as save() recomputes its diff.
      const plain = Object.fromEntries(
        columns
          .filter(
            (c) =>
              !Object.hasOwn(expressions, c.propertyPath) &&
              !sameValue(c.getEntityValue(entity), c.getEntityValue(databaseEntity)),
          )
          .map((c) => [c.propertyPath, c.getEntityValue(entity)]),
      );
      for (const column of columns)
        if (Object.hasOwn(plain, column.propertyPath) && !updatedColumns.includes(column))
          updatedColumns.push(column);
      return {
        values: { ...plain, ...expressions },
        stored: async (raw) => {
          values.fill(entity, raw);
          await broadcast(
            session.native,
            'AfterUpdate',
            entity,
            databaseEntity,
            updatedColumns,
            [],
          );
          return entity;
        },
      };
    },
  };
}

/**
 * Subscribers' `beforeUpdate` / `afterUpdate` around atomicUpdate's one UPDATE, as TypeORM's
 * update query builder (`repository.update` / `increment`) broadcasts them: `entity` is the
 * values object as given (F expressions included), no `databaseEntity`; entity listeners do
 * not fire (the values are not an entity instance). Undefined when nothing would run.
 */
export function bulkUpdateListeners(
  metadata: EntityMetadata,
  options: ListenerOptions,
  valuesSet: object,
) {
  if (options.listeners === false || !listeners(metadata).any) return undefined;
  return async <T>(runner: unknown, send: () => Promise<T>): Promise<T> => {
    await broadcasterOf(runner).broadcast('BeforeUpdate', metadata, valuesSet);
    const result = await send();
    await broadcasterOf(runner).broadcast('AfterUpdate', metadata, valuesSet);
    return result;
  };
}

/** The query runner's Broadcaster, typed loosely: its `broadcast(event, ...args)` is the same in TypeORM 0.3 and 1.x. */
function broadcasterOf(runner: unknown): {
  broadcast(event: string, ...args: unknown[]): Promise<void>;
} {
  return (runner as QueryRunner).broadcaster;
}

function valuesOf(
  columns: Iterable<ColumnMetadata>,
  entity: ObjectLiteral,
): Record<string, unknown> {
  const entries = [...columns].map(
    (column) => [column.propertyPath, column.getEntityValue(entity) as unknown] as const,
  );
  return Object.fromEntries(entries.filter(([, value]) => value !== undefined));
}

/** The row as it was before the update, for `databaseEntity`. */
function copyOf<Entity extends ObjectLiteral>(
  metadata: EntityMetadata,
  columns: ColumnMetadata[],
  entity: Entity,
): Entity {
  const copy = metadata.create(undefined, { fromDeserializer: true }) as Entity;
  for (const column of columns) setColumnValue(column, copy, column.getEntityValue(entity));
  return copy;
}
