import { type PendingWrite, type RowLifecycle, type Session, isFExpression } from '@racesafe/core';
import type { Model, ModelStatic, Transaction } from 'sequelize';

/** Options of every writing call: Sequelize's own `create()` / `save()` options. */
export interface LifecycleOptions {
  /** Run the model's hooks as `Model.create` / `instance.save()` do (default true). */
  hooks?: boolean;
  /** Validate as `Model.create` / `instance.save()` do (default true); a failure is Sequelize's own ValidationError. */
  validate?: boolean;
}

/** Sequelize internals the lifecycle relies on (stable across Sequelize 6 releases). */
interface ModelInternals {
  rawAttributes: Record<
    string,
    {
      autoIncrement?: boolean;
      set?: unknown;
      validate?: Record<string, unknown>;
      defaultValue?: unknown;
    }
  >;
  options: { validate?: Record<string, unknown> };
  _virtualAttributes: Set<string>;
  _timestampAttributes: { createdAt?: string; updatedAt?: string };
  _versionAttribute?: string;
  runHooks(name: string, ...args: unknown[]): Promise<void>;
  hasHook(name: string): boolean;
}
interface InstanceInternals {
  dataValues: Record<string, unknown>;
  _previousDataValues: Record<string, unknown>;
  isNewRecord: boolean;
  changed(): string[] | false;
  changed(key: string, value: boolean): void;
}

// Hooks that Model.create / instance.save() run for one row (beforeSave / afterSave are stored as these).
const rowHooks = [
  'beforeValidate',
  'afterValidate',
  'validationFailed',
  'beforeCreate',
  'afterCreate',
  'beforeUpdate',
  'afterUpdate',
];

/**
 * Sequelize's write lifecycle for one call, run by Sequelize's own code as `instance.save()`
 * runs it: `validate()` (attribute and model validators, beforeValidate / afterValidate
 * hooks), `beforeCreate` / `beforeUpdate` (and the beforeSave hooks they include), then
 * after racesafe's statement `afterCreate` / `afterUpdate` (and afterSave) on the instance
 * the before-hooks saw. Undefined when `hooks: false` and `validate: false`.
 */
export function sequelizeLifecycle<M extends Model>(
  model: ModelStatic<M>,
  options: LifecycleOptions,
  storedValues: (raw: Record<string, unknown>) => Record<string, unknown>,
): RowLifecycle<M> | undefined {
  const internals = model as unknown as ModelInternals;
  const hooks = options.hooks !== false && rowHooks.some((name) => internals.hasHook(name));
  const validate = options.validate !== false;
  if (!hooks && !validate) return undefined;
  const saveOptions = (session: Session, fields: string[]) => ({
    transaction: (session.native ?? undefined) as Transaction | undefined,
    hooks,
    validate,
    fields,
    defaultFields: fields,
  });

  /** What save() does once the row is stored: the instance takes the stored values, then the after-hooks run. */
  const stored =
    (instance: M, hook: 'afterCreate' | 'afterUpdate', options: object) =>
    async (raw: Record<string, unknown>) => {
      markStored(instance, storedValues(raw));
      if (hooks) await internals.runHooks(hook, instance, options);
      return instance;
    };

  return {
    atomic: hooks,
    runsUserCode:
      hooks || (validate && hasCustomValidators(internals)) || hasUserCodeOnBuild(internals),
    async beforeCreate(values, session): Promise<PendingWrite<M>> {
      // build() runs setters and defaultValues, as Model.create does.
      const instance = model.build(values as never, { isNewRecord: true });
      const options = saveOptions(session, Object.keys(internals.rawAttributes));
      setTimestamps(internals, instance);
      if (validate) await instance.validate(options);
      if (hooks) await internals.runHooks('beforeCreate', instance, options);
      return {
        values: insertable(internals, instance),
        stored: stored(instance, 'afterCreate', options),
      };
    },
    async validateChanges(changes, session): Promise<void> {
      // As Model.update validates: a built instance of the plain values, every other attribute skipped.
      const plain = Object.fromEntries(
        Object.entries(changes).filter(([, value]) => !isFExpression(value)),
      );
      if (!validate || Object.keys(plain).length === 0) return;
      const fields = Object.keys(plain);
      await model
        .build(plain as never)
        .validate({ ...saveOptions(session, fields), skip: skipped(internals, fields) });
    },
    async beforeUpdate(row, changes, session): Promise<PendingWrite<M>> {
      const expressions = Object.fromEntries(
        Object.entries(changes).filter(([, value]) => isFExpression(value)),
      );
      // Plain changes go through the instance's setters; F expressions are the database's to compute.
      row.set(
        Object.fromEntries(
          Object.entries(changes).filter(([, value]) => !isFExpression(value)),
        ) as never,
      );
      const options = saveOptions(session, changedFields(row));
      if (validate) await row.validate({ ...options, skip: skipped(internals, options.fields) });
      if (hooks) {
        await internals.runHooks('beforeUpdate', row, options);
        // A hook's own changes are written too, and validated, as save() does.
        const byHooks = changedFields(row).filter((field) => !options.fields.includes(field));
        if (validate && byHooks.length > 0)
          await row.validate({ ...options, skip: skipped(internals, byHooks) });
        options.fields.push(...byHooks);
      }
      const plain = Object.fromEntries(
        options.fields.map((field) => [
          field,
          (row as unknown as InstanceInternals).dataValues[field],
        ]),
      );
      return { values: { ...plain, ...expressions }, stored: stored(row, 'afterUpdate', options) };
    },
  };
}

