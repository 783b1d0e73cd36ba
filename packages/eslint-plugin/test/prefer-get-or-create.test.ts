import { preferGetOrCreate } from '../src/rules/prefer-get-or-create';
import { runRule, withImports, type Case } from './rule-tester';

const typeormImport = withImports(["import { raceSafe } from '@racesafe/typeorm';"]);
const sequelizeImport = withImports(["import { raceSafe } from '@racesafe/sequelize';"]);
const upsert = { messageId: 'upsert' };

const invalid: Case[] = [
  {
    name: "README's Sequelize findOrCreate (the race harness's naive getOrCreate)",
    code: `export async function naiveGetOrCreate(path: string) {
  const [page, created] = await Page.findOrCreate({ where: { path }, defaults: { views: 0 } });
  return { id: page.id, created };
}`,
    suggestionId: 'useGetOrCreate',
    outputHeader: sequelizeImport,
    output: `export async function naiveGetOrCreate(path: string) {
  const [page, created] = await raceSafe(Page).getOrCreate({ where: { path }, defaults: { views: 0 } });
  return { id: page.id, created };
}`,
  },
  {
    name: 'findOrCreate with a transaction',
    code: `export async function inTransaction(path: string, transaction: never) {
  return Page.findOrCreate({ where: { path }, transaction });
}`,
  },
  {
    name: 'a model required from ./models',
    code: `declare const require: (id: string) => any;
const { Member } = require('./models');
export async function join(email: string) {
  const [member] = await Member.findOrCreate({ where: { email } });
  return member;
}`,
    suggestionId: 'useGetOrCreate',
    outputHeader: sequelizeImport,
    output: `declare const require: (id: string) => any;
const { Member } = require('./models');
export async function join(email: string) {
  const [member] = await raceSafe(Member).getOrCreate({ where: { email } });
  return member;
}`,
  },
  {
    name: 'models.User from a models object',
    code: `declare const models: any;
export async function viaModels(email: string) {
  return models.User.findOrCreate({ where: { email }, defaults: { name: email } });
}`,
  },
  {
    name: 'a ModelStatic<Page> parameter (known by its type only)',
    typedOnly: true,
    code: `export async function generic(model: ModelStatic<Page>, path: string) {
  return model.findOrCreate({ where: { path } });
}`,
  },
  {
    name: 'a sequelize-typescript model',
    code: `export async function open(email: string) {
  return Account.findOrCreate({ where: { email }, defaults: { balance: 0 } });
}`,
  },
  {
    name: 'a Nest-injected model (@InjectModel)',
    code: `declare function InjectModel(model: unknown): ParameterDecorator;
class PagesService {
  constructor(@InjectModel(Page) private readonly pages: typeof Page) {}
  async ensure(path: string) {
    return this.pages.findOrCreate({ where: { path } });
  }
}`,
  },
  {
    name: 'findOrCreate in a map over names',
    code: `export async function importPaths(paths: string[]) {
  return Promise.all(paths.map((path) => Page.findOrCreate({ where: { path } })));
}`,
  },
  {
    name: 'findOrCreate with then()',
    code: `export function ensureItem(sku: string) {
  return Item.findOrCreate({ where: { sku }, defaults: { stock: 0 } }).then(([item]) => item);
}`,
  },
  {
    name: 'db.Page from a db object',
    code: `declare const db: any;
export async function viaDb(path: string) {
  const [page] = await db.Page.findOrCreate({ where: { path } });
  return page;
}`,
  },
  {
    name: 'a type-only receiver: a function returning typeof Page',
    typedOnly: true,
    code: `declare function pageModel(): typeof Page;
export async function typedOnly(path: string) {
  const model = pageModel();
  return model.findOrCreate({ where: { path } });
}`,
  },
  {
    name: 'TypeORM upsert then findOneBy: updateOrCreate',
    ...upsert,
    code: `export async function remember(users: Repository<User>, email: string, name: string) {
  await users.upsert({ email, name }, ['email']);
  return users.findOneByOrFail({ email });
}`,
    suggestionId: 'useUpdateOrCreate',
    outputHeader: typeormImport,
    output: `export async function remember(users: Repository<User>, email: string, name: string) {
  await raceSafe(users).updateOrCreate({ email }, { defaults: { name } });
  return users.findOneByOrFail({ email });
}`,
  },
  {
    name: 'TypeORM upsert of the lookup only, then findOne: getOrCreate',
    ...upsert,
    code: `export async function tag(tags: Repository<Tag>, name: string) {
  await tags.upsert({ name }, { conflictPaths: ['name'] });
  return tags.findOne({ where: { name } });
}`,
    suggestionId: 'useGetOrCreate',
    outputHeader: typeormImport,
    output: `export async function tag(tags: Repository<Tag>, name: string) {
  await raceSafe(tags).getOrCreate({ name });
  return tags.findOne({ where: { name } });
}`,
  },
  {
    name: 'EntityManager upsert then findOneBy',
    ...upsert,
    code: `export function viaManager(email: string) {
  return dataSource.transaction(async (manager) => {
    await manager.upsert(User, { email, name: email, logins: 0 }, ['email']);
    return manager.findOneBy(User, { email });
  });
}`,
  },
  {
    name: 'a Nest-injected repository: upsert then findOne',
    ...upsert,
    code: `class UsersService {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}
  async touch(email: string) {
    await this.users.upsert({ email, logins: 0 }, ['email']);
    return this.users.findOne({ where: { email } });
  }
}`,
  },
  {
    name: 'TypeORM BaseEntity upsert then findOneBy',
    ...upsert,
    code: `export async function useTag(name: string) {
  await Tag.upsert({ name, uses: 0 }, ['name']);
  return Tag.findOneBy({ name });
}`,
  },
  {
    name: 'upsert with conflict paths from a variable: no suggestion',
    ...upsert,
    code: `export async function dynamic(users: Repository<User>, email: string, paths: string[]) {
  await users.upsert({ email, name: email }, paths);
  return users.findOneBy({ email });
}`,
    suggestions: 0,
  },
  {
    name: 'a repository returned by a function (known by its type only)',
    ...upsert,
    typedOnly: true,
    code: `declare function productsRepository(): Repository<Product>;
export async function typedOnly(sku: string) {
  const products = productsRepository();
  await products.upsert({ sku, stock: 0 }, ['sku']);
  return products.findOneByOrFail({ sku });
}`,
  },
  {
    name: 'upsert of a product then findOne with where',
    ...upsert,
    code: `export async function product(sku: string) {
  const products = dataSource.getRepository(Product);
  await products.upsert({ sku, stock: 10 }, ['sku']);
  const row = await products.findOne({ where: { sku } });
  return row;
}`,
  },
  {
    name: 'findOrCreate on an Item with defaults',
    code: `export async function item(sku: string) {
  const [row] = await Item.findOrCreate({ where: { sku }, defaults: { stock: 1 } });
  return row;
}`,
  },
  {
    name: 'findOrCreate on a sequelize.define() model',
    code: `declare const sequelize: any;
const Visit = sequelize.define('visit', {});
export async function visit(path: string) {
  return Visit.findOrCreate({ where: { path } });
}`,
  },
  {
    name: 'findOrCreate inside a for loop over rows',
    code: `export async function ensureAll(skus: string[]) {
  for (const sku of skus) await Item.findOrCreate({ where: { sku }, defaults: { stock: 0 } });
}`,
  },
  {
    name: 'findOrCreate on a model imported with ES import',
    code: `import { Visitor } from './models';
export async function visitor(ip: string) {
  return Visitor.findOrCreate({ where: { ip } });
}`,
  },
  {
    name: 'upsert in a Nest property-injected repository, read back with findOneByOrFail',
    ...upsert,
    code: `class ProductsService {
  @InjectRepository(Product) private products!: Repository<Product>;
  async restock(sku: string, stock: number) {
    await this.products.upsert({ sku, stock }, { conflictPaths: ['sku'] });
    return this.products.findOneByOrFail({ sku });
  }
}`,
  },
];

