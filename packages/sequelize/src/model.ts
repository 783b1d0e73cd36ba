import { type Attributes, Model, type ModelStatic } from 'sequelize';
import { type AtomicUpdateOptions, atomicUpdate } from './atomic-update';
import { type GetOrCreateOptions, getOrCreate } from './get-or-create';
import { type GetOrCreateManyOptions, getOrCreateMany } from './get-or-create-many';
import { type UpdateOrCreateOptions, updateOrCreate } from './update-or-create';
import type { AtomicValues } from './types';

/** The racesafe statics, as `RaceSafeModel` has them and `raceSafe(Model)` adds them. */
export interface RaceSafeStatics {
  /** See {@link getOrCreate}. */
  getOrCreate<M extends Model>(
    this: ModelStatic<M>,
    options: GetOrCreateOptions<Attributes<M>>,
  ): Promise<[M, boolean]>;
  /** See {@link getOrCreateMany}. */
  getOrCreateMany<M extends Model>(
    this: ModelStatic<M>,
    options: GetOrCreateManyOptions<Attributes<M>>,
  ): Promise<[M, boolean][]>;
  /** See {@link updateOrCreate}. */
  updateOrCreate<M extends Model>(
    this: ModelStatic<M>,
    options: UpdateOrCreateOptions<Attributes<M>>,
  ): Promise<[M, boolean]>;
  /** See {@link atomicUpdate}: with `returning: true`, the updated rows. */
  atomicUpdate<M extends Model>(
    this: ModelStatic<M>,
    values: AtomicValues<Attributes<M>>,
    options: AtomicUpdateOptions<Attributes<M>> & { returning: true },
  ): Promise<M[]>;
  /** See {@link atomicUpdate}: without `returning`, the number of rows updated. */
  atomicUpdate<M extends Model>(
    this: ModelStatic<M>,
    values: AtomicValues<Attributes<M>>,
    options: AtomicUpdateOptions<Attributes<M>> & { returning?: false },
  ): Promise<number>;
}

const statics: RaceSafeStatics = {
  getOrCreate(options) {
    return getOrCreate(this, options);
  },
  getOrCreateMany(options) {
    return getOrCreateMany(this, options);
  },
  updateOrCreate(options) {
    return updateOrCreate(this, options);
  },
  atomicUpdate(this: ModelStatic<Model>, values: never, options: never) {
    return atomicUpdate(this, values, options);
  },
} as RaceSafeStatics;

/**
 * A Sequelize `Model` with the racesafe statics. Extend it instead of `Model`.
 *
 * @example
 * ```ts
 * class User extends RaceSafeModel<InferAttributes<User>, InferCreationAttributes<User>> { declare email: string; }
 * User.init({ email: { type: DataTypes.TEXT, unique: true } }, { sequelize });
 * const [user, created] = await User.getOrCreate({ where: { email } });
 * ```
 */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-empty-object-type -- the bounds are Sequelize's own Model<TModelAttributes extends {} = any>, which this class extends */
export class RaceSafeModel<
  TAttributes extends {} = any,
  TCreationAttributes extends {} = TAttributes,
> extends Model<TAttributes, TCreationAttributes> {
  /* eslint-enable @typescript-eslint/no-explicit-any, @typescript-eslint/no-empty-object-type */
  /* eslint-disable @typescript-eslint/unbound-method -- static methods: Sequelize calls them on the model class, their `this` */
  /** See {@link getOrCreate}. */
  static getOrCreate = statics.getOrCreate;
  /** See {@link getOrCreateMany}. */
  static getOrCreateMany = statics.getOrCreateMany;
  /** See {@link updateOrCreate}. */
  static updateOrCreate = statics.updateOrCreate;
  /** See {@link atomicUpdate}. */
  static atomicUpdate = statics.atomicUpdate;
  /* eslint-enable @typescript-eslint/unbound-method */
}

/** A model class, abstract or not (sequelize-typescript's `Model` is abstract), that `withRaceSafe` can extend. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ModelBase = abstract new (...args: any[]) => Model;

/**
 * The racesafe statics on a subclass of `Base`, for models whose base class is not Sequelize's
 * own `Model`: sequelize-typescript's (`@Table` / `@Column` models registered with
 * `new Sequelize({ models })`, `repositoryMode: true` too). The statics are typed on the class
 * you declare, and every sequelize-typescript static (`initialize`, `$add`...) stays.
 * {@link RaceSafeModel} extends Sequelize's `Model`, which sequelize-typescript cannot register.
 *
 * @example
 * ```ts
 * import { Column, Model, Table, Unique } from 'sequelize-typescript';
 * @Table({ tableName: 'users' })
 * class User extends withRaceSafe(Model)<User> {
 *   @Unique @Column email!: string;
 *   @Column logins!: number;
 * }
 * const sequelize = new Sequelize({ dialect: 'postgres', models: [User] });
 * const [user, created] = await User.getOrCreate({ where: { email } });
 * await User.atomicUpdate({ logins: F('logins').plus(1) }, { where: { id: user.id } });
 * ```
 * SQL: as each static's own documentation says; the subclass adds nothing.
 */
export function withRaceSafe<Base extends ModelBase>(Base: Base): Base & RaceSafeStatics {
  // A plain subclass: sequelize-typescript reads @Table / @Column metadata from the user's class, and its
  // initialize() / repository copies (repositoryMode) inherit the statics as they inherit Model's.
  abstract class RaceSafeBase extends Base {}
  return Object.assign(RaceSafeBase, statics);
}

/**
 * Adds the racesafe statics to a model you cannot re-base on {@link RaceSafeModel}
 * (generated models, models of another package). Returns the same class, typed.
 *
 * @example
 * ```ts
 * const SafeUser = raceSafe(User);
 * await SafeUser.getOrCreate({ where: { email } });
 * ```
 */
export function raceSafe<S extends ModelStatic<Model>>(model: S): S & RaceSafeStatics {
  return Object.assign(model, statics);
}
