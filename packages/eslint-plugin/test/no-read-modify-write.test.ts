import { noReadModifyWrite } from '../src/rules/no-read-modify-write';
import { runRule, withImports, type Case } from './rule-tester';

const typeormImport = withImports(["import { F, raceSafe } from '@racesafe/typeorm';"]);
const sequelizeImport = withImports(["import { F, raceSafe } from '@racesafe/sequelize';"]);

const invalid: Case[] = [
  {
    name: 'a repository got in place for each call: connection.getRepository(ctx, Product).findOne, then .update(id, { stock: row.stock + n })',
    code: `declare const connection: { getRepository<T>(ctx: unknown, entity: new () => T): Repository<T> };
export async function restock(ctx: unknown, id: number, n: number) {
  const product = await connection.getRepository(ctx, Product).findOne({ where: { id } });
  if (product) await connection.getRepository(ctx, Product).update(product.id, { stock: product.stock + n });
}`,
    suggestionId: 'useAtomicUpdate',
    outputHeader: typeormImport,
    output: `declare const connection: { getRepository<T>(ctx: unknown, entity: new () => T): Repository<T> };
export async function restock(ctx: unknown, id: number, n: number) {
  const product = await connection.getRepository(ctx, Product).findOne({ where: { id } });
  if (product) await raceSafe(connection.getRepository(ctx, Product)).atomicUpdate({ id: product.id }, { stock: F('stock').plus(n) });
}`,
  },
  {
    name: "the race harness's naive TypeORM increment (+= 1, then save)",
    code: `const counters = dataSource.getRepository(Product);
export async function naiveIncrement() {
  const counter = await counters.findOneByOrFail({ sku: 'hot' });
  counter.stock += 1;
  await counters.save(counter);
  return counter.stock;
}`,
    suggestionId: 'useAtomicUpdate',
    outputHeader: typeormImport,
    output: `const counters = dataSource.getRepository(Product);
export async function naiveIncrement() {
  const counter = await counters.findOneByOrFail({ sku: 'hot' });
  await raceSafe(counters).atomicUpdate({ id: counter.id }, { stock: F('stock').plus(1) });
  return counter.stock;
}`,
  },
  {
    name: "the race harness's naive guarded decrement: the guarded atomicUpdate (MoreThanOrEqual)",
    code: `const items = dataSource.getRepository(Product);
export async function naiveGuardedDecrement() {
  const item = await items.findOneByOrFail({ sku: 'hot' });
  if (item.stock < 1) return { sold: 0 };
  item.stock -= 1;
  await items.save(item);
  return { sold: 1 };
}`,
    suggestionId: 'useGuardedAtomicUpdate',
    outputHeader: withImports(
      ["import { F, raceSafe } from '@racesafe/typeorm';"],
      ['MoreThanOrEqual'],
    ),
    output: `const items = dataSource.getRepository(Product);
export async function naiveGuardedDecrement() {
  const item = await items.findOneByOrFail({ sku: 'hot' });
  if (item.stock < 1) return { sold: 0 };
  await raceSafe(items).atomicUpdate({ id: item.id, stock: MoreThanOrEqual(1) }, { stock: F('stock').minus(1) });
  return { sold: 1 };
}`,
  },
  {
    name: "README's page views: update({ views: page.views + 1 }) (examples/sequelize-page-views.ts, recordViewNaively)",
    code: `export async function recordViewNaively(path: string) {
  const page = await Page.findOne({ where: { path }, rejectOnEmpty: true });
  await page.update({ views: page.views + 1 });
}`,
    suggestionId: 'useAtomicUpdate',
    outputHeader: sequelizeImport,
    output: `export async function recordViewNaively(path: string) {
  const page = await Page.findOne({ where: { path }, rejectOnEmpty: true });
  await raceSafe(Page).atomicUpdate({ views: F('views').plus(1) }, { where: { id: page.id } });
}`,
  },
  {
    name: 'Sequelize guarded decrement through update(): the guarded form (Op.gte)',
    code: `export async function sell(sku: string) {
  const item = await Item.findOne({ where: { sku }, rejectOnEmpty: true });
  if (item.stock < 1) return false;
  await item.update({ stock: item.stock - 1 });
  return true;
}`,
    suggestionId: 'useGuardedAtomicUpdate',
    outputHeader: sequelizeImport,
    output: `export async function sell(sku: string) {
  const item = await Item.findOne({ where: { sku }, rejectOnEmpty: true });
  if (item.stock < 1) return false;
  await raceSafe(Item).atomicUpdate({ stock: F('stock').minus(1) }, { where: { id: item.id, stock: { [Op.gte]: 1 } } });
  return true;
}`,
  },
  {
    name: 'Sequelize row.n++ then row.save()',
    code: `export async function view(path: string) {
  const page = await Page.findOne({ where: { path } });
  if (!page) return;
  page.views++;
  await page.save();
}`,
    suggestionId: 'useAtomicUpdate',
    outputHeader: sequelizeImport,
    output: `export async function view(path: string) {
  const page = await Page.findOne({ where: { path } });
  if (!page) return;
  await raceSafe(Page).atomicUpdate({ views: F('views').plus(1) }, { where: { id: page.id } });
  await page.save();
}`,
  },
  {
    name: 'row.n = row.n - k, then repo.save(row)',
    code: `export async function take(products: Repository<Product>, sku: string, quantity: number) {
  const product = await products.findOneBy({ sku });
  if (!product) return;
  product.stock = product.stock - quantity;
  await products.save(product);
}`,
  },
  {
    name: 'row.n = k + row.n',
    code: `export async function add(products: Repository<Product>, sku: string, quantity: number) {
  const product = await products.findOneByOrFail({ sku });
  product.stock = quantity + product.stock;
  await products.save(product);
}`,
  },
  {
    name: 'Sequelize decrement inside if (row.stock >= q): the guarded form',
    code: `export async function reserve(sku: string, quantity: number) {
  const item = await Item.findOne({ where: { sku }, rejectOnEmpty: true });
  if (item.stock >= quantity) {
    item.stock -= quantity;
    await item.save();
  }
}`,
    suggestionId: 'useGuardedAtomicUpdate',
    outputHeader: sequelizeImport,
    output: `export async function reserve(sku: string, quantity: number) {
  const item = await Item.findOne({ where: { sku }, rejectOnEmpty: true });
  if (item.stock >= quantity) {
    await raceSafe(Item).atomicUpdate({ stock: F('stock').minus(quantity) }, { where: { id: item.id, stock: { [Op.gte]: quantity } } });
    await item.save();
  }
}`,
  },
  {
    name: 'Model.update({ n: inst.n + 1 }, { where })',
    code: `export async function bump(path: string) {
  const page = await Page.findOne({ where: { path }, rejectOnEmpty: true });
  await Page.update({ views: page.views + 1 }, { where: { id: page.id } });
}`,
  },
  {
    name: 'repo.update(id, { n: row.n + 1 })',
    code: `export async function login(users: Repository<User>, email: string) {
  const user = await users.findOneByOrFail({ email });
  await users.update(user.id, { logins: user.logins + 1 });
}`,
    suggestionId: 'useAtomicUpdate',
    outputHeader: typeormImport,
    output: `export async function login(users: Repository<User>, email: string) {
  const user = await users.findOneByOrFail({ email });
  await raceSafe(users).atomicUpdate({ id: user.id }, { logins: F('logins').plus(1) });
}`,
  },
  {
    name: 'manager.update(User, where, { n: row.n + 1 })',
    code: `export async function viaManager(manager: EntityManager, email: string) {
  const user = await manager.findOneByOrFail(User, { email });
  await manager.update(User, { id: user.id }, { logins: user.logins + 1 });
}`,
  },
  {
    name: 'a Nest service: the save writes other changes too, so no suggestion rewrites it',
    code: `class UsersService {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}
  async signIn(email: string, name: string) {
    const user = await this.users.findOneByOrFail({ email });
    user.name = name;
    user.logins += 1;
    await this.users.save(user);
  }
}`,
    suggestions: 0,
  },
  {
    name: 'two counters of one row changed, then one save (TypeORM): one atomicUpdate for both, the save gone',
    code: `@Entity() class Level { @PrimaryGeneratedColumn() id!: number; @Column() onHand!: number; @Column() allocated!: number; }
export async function merge(levels: Repository<Level>, id: number, from: Level) {
  const level = await levels.findOneBy({ id });
  if (level) {
    level.onHand += from.onHand;
    level.allocated += from.allocated;
    await levels.save(level);
  }
}`,
    errors: 2,
    suggestionId: 'useAtomicUpdate',
    outputHeader: typeormImport,
    output: `@Entity() class Level { @PrimaryGeneratedColumn() id!: number; @Column() onHand!: number; @Column() allocated!: number; }
export async function merge(levels: Repository<Level>, id: number, from: Level) {
  const level = await levels.findOneBy({ id });
  if (level) {
    await raceSafe(levels).atomicUpdate({ id: level.id }, { onHand: F('onHand').plus(from.onHand), allocated: F('allocated').plus(from.allocated) });
  }
}`,
  },
  {
    name: 'two counters of one row, one changed only under a condition: no single atomicUpdate is offered',
    code: `@Entity() class Level { @PrimaryGeneratedColumn() id!: number; @Column() onHand!: number; @Column() allocated!: number; }
export async function merge(levels: Repository<Level>, id: number, from: Level, both: boolean) {
  const level = await levels.findOneBy({ id });
  if (level) {
    level.onHand += from.onHand;
    if (both) level.allocated += from.allocated;
    await levels.save(level);
  }
}`,
    errors: 2,
    suggestions: 0,
  },
  {
    name: "the race harness's naive TypeORM updateOrCreate (found.logins += 1)",
    code: `const naiveUsers = dataSource.getRepository(User);
export async function naiveUpdateOrCreate(email: string, name: string) {
  const found = await naiveUsers.findOneBy({ email });
  if (!found) return naiveUsers.save(naiveUsers.create({ email, name, logins: 1 }));
  found.name = name;
  found.logins += 1;
  return naiveUsers.save(found);
}`,
    suggestions: 0,
  },
  {
    name: "the race harness's naive Sequelize updateOrCreate (update({ name, logins: found.logins + 1 }))",
    code: `export async function naiveUpdate(email: string, name: string) {
  const found = await Page.findOne({ where: { path: email } });
  if (!found) return;
  await found.update({ path: name, views: found.views + 1 });
}`,
    suggestionId: 'useAtomicUpdate',
    outputHeader: sequelizeImport,
    output: `export async function naiveUpdate(email: string, name: string) {
  const found = await Page.findOne({ where: { path: email } });
  if (!found) return;
  await raceSafe(Page).atomicUpdate({ path: name, views: F('views').plus(1) }, { where: { id: found.id } });
}`,
  },
  {
    name: 'TypeORM BaseEntity: tag.uses += 1, tag.save()',
    code: `export async function use(name: string) {
  const tag = await Tag.findOneBy({ name });
  if (!tag) return;
  tag.uses += 1;
  await tag.save();
}`,
  },
  {
    name: 'sequelize-typescript model found by primary key: balance -= amount',
    code: `export async function withdraw(id: number, amount: number) {
  const account = await Account.findByPk(id, { rejectOnEmpty: true });
  account.balance -= amount;
  await account.save();
}`,
  },
  {
    name: 'a ModelStatic<Page> parameter (known by its type only)',
    typedOnly: true,
    code: `export async function generic(model: ModelStatic<Page>, path: string) {
  const page = await model.findOne({ where: { path }, rejectOnEmpty: true });
  page.views += 1;
  await page.save();
}`,
  },
  {
    name: 'an EntityManager read without a lock',
    code: `export function restock(sku: string, quantity: number) {
  return dataSource.transaction(async (manager) => {
    const product = await manager.findOneBy(Product, { sku });
    if (!product) return;
    product.stock += quantity;
    await manager.save(product);
  });
}`,
  },
  {
    name: 'times: row.n *= 2',
    code: `export async function double(path: string) {
  const page = await Page.findOne({ where: { path }, rejectOnEmpty: true });
  page.views *= 2;
  await page.save();
}`,
  },
  {
    name: 'row.n = row.n + 1 on a repository variable',
    code: `export async function visit(email: string) {
  const users = dataSource.getRepository(User);
  const user = await users.findOneByOrFail({ email });
  user.logins = user.logins + 1;
  await users.save(user);
}`,
  },
  {
    name: 'a repository returned by a function (known by its type only)',
    typedOnly: true,
    code: `declare function productsRepository(): Repository<Product>;
export async function typedOnly(sku: string) {
  const products = productsRepository();
  const product = await products.findOneByOrFail({ sku });
  product.stock--;
  await products.save(product);
}`,
  },
  {
    name: 'a model required from ./models, + an identifier amount',
    code: `declare const require: (id: string) => any;
const { Wallet } = require('./models');
export async function deposit(id: number, amount: number) {
  const wallet = await Wallet.findByPk(id);
  wallet.balance += amount;
  await wallet.save();
}`,
  },
  {
    name: 'a model imported with ES import, found by primary key: decrement then save',
    code: `import { Wallet } from './models';
export async function spend(id: number, amount: number) {
  const wallet = await Wallet.findByPk(id);
  wallet.balance = wallet.balance - amount;
  await wallet.save();
}`,
  },
  {
    name: 'a Nest property-injected repository: uses-- then save',
    code: `class TagsService {
  @InjectRepository(Tag) private tags!: Repository<Tag>;
  async release(name: string) {
    const tag = await this.tags.findOneByOrFail({ name });
    tag.uses--;
    await this.tags.save(tag);
  }
}`,
  },
  {
    name: 'a counter bumped, then row = await repo.save(row) (the saved entity is the same object)',
    code: `class ArticleService {
  constructor(@InjectRepository(Tag) private readonly tags: Repository<Tag>) {}
  async favorite(name: string) {
    let tag = await this.tags.findOneByOrFail({ name });
    tag.uses++;
    tag = await this.tags.save(tag);
    return tag;
  }
}`,
    suggestionId: 'useAtomicUpdate',
    outputHeader: typeormImport,
    output: `class ArticleService {
  constructor(@InjectRepository(Tag) private readonly tags: Repository<Tag>) {}
  async favorite(name: string) {
    let tag = await this.tags.findOneByOrFail({ name });
    await raceSafe(this.tags).atomicUpdate({ id: tag.id }, { uses: F('uses').plus(1) });
    return tag;
  }
}`,
  },
];