/** createdAt / updatedAt as save() sets them on a new record (the INSERT then writes them). */
function setTimestamps(internals: ModelInternals, instance: Model): void {
  const { dataValues } = instance as unknown as InstanceInternals;
  const now = new Date();
  for (const attribute of [
    internals._timestampAttributes.createdAt,
    internals._timestampAttributes.updatedAt,
  ]) {
    if (attribute && dataValues[attribute] == null) dataValues[attribute] = now;
  }
  const version = internals._versionAttribute;
  if (version && dataValues[version] == null) dataValues[version] = 0;
}

/** The instance's values an INSERT writes: real attributes with a value (a null autoIncrement key is the database's to fill). */
function insertable(internals: ModelInternals, instance: Model): Record<string, unknown> {
  const { dataValues } = instance as unknown as InstanceInternals;
  return Object.fromEntries(
    Object.entries(dataValues).filter(
      ([attribute, value]) =>
        Object.hasOwn(internals.rawAttributes, attribute) &&
        !internals._virtualAttributes.has(attribute) &&
        value !== undefined &&
        !(value === null && internals.rawAttributes[attribute].autoIncrement),
    ),
  );
}

function changedFields(instance: Model): string[] {
  const changed = (instance as unknown as InstanceInternals).changed();
  return changed ? [...changed] : [];
}

/** Validation skips every attribute but `fields`, as save() validates only what it writes. */
function skipped(internals: ModelInternals, fields: string[]): string[] {
  return Object.keys(internals.rawAttributes).filter((attribute) => !fields.includes(attribute));
}

/**
 * The instance now holds the row as stored and is no longer new or changed, as after save(). The
 * stored values are set raw, as build() of a stored row sets them (type sanitizers, no setters),
 * on the instance itself: no second instance is built per row.
 */
function markStored(instance: Model, stored: Record<string, unknown>): void {
  const target = instance as unknown as InstanceInternals;
  target.isNewRecord = false;
  instance.set(stored as never, { raw: true });
  for (const key of Object.keys(target.dataValues)) {
    target._previousDataValues[key] = target.dataValues[key];
    target.changed(key, false);
  }
}

/** Attribute or model validators written as functions (isEmail: true is Sequelize's own; a function is the user's). */
function hasCustomValidators(model: ModelInternals): boolean {
  const validators = [
    model.options.validate ?? {},
    ...Object.values(model.rawAttributes).map((attribute) => attribute.validate ?? {}),
  ];
  return validators.some((set) =>
    Object.values(set).some((validator) => typeof validator === 'function'),
  );
}

/** build() calls attribute setters and function defaults: the user's code. */
function hasUserCodeOnBuild(model: ModelInternals): boolean {
  return Object.values(model.rawAttributes).some(
    (attribute) =>
      typeof attribute.set === 'function' || typeof attribute.defaultValue === 'function',
  );
}