const valid: Case[] = [
  {
    name: "racesafe's getOrCreate (README)",
    code: `export async function recordView(path: string) {
  const [page] = await (Page as any).getOrCreate({ where: { path } });
  return page;
}`,
  },
  {
    name: 'mongoose-findorcreate (no where): not Sequelize',
    code: `declare const User2: any;
export async function passport(profile: { id: string }) {
  return User2.findOrCreate({ googleId: profile.id });
}`,
  },
  {
    name: 'a plain upsert, the row not read back',
    code: `export async function settings(users: Repository<User>, email: string) {
  await users.upsert({ email, name: email }, ['email']);
}`,
  },
  {
    name: 'upsert, then a read of another entity',
    code: `export async function other(users: Repository<User>, products: Repository<Product>, email: string) {
  await users.upsert({ email, name: email }, ['email']);
  return products.findOneBy({ sku: email });
}`,
  },
  {
    name: 'upsert in one function, the read in another',
    code: `export async function write(users: Repository<User>, email: string) {
  await users.upsert({ email, name: email }, ['email']);
}
export async function read(users: Repository<User>, email: string) {
  return users.findOneBy({ email });
}`,
  },
  {
    name: 'a class of this file with a findOrCreate static, not a model',
    code: `class Cache { static async findOrCreate(_o: unknown) { return []; } }
export async function cached(key: string) {
  return Cache.findOrCreate({ where: { key } });
}`,
  },
  {
    name: 'a lower-case object with findOrCreate',
    code: `declare const cache: any;
export async function lower(key: string) {
  return cache.findOrCreate({ where: { key } });
}`,
  },
  {
    name: 'findOne is not findOrCreate',
    code: `export async function find(path: string) {
  return Page.findOne({ where: { path } });
}`,
  },
  {
    name: 'insert then read',
    code: `export async function insertRead(users: Repository<User>, email: string) {
  await users.insert({ email, name: email, logins: 0 });
  return users.findOneBy({ email });
}`,
  },
  {
    name: 'a read before the upsert',
    code: `export async function readFirst(users: Repository<User>, email: string) {
  const before = await users.findOneBy({ email });
  await users.upsert({ email, name: email }, ['email']);
  return before;
}`,
  },
  {
    name: 'an object method named findOrCreate, not called',
    code: `export const api = { findOrCreate() { return 1; } };`,
  },
  {
    name: "Sequelize's own upsert (not TypeORM's)",
    code: `export async function seqUpsert(path: string) {
  await Page.upsert({ path, views: 0 });
  return Page.findOne({ where: { path } });
}`,
  },
  {
    name: 'save then read',
    code: `export async function saveRead(users: Repository<User>, email: string) {
  await users.save({ email, name: email, logins: 0 });
  return users.findOneBy({ email });
}`,
  },
  {
    name: 'the name as a string',
    code: `export const name = 'findOrCreate';`,
  },
  {
    name: 'findOrCreate on a typed non-model service',
    code: `class TagService { async findOrCreate(_o: unknown) { return []; } }
export async function service(tags: TagService, name: string) {
  return tags.findOrCreate({ where: { name } });
}`,
  },
  {
    name: 'upsert on a non-ORM object, then a read',
    code: `declare const store: { upsert(v: unknown, k: string[]): Promise<void>; findOneBy(v: unknown): Promise<unknown> };
export async function kv(key: string) {
  await store.upsert({ key }, ['key']);
  return store.findOneBy({ key });
}`,
  },
  {
    name: 'upsert in a callback, the read outside it',
    code: `export async function callback(users: Repository<User>, email: string) {
  const later = () => users.upsert({ email, name: email }, ['email']);
  void later;
  return users.findOneBy({ email });
}`,
  },
  {
    name: 'racesafe getOrCreate on a TypeORM repository',
    code: `export async function rs(users: Repository<User>, email: string) {
  return (users as any).getOrCreate({ email });
}`,
  },
  {
    name: 'findCreateFind is left alone',
    code: `export async function fcf(path: string) {
  return Page.findCreateFind({ where: { path } });
}`,
  },
  {
    name: 'a find of many rows after the upsert',
    code: `export async function many(users: Repository<User>, email: string) {
  await users.upsert({ email, name: email }, ['email']);
  return users.find();
}`,
  },
];

runRule('prefer-get-or-create', preferGetOrCreate, 'findOrCreate', { valid, invalid });
