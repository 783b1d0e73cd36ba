import type { RowLifecycle } from '@racesafe/core';
import type { ObjectLiteral, Repository } from 'typeorm';

/** Options of every writing call: TypeORM's own `save()` option. */
export interface ListenerOptions {
  /** Run entity listeners and subscribers as `save()` does (default true). */
  listeners?: boolean;
}

/** TypeORM's write lifecycle: entity listeners and subscribers, through TypeORM's own broadcaster. */
export function typeormLifecycle<Entity extends ObjectLiteral>(_repository: Repository<Entity>, _options: ListenerOptions): RowLifecycle<Entity> | undefined {
  return undefined;
}