const valid: Case[] = [
  {
    name: "racesafe's atomicUpdate (README)",
    code: `export async function countView(path: string) {
  return (Page as any).atomicUpdate({ views: 1 }, { where: { path }, returning: true });
}`,
  },
  {
    name: 'a pessimistic lock in a transaction (TypeORM)',
    code: `export function restock(sku: string, quantity: number) {
  return dataSource.transaction(async (manager) => {
    const product = await manager.findOne(Product, { where: { sku }, lock: { mode: 'pessimistic_write' } });
    if (!product) return;
    product.stock += quantity;
    await manager.save(product);
  });
}`,
  },
  {
    name: 'Sequelize lock: true',
    code: `export async function locked(path: string, transaction: unknown) {
  const page = await Page.findOne({ where: { path }, lock: true, transaction } as never);
  if (!page) return;
  page.views += 1;
  await page.save({ transaction } as never);
}`,
  },
  {
    name: 'a plain assignment, not from the read value',
    code: `export async function reset(path: string) {
  const page = await Page.findOne({ where: { path }, rejectOnEmpty: true });
  page.views = 0;
  await page.save();
}`,
  },
  {
    name: 'string concatenation with a literal',
    code: `export async function shout(email: string) {
  const users = dataSource.getRepository(User);
  const user = await users.findOneByOrFail({ email });
  user.name += '!';
  await users.save(user);
}`,
  },
  {
    name: 'string concatenation: name = name + literal',
    code: `export async function junior(email: string) {
  const users = dataSource.getRepository(User);
  const user = await users.findOneByOrFail({ email });
  user.name = user.name + ' jr';
  await users.save(user);
}`,
  },
  {
    name: 'a text field concatenated with a variable',
    code: `export async function suffix(email: string, suffix: string) {
  const users = dataSource.getRepository(User);
  const user = await users.findOneByOrFail({ email });
  user.name += suffix;
  await users.save(user);
}`,
  },
  {
    name: 'a change that is never saved',
    code: `export async function preview(path: string) {
  const page = await Page.findOne({ where: { path }, rejectOnEmpty: true });
  page.views += 1;
  return page.views;
}`,
  },
  {
    name: "Sequelize's increment (UPDATE ... SET views = views + 1)",
    code: `export async function inc(path: string) {
  const page = await Page.findOne({ where: { path }, rejectOnEmpty: true });
  await page.increment('views');
}`,
  },
  {
    name: 'an object that is not a row',
    code: `export async function local() {
  const o = { n: 1, save: async () => undefined };
  o.n += 1;
  await o.save();
}`,
  },
  {
    name: 'a row passed in (its read is not in this function)',
    code: `export async function passedIn(page: Page) {
  page.views += 1;
  await page.save();
}`,
  },
  {
    name: 'update from another field',
    code: `export async function total(sku: string) {
  const item = await Item.findOne({ where: { sku }, rejectOnEmpty: true });
  await item.update({ stock: item.id + 1 });
}`,
  },
  {
    name: 'Model.update with a constant',
    code: `export async function zero(path: string) {
  await Page.update({ views: 0 }, { where: { path } });
}`,
  },
  {
    name: "Sequelize's static increment",
    code: `export async function staticInc(path: string) {
  await Page.increment({ views: 1 }, { where: { path } });
}`,
  },
  {
    name: 'a computed value that is not written',
    code: `export async function next(path: string) {
  const page = await Page.findOne({ where: { path }, rejectOnEmpty: true });
  const views = page.views + 1;
  return views;
}`,
  },
  {
    name: 'the change in a callback, the read outside it',
    code: `export async function deferred(path: string) {
  const page = await Page.findOne({ where: { path }, rejectOnEmpty: true });
  return () => { page.views += 1; void page.save(); };
}`,
  },
  {
    name: "TypeORM's increment",
    code: `export async function typeormInc(users: Repository<User>, id: number) {
  await users.increment({ id }, 'logins', 1);
}`,
  },
  {
    name: 'a non-ORM store with findOne and save',
    code: `class Store { async findOne(_q: unknown) { return { n: 1 }; } async save(_v: unknown) {} }
export async function store() {
  const s = new Store();
  const row = await s.findOne({ where: { id: 1 } });
  row.n += 1;
  await s.save(row);
}`,
  },
  {
    name: 'Sequelize lock with a Transaction.LOCK value',
    code: `export async function lockUpdate(sku: string, transaction: { LOCK: { UPDATE: string } }) {
  const item = await Item.findOne({ where: { sku }, lock: transaction.LOCK.UPDATE, transaction } as never);
  if (!item) return;
  await item.update({ stock: item.stock - 1 }, { transaction } as never);
}`,
  },
  {
    name: 'a row read with find() (many rows) and changed in a loop is left alone',
    code: `export async function all(users: Repository<User>) {
  const rows = await users.find();
  for (const row of rows) row.logins = 0;
  await users.save(rows);
}`,
  },
  {
    name: 'an untyped import without Sequelize-shaped calls (mongoose style)',
    code: `declare const Mongo: any;
export async function mongo(id: string) {
  const doc = await Mongo.findOne({ _id: id });
  doc.count += 1;
  await doc.save();
}`,
  },
];

runRule('no-read-modify-write', noReadModifyWrite, 'readModifyWrite', { valid, invalid });
