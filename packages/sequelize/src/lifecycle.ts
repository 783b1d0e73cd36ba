import type { RowLifecycle } from '@racesafe/core';
import type { Model, ModelStatic } from 'sequelize';

/** Options of every writing call: Sequelize's own `create()` / `save()` options. */
export interface LifecycleOptions {
  /** Run the model's hooks as `Model.create` / `save()` do (default true). */
  hooks?: boolean;
  /** Validate as `Model.create` / `save()` do (default true). */
  validate?: boolean;
}

/** Sequelize's write lifecycle: validation and hooks, run by Sequelize's own code. */
export function sequelizeLifecycle<M extends Model>(_model: ModelStatic<M>, _options: LifecycleOptions): RowLifecycle<M> | undefined {
  return undefined;
}
