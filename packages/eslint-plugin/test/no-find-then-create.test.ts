import { noFindThenCreate } from '../src/rules/no-find-then-create';
import { HEADER, runRule, withImports, type Case } from './rule-tester';

const typeormImport = withImports(["import { raceSafe } from '@racesafe/typeorm';"]);
const sequelizeImport = withImports(["import { raceSafe } from '@racesafe/sequelize';"]);

const invalid: Case[] = [
  {
    name: "README's findOne then save (the race harness's naive getOrCreate)",
    code: `const users = dataSource.getRepository(User);
export async function naiveGetOrCreate(email: string, i: number) {
  const found = await users.findOneBy({ email });
  if (found) return { key: email, id: found.id, created: false };
  const saved = await users.save(users.create({ email, name: \`caller \${i}\` }));
  return { key: email, id: saved.id, created: true };
}`,
    suggestionId: 'useGetOrCreate',
    outputHeader: typeormImport,
    output: `const users = dataSource.getRepository(User);
export async function naiveGetOrCreate(email: string, i: number) {
  const found = await users.findOneBy({ email });
  if (found) return { key: email, id: found.id, created: false };
  const saved = (await raceSafe(users).getOrCreate({ email }, { defaults: { name: \`caller \${i}\` } }))[0];
  return { key: email, id: saved.id, created: true };
}`,
  },
  {
    name: 'a Nest service refusing a taken email, then creating (the refusal kept, on created = false)',
    code: `class UsersService {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}
  async register(email: string, name: string) {
    const existing = await this.users.findOne({ where: { email } });
    if (existing) throw new Error('email taken');
    const user = this.users.create({ email, name });
    return this.users.save(user);
  }
}`,
    suggestionId: 'useGetOrCreateRefusing',
    outputHeader: typeormImport,
    output: `class UsersService {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}
  async register(email: string, name: string) {
    const existing = await this.users.findOne({ where: { email } });
    if (existing) throw new Error('email taken');
    const user = this.users.create({ email, name });
    const [row, created] = await raceSafe(this.users).getOrCreate({ email }, { defaults: { name } });
    if (!created) throw new Error('email taken');
    return row;
  }
}`,
  },
  {
    name: 'Sequelize count, then create when 0',
    code: `export async function addPage(path: string) {
  const n = await Page.count({ where: { path } });
  if (n === 0) await Page.create({ path, views: 0 });
}`,
    suggestionId: 'useGetOrCreate',
    outputHeader: sequelizeImport,
    output: `export async function addPage(path: string) {
  const n = await Page.count({ where: { path } });
  if (n === 0) (await raceSafe(Page).getOrCreate({ where: { path }, defaults: { views: 0 } }))[0];
}`,
  },
  {
    name: 'TypeORM exists() in the condition, throw, then insert',
    code: `export async function uniqueUser(users: Repository<User>, email: string) {
  if (await users.exists({ where: { email } })) throw new Error('exists');
  await users.insert({ email, name: 'x', logins: 0 });
}`,
    suggestionId: 'useGetOrCreateRefusing',
    outputHeader: typeormImport,
    output: `export async function uniqueUser(users: Repository<User>, email: string) {
  if (await users.exists({ where: { email } })) throw new Error('exists');
  const [, created] = await raceSafe(users).getOrCreate({ email }, { defaults: { name: 'x', logins: 0 } });
  if (!created) throw new Error('exists');
}`,
  },
  {
    name: 'Sequelize findOne, then create when !page',
    code: `export async function touch(path: string) {
  let page = await Page.findOne({ where: { path } });
  if (!page) page = await Page.create({ path });
  return page;
}`,
    suggestionId: 'useGetOrCreate',
    outputHeader: sequelizeImport,
    output: `export async function touch(path: string) {
  let page = await Page.findOne({ where: { path } });
  if (!page) page = (await raceSafe(Page).getOrCreate({ where: { path } }))[0];
  return page;
}`,
  },
  {
    name: 'Sequelize findByPk === null, then build().save()',
    code: `export async function ensureItem(id: number) {
  const item = await Item.findByPk(id);
  if (item === null) {
    await Item.build({ id, sku: 'x', stock: 0 }).save();
  }
}`,
  },
  {
    name: 'EntityManager in dataSource.transaction: findOneBy(User), save(User, values)',
    code: `export function signup(email: string) {
  return dataSource.transaction(async (manager) => {
    const user = await manager.findOneBy(User, { email });
    if (user) return user;
    return manager.save(User, { email, name: email, logins: 0 });
  });
}`,
  },
  {
    name: 'EntityManager parameter: save of a new User() built in the not-found branch',
    code: `export async function viaManager(manager: EntityManager, email: string) {
  const found = await manager.findOne(User, { where: { email } });
  if (!found) {
    const user = new User();
    user.email = email;
    await manager.save(user);
  }
}`,
  },
  {
    name: 'countBy > 0 refuses, then save',
    code: `export async function uniqueEmail(email: string) {
  const users = dataSource.getRepository(User);
  const taken = await users.countBy({ email });
  if (taken > 0) throw new Error('taken');
  await users.save({ email, name: email, logins: 0 });
}`,
  },
  {
    name: 'if found ... else create',
    code: `export async function login(users: Repository<User>, email: string) {
  const user = await users.findOneBy({ email });
  if (user) {
    return user;
  } else {
    return users.save({ email, name: email, logins: 1 });
  }
}`,
  },
  {
    name: 'found ?? create',
    code: `export async function tagged(users: Repository<User>, email: string) {
  return (await users.findOneBy({ email })) ?? (await users.save({ email, name: '', logins: 0 }));
}`,
  },
  {
    name: "the tag import's find-then-insert loop (continue when found)",
    code: `export async function importAll(names: string[]) {
  const tags = dataSource.getRepository(Tag);
  for (const name of names) {
    const found = await tags.findOneBy({ name });
    if (found) continue;
    await tags.insert({ name, uses: 0 });
  }
}`,
  },
  {
    name: 'TypeORM BaseEntity: findOneBy, then create().save()',
    code: `export async function tagNamed(name: string) {
  const found = await Tag.findOneBy({ name });
  if (found) return found;
  return Tag.create({ name, uses: 0 }).save();
}`,
  },
  {
    name: 'sequelize-typescript model (its base class renamed on import), create returned without await',
    code: `export async function open(email: string) {
  const account = await Account.findOne({ where: { email } });
  if (!account) return Account.create({ email, balance: 0 });
  return account;
}`,
  },
  {
    name: 'a repository returned by a function (known by its type only)',
    typedOnly: true,
    code: `declare function usersRepository(): Repository<User>;
export async function typedOnly(email: string) {
  const users = usersRepository();
  const found = await users.findOneBy({ email });
  if (!found) await users.save({ email, name: '', logins: 0 });
}`,
  },
  {
    name: 'a model class declared in the file, count() without options',
    code: `export async function firstPage() {
  const n = await Page.count();
  if (!n) await Page.create({ path: '/' });
}`,
    suggestions: 0,
  },
  {
    name: 'a ModelStatic<Page> parameter (known by its type only)',
    typedOnly: true,
    code: `export async function generic(model: ModelStatic<Page>, path: string) {
  const page = await model.findOne({ where: { path } });
  if (!page) await model.create({ path });
}`,
  },
  {
    name: 'a Nest property-injected repository: create in the == null branch, save there',
    code: `class TagsService {
  @InjectRepository(Tag) private tags!: Repository<Tag>;
  async ensure(name: string) {
    const tag = await this.tags.findOne({ where: { name } });
    if (tag == null) {
      const created = this.tags.create({ name, uses: 0 });
      await this.tags.save(created);
      return created;
    }
    return tag;
  }
}`,
  },
  {
    name: 'Sequelize in a transaction without a lock',
    code: `export async function inTx(sequelize: { transaction<T>(fn: (t: unknown) => Promise<T>): Promise<T> }, path: string) {
  return sequelize.transaction(async (transaction) => {
    const page = await Page.findOne({ where: { path }, transaction });
    if (page) return page;
    return Page.create({ path }, { transaction });
  });
}`,
  },
  {
    name: 'a model required from ./models (recognised by name and Sequelize-shaped calls)',
    code: `declare const require: (id: string) => any;
const { Member } = require('./models');
export async function join(email: string) {
  const member = await Member.findOne({ where: { email } });
  if (!member) await Member.create({ email });
}`,
    suggestionId: 'useGetOrCreate',
    outputHeader: sequelizeImport,
    output: `declare const require: (id: string) => any;
const { Member } = require('./models');
export async function join(email: string) {
  const member = await Member.findOne({ where: { email } });
  if (!member) (await raceSafe(Member).getOrCreate({ where: { email } }))[0];
}`,
  },
  {
    name: 'Sequelize: refuse a taken sku, then create',
    code: `export async function addItem(sku: string) {
  const existing = await Item.findOne({ where: { sku } });
  if (existing) {
    throw new Error('sku taken');
  }
  const item = await Item.create({ sku, stock: 0 });
  return item;
}`,
    suggestionId: 'useGetOrCreateRefusing',
    outputHeader: sequelizeImport,
    output: `export async function addItem(sku: string) {
  const existing = await Item.findOne({ where: { sku } });
  if (existing) {
    throw new Error('sku taken');
  }
  const [item, created] = await raceSafe(Item).getOrCreate({ where: { sku }, defaults: { stock: 0 } });
  if (!created) {
    throw new Error('sku taken');
  }
  return item;
}`,
  },
  {
    name: 'create built in the not-found branch, saved after it (an upsert-shaped race)',
    code: `export async function remember(users: Repository<User>, email: string, name: string) {
  let user = await users.findOneBy({ email });
  if (!user) user = users.create({ email, logins: 0 });
  user.name = name;
  await users.save(user);
}`,
    suggestionId: 'useGetOrCreate',
    outputHeader: typeormImport,
    output: `export async function remember(users: Repository<User>, email: string, name: string) {
  let user = await users.findOneBy({ email });
  if (!user) user = (await raceSafe(users).getOrCreate({ email }, { defaults: { logins: 0 } }))[0];
  user.name = name;
  await users.save(user);
}`,
  },
  {
    name: 'found: update it, else create (update-or-create code): the updateOrCreate suggestion',
    code: `export async function setting(repo: Repository<User>, email: string, name: string) {
  const entry = await repo.findOne({ where: { email } });
  if (entry) {
    entry.name = name;
    await repo.save(entry);
  } else {
    await repo.save({ email, name });
  }
}`,
    suggestionId: 'useUpdateOrCreate',
    outputHeader: typeormImport,
    output: `export async function setting(repo: Repository<User>, email: string, name: string) {
  const entry = await repo.findOne({ where: { email } });
  if (entry) {
    entry.name = name;
    await repo.save(entry);
  } else {
    (await raceSafe(repo).updateOrCreate({ email }, { defaults: { name } }))[0];
  }
}`,
  },
  {
    name: 'a lookup with an operator: reported, without a suggestion (getOrCreate takes plain values)',
    code: `export async function pending(sku: string) {
  const item = await Item.findOne({ where: { sku: { [Op.eq]: sku } } });
  if (!item) await Item.create({ sku, stock: 0 });
}`,
    suggestions: 0,
  },
  {
    name: "Sequelize findOne and create in the caller's transaction: getOrCreate runs in it too",
    code: `export async function ensurePage(path: string, transaction: import('sequelize').Transaction) {
  const page = await Page.findOne({ where: { path }, transaction });
  if (!page) await Page.create({ path, views: 0 }, { transaction });
}`,
    suggestionId: 'useGetOrCreate',
    outputHeader: sequelizeImport,
    output: `export async function ensurePage(path: string, transaction: import('sequelize').Transaction) {
  const page = await Page.findOne({ where: { path }, transaction });
  if (!page) (await raceSafe(Page).getOrCreate({ where: { path }, defaults: { views: 0 }, transaction }))[0];
}`,
  },
  {
    name: 'the row a save returned, changed and saved again: the first save is the create, the second an update',
    code: `export async function signup(users: Repository<User>, email: string) {
  const found = await users.findOneBy({ email });
  if (!found) {
    const created = await users.save(users.create({ email, name: '', logins: 0 }));
    created.name = email;
    await users.save(created);
  }
}`,
  },
  {
    name: 'if (found && changed) update, else if (!found) create: the updateOrCreate suggestion',
    code: `export async function setViews(path: string, views: number) {
  let page = await Page.findOne({ where: { path } });
  if (page !== null && page.views !== views) {
    page.views = views;
    await page.save();
  } else if (page === null) {
    page = await Page.create({ path, views });
  }
  return page;
}`,
    suggestionId: 'useUpdateOrCreate',
    outputHeader: sequelizeImport,
    output: `export async function setViews(path: string, views: number) {
  let page = await Page.findOne({ where: { path } });
  if (page !== null && page.views !== views) {
    page.views = views;
    await page.save();
  } else if (page === null) {
    page = (await raceSafe(Page).updateOrCreate({ where: { path }, defaults: { views } }))[0];
  }
  return page;
}`,
  },
  {
    name: 'findByPk, then a create that writes the same value under its primary key name',
    code: `export async function ensurePage(path: string) {
  const page = await Page.findByPk(path);
  if (!page) await Page.create({ path, views: 0 });
}`,
    suggestionId: 'useGetOrCreate',
    outputHeader: sequelizeImport,
    output: `export async function ensurePage(path: string) {
  const page = await Page.findByPk(path);
  if (!page) (await raceSafe(Page).getOrCreate({ where: { path: path }, defaults: { views: 0 } }))[0];
}`,
  },
  {
    name: 'a connection wrapper taking a context first: getRepository(ctx, Product)',
    code: `declare const connection: { getRepository<T>(ctx: unknown, entity: new () => T): Repository<T> };
export async function wrapped(ctx: unknown, sku: string) {
  const products = connection.getRepository(ctx, Product);
  const product = await products.findOneBy({ sku });
  if (!product) await products.save({ sku, stock: 0 });
}`,
  },
  {
    name: 'a repository got in place for each call: connection.getRepository(ctx, Tag).findOne, then .save(new Tag)',
    code: `declare const connection: { getRepository<T>(ctx: unknown, entity: new () => T): Repository<T> };
export async function tagNamed(ctx: unknown, name: string) {
  const existing = await connection.getRepository(ctx, Tag).findOne({ where: { name } });
  if (existing) return existing;
  return connection.getRepository(ctx, Tag).save(new Tag());
}`,
    suggestionId: 'useGetOrCreate',
    outputHeader: typeormImport,
    output: `declare const connection: { getRepository<T>(ctx: unknown, entity: new () => T): Repository<T> };
export async function tagNamed(ctx: unknown, name: string) {
  const existing = await connection.getRepository(ctx, Tag).findOne({ where: { name } });
  if (existing) return existing;
  return (await raceSafe(connection.getRepository(ctx, Tag)).getOrCreate({ name }))[0];
}`,
  },
  {
    name: "TypeORM 0.2's findOne(conditions), a new entity saved when missing (a follow)",
    code: `export async function follow(follows: Repository<User>, email: string, name: string) {
  const existing = await follows.findOne({ email, name } as never);
  if (!existing) {
    const user = new User();
    user.email = email;
    await follows.save(user);
  }
}`,
    suggestionId: 'useGetOrCreate',
    outputHeader: typeormImport,
    output: `export async function follow(follows: Repository<User>, email: string, name: string) {
  const existing = await follows.findOne({ email, name } as never);
  if (!existing) {
    const user = new User();
    user.email = email;
    (await raceSafe(follows).getOrCreate({ email, name }))[0];
  }
}`,
  },
  ...nullAndRelationLookups(),
];

/** Lookups with TypeORM `IsNull()`, through a relation by id, and a Sequelize JSON path (Vendure's and Outline's). */
function nullAndRelationLookups(): Case[] {
  const extra = "import { DeleteDateColumn, IsNull, JoinColumn, OneToOne } from 'typeorm';";
  const racesafe = "import { raceSafe } from '@racesafe/typeorm';";
  const nullNote = ' (a null lookup value needs a UNIQUE NULLS NOT DISTINCT key)';
  const softNote = 'racesafe skips soft-deleted rows itself';
  const customer = `@Entity() class Customer {
  constructor(input?: Partial<Customer>) { Object.assign(this, input); }
  @PrimaryGeneratedColumn() id!: number;
  @Column() email!: string;
  @Column() name!: string;
  @Column({ type: Date, nullable: true }) deletedAt!: Date | null;
}
const customers = dataSource.getRepository(Customer);
export async function guest(input: { email: string; name: string }) {
  const existing = await customers.findOne({ where: { email: input.email, deletedAt: IsNull() } });
  if (existing) return existing;
  return `;
  const post = `@Entity() class Post {
  @PrimaryGeneratedColumn() id!: number;
  @Column() slug!: string;
  @Column() title!: string;
  @DeleteDateColumn() deletedAt!: Date | null;
}
const posts = dataSource.getRepository(Post);
export async function post(slug: string, title: string) {
  const found = await posts.findOneBy({ slug, deletedAt: IsNull() });
  if (found) return found;
  return `;
  const guest = `declare class Guest { id: number; email: string; deletedAt: Date | null }
const guests = dataSource.getRepository(Guest);
export async function guest(email: string) {
  const found = await guests.findOneBy({ email, deletedAt: IsNull() });
  if (found) return found;
  return `;
  const admin = `@Entity() class Admin {
  constructor(input?: Partial<Admin>) { Object.assign(this, input); }
  @PrimaryGeneratedColumn() id!: number;
  @Column() email!: string;
  @Column() name!: string;
  @Column({ type: Date, nullable: true }) deletedAt!: Date | null;
  @OneToOne(() => User) @JoinColumn() user!: User;
}
export async function ensureAdmin(user: User, email: string) {
  const admin = await dataSource.getRepository(Admin).findOne({ where: { user: { id: user.id } } });
  if (!admin) {
    const created = new Admin({ email, name: 'Super' });
    `;
  const level = `@Entity() class Level {
  constructor(input?: Partial<Level>) { Object.assign(this, input); }
  @PrimaryGeneratedColumn() id!: number;
  @Column() sku!: string;
  @Column() onHand!: number;
}
export async function move(sku: string, qty: number) {
  const repo = dataSource.getRepository(Level);
  const existing = await repo.findOne({ where: { sku } });
  if (existing) {
    existing.onHand += qty;
    await repo.save(existing);
  } else {
    `;
  return [
    {
      name: "IsNull() on a plain nullable column (Vendure's customer): null in the lookup, defaults from new Customer(input)",
      code: `${extra}\n${customer}customers.save(new Customer(input));\n}`,
      suggestionOutputs: [
        {
          messageId: 'useGetOrCreate',
          data: {
            note: nullNote,
            call: 'raceSafe(customers).getOrCreate({ email: input.email, deletedAt: null }, { defaults: input })',
          },
          output: `${extra}\n${racesafe}\n${customer}(await raceSafe(customers).getOrCreate({ email: input.email, deletedAt: null }, { defaults: input }))[0];\n}`,
        },
      ],
    },
    {
      name: 'IsNull() on the @DeleteDateColumn: left out of the lookup (racesafe adds IS NULL itself)',
      code: `${extra}\n${post}posts.save(posts.create({ slug, title }));\n}`,
      suggestionOutputs: [
        {
          messageId: 'useGetOrCreate',
          data: {
            note: ` (deletedAt left out: ${softNote})`,
            call: 'raceSafe(posts).getOrCreate({ slug }, { defaults: { title } })',
          },
          output: `${extra}\n${racesafe}\n${post}(await raceSafe(posts).getOrCreate({ slug }, { defaults: { title } }))[0];\n}`,
        },
      ],
    },
    {
      name: 'IsNull() on a column whose kind nothing shows: both forms, each saying when it holds',
      code: `${extra}\n${guest}guests.save({ email });\n}`,
      suggestionOutputs: [
        {
          messageId: 'useGetOrCreate',
          data: {
            note: ', if deletedAt is a plain column (a null lookup value needs a UNIQUE NULLS NOT DISTINCT key)',
            call: 'raceSafe(guests).getOrCreate({ email, deletedAt: null })',
          },
          output: `${extra}\n${racesafe}\n${guest}(await raceSafe(guests).getOrCreate({ email, deletedAt: null }))[0];\n}`,
        },
        {
          messageId: 'useGetOrCreate',
          data: {
            note: `, if deletedAt is a @DeleteDateColumn (${softNote})`,
            call: 'raceSafe(guests).getOrCreate({ email })',
          },
          output: `${extra}\n${racesafe}\n${guest}(await raceSafe(guests).getOrCreate({ email }))[0];\n}`,
        },
      ],
    },
    {
      name: "a lookup through a relation by the related row's id (Vendure's administrator): kept, the join column; restoring a soft-deleted row on the found path is no update-or-create",
      code: `${extra}\n${admin}const saved = await dataSource.getRepository(Admin).save(created);\n    return saved;\n  } else if (admin.deletedAt !== null) {\n    admin.deletedAt = null;\n    await dataSource.getRepository(Admin).save(admin);\n  }\n  return admin;\n}`,
      suggestionOutputs: [
        {
          messageId: 'useGetOrCreate',
          output: `${extra}\n${racesafe}\n${admin}const saved = (await raceSafe(dataSource.getRepository(Admin)).getOrCreate({ user: { id: user.id } }, { defaults: { email, name: 'Super' } }))[0];\n    return saved;\n  } else if (admin.deletedAt !== null) {\n    admin.deletedAt = null;\n    await dataSource.getRepository(Admin).save(admin);\n  }\n  return admin;\n}`,
        },
      ],
    },
    {
      name: "a found path adding to the row, a create from new Level({ ... }) (Vendure's stock move): getOrCreate with the constructor's values, not updateOrCreate",
      code: `${extra}\n${level}await repo.save(new Level({ sku, onHand: qty }));\n  }\n}`,
      suggestionOutputs: [
        {
          messageId: 'useGetOrCreate',
          output: `${extra}\n${racesafe}\n${level}(await raceSafe(repo).getOrCreate({ sku }, { defaults: { onHand: qty } }))[0];\n  }\n}`,
        },
      ],
    },
    {
      name: "a lookup on a related row's other column: no suggestion (getOrCreate takes a relation by its referenced columns only)",
      code: `${extra}
@Entity() class Membership {
  @PrimaryGeneratedColumn() id!: number;
  @Column() role!: string;
  @OneToOne(() => User) @JoinColumn() user!: User;
}
export async function join(user: User) {
  const found = await dataSource.getRepository(Membership).findOne({ where: { user: { email: user.email } } });
  if (!found) await dataSource.getRepository(Membership).save({ role: 'member', user });
}`,
      suggestions: 0,
    },
    {
      name: "a Sequelize JSON-path lookup (Outline's GitLab integration): no rewrite; the message names what racesafe needs",
      code: `class Integration extends Model { declare id: number; declare teamId: string; declare settings: object; }
export async function connect(teamId: string, url: string) {
  const existing = await Integration.findOne({ where: { teamId, settings: { gitlab: { url } } } });
  if (!existing) await Integration.create({ teamId, settings: { gitlab: { url } } });
}`,
      messageId: 'findThenCreateUnbacked',
      data: {
        read: 'Integration.findOne()',
        line: String(HEADER.split('\n').length + 2),
        write: 'create',
        entity: 'Integration',
        condition: 'settings: { gitlab: { url } }',
        receiver: 'Integration',
      },
      suggestions: 0,
    },
  ];
}

const valid: Case[] = [
  {
    name: 'inside an @AfterCreate hook, keyed by the row just inserted (uncommitted: nobody else can refer to it yet)',
    code: `declare function AfterCreate(target: unknown, key: string): void;
class Collection extends Model {
  declare id: number;
  @AfterCreate
  static async addOwner(model: Collection) {
    const existing = await Item.findOne({ where: { sku: String(model.id) } });
    if (!existing) return Item.create({ sku: String(model.id), stock: 0 });
    return existing;
  }
}`,
  },
  {
    name: "racesafe's getOrCreate (README)",
    code: `export async function signUp(email: string, name: string) {
  const accounts = dataSource.getRepository(User);
  return (accounts as any).getOrCreate({ email }, { defaults: { name } });
}`,
  },
  {
    name: 'find, refuse when missing, update the found row',
    code: `export async function rename(users: Repository<User>, id: number, name: string) {
  const user = await users.findOneBy({ id });
  if (!user) throw new Error('not found');
  user.name = name;
  await users.save(user);
}`,
  },
  {
    name: 'a pessimistic lock in a transaction',
    code: `export function locked(email: string) {
  return dataSource.transaction(async (manager) => {
    const found = await manager.findOne(User, { where: { email }, lock: { mode: 'pessimistic_write' } });
    if (!found) await manager.save(User, { email, name: '', logins: 0 });
  });
}`,
  },
  {
    name: 'Sequelize lock: true',
    code: `export async function lockedPage(path: string, transaction: unknown) {
  const page = await Page.findOne({ where: { path }, lock: true, transaction } as never);
  if (!page) await Page.create({ path }, { transaction } as never);
}`,
  },
  {
    name: 'the create catches the unique violation',
    code: `export async function insertOnce(users: Repository<User>, email: string) {
  const found = await users.findOneBy({ email });
  if (found) return found;
  try {
    return await users.save({ email, name: '', logins: 0 });
  } catch (error) {
    if ((error as { code?: string }).code === '23505') throw new Error('taken');
    throw error;
  }
}`,
  },
  {
    name: 'the create re-reads in its catch',
    code: `export async function insertOrReread(users: Repository<User>, email: string) {
  const found = await users.findOneBy({ email });
  if (found) return found;
  try {
    return await users.save({ email, name: '', logins: 0 });
  } catch {
    return users.findOneBy({ email });
  }
}`,
  },
  {
    name: 'another entity is created',
    code: `export async function other(users: Repository<User>, products: Repository<Product>, email: string) {
  const user = await users.findOneBy({ email });
  if (!user) await products.save({ sku: email, stock: 0 });
}`,
  },
  {
    name: 'the create does not depend on the read',
    code: `export async function logged(users: Repository<User>, email: string) {
  const user = await users.findOneBy({ email });
  console.log(user);
  await users.save({ email: 'audit', name: '', logins: 0 });
}`,
  },
  {
    name: 'the create in a callback',
    code: `export async function later(users: Repository<User>, email: string) {
  const user = await users.findOneBy({ email });
  if (!user) setTimeout(() => void users.save({ email, name: '', logins: 0 }), 10);
}`,
  },
  {
    name: 'the create before the read',
    code: `export async function createThenRead(users: Repository<User>, email: string) {
  await users.insert({ email, name: '', logins: 0 });
  const user = await users.findOneBy({ email });
  if (!user) throw new Error('lost');
}`,
  },
  {
    name: 'an object that is not an ORM, with the same method names',
    code: `class Store { async findOne(_q: unknown) { return null; } async create(_v: unknown) { return {}; } }
export async function store(email: string) {
  const s = new Store();
  const found = await s.findOne({ where: { email } });
  if (!found) await s.create({ email });
}`,
  },
  {
    name: 'a class of this file that is not a model, with Sequelize-like statics',
    code: `class Registry { static async findOne(_q: unknown) { return null; } static async create(_v: unknown) { return {}; } }
export async function registry(email: string) {
  const found = await Registry.findOne({ where: { email } });
  if (!found) await Registry.create({ email });
}`,
  },
  {
    name: 'findOneOrFail, then an update',
    code: `export async function bump(users: Repository<User>, id: number) {
  const user = await users.findOneByOrFail({ id });
  await users.save({ ...user, name: 'x' });
}`,
  },
  {
    name: 'a create in the found branch',
    code: `export async function copy(path: string) {
  const page = await Page.findOne({ where: { path } });
  if (page) await Page.create({ path: page.path + '/copy' });
}`,
  },
  {
    name: 'a count used as a number, not a decision',
    code: `export async function numbered() {
  const n = await Page.count();
  await Page.create({ path: \`/p\${n}\` });
}`,
  },
  {
    name: 'an untyped import without Sequelize-shaped calls (mongoose style)',
    code: `declare const Mongo: any;
export async function mongo(email: string) {
  const found = await Mongo.findOne({ email });
  if (!found) await Mongo.create({ email });
}`,
  },
  {
    name: 'exists, then an update (not a create)',
    code: `export async function updateIfThere(users: Repository<User>, id: number) {
  if (!(await users.existsBy({ id }))) throw new Error('missing');
  await users.update({ id }, { name: 'x' });
}`,
  },
  {
    name: 'read in one function, create in another',
    code: `export async function readOnly(users: Repository<User>, email: string) {
  return users.findOneBy({ email });
}
export async function createOnly(users: Repository<User>, email: string) {
  await users.save({ email, name: '', logins: 0 });
}`,
  },
  {
    name: 'an uncertain condition (found && something)',
    code: `export async function maybe(users: Repository<User>, email: string, force: boolean) {
  const user = await users.findOneBy({ email });
  if (user && !force) return user;
  return users.save({ email, name: '', logins: 0 });
}`,
  },
  {
    name: 'racesafe getOrCreate on a Sequelize model',
    code: `export async function recordView(path: string) {
  const [page] = await (Page as any).getOrCreate({ where: { path } });
  return page;
}`,
  },
  {
    name: 'a pending row (token IS NULL) looked for, a row with a token created: the read could never find it, run one after the other it is created twice too',
    code: `class Auth extends Model { declare id: number; declare userId: number; declare token: string | null; }
export async function finish(userId: number, token: string) {
  const pending = await Auth.findOne({ where: { userId, token: { [Op.is]: null } as never } });
  if (pending) await pending.update({ token });
  else await Auth.create({ userId, token });
}`,
  },
  {
    name: 'one literal looked for, another written (TypeORM): a different row, not the one the read looked for',
    code: `export async function rename(users: Repository<User>, email: string) {
  const draft = await users.findOneBy({ email, name: 'draft' });
  if (!draft) await users.save({ email, name: 'final', logins: 0 });
}`,
  },
  {
    name: "two sequelize.define models: a read of one, a create of the other (both typed as Sequelize's own Model)",
    code: `declare const sequelize: import('sequelize').Sequelize;
const Draft = sequelize.define('Draft', {});
const Post = sequelize.define('Post', {});
export async function publish(slug: string) {
  const draft = await Draft.findOne({ where: { slug } });
  if (!draft) await Post.create({ slug });
}`,
  },
  {
    name: 'a row loaded with another (a relation, holder.user) saved when the read found nothing: an update',
    code: `export async function promote(users: Repository<User>, email: string, holder: { user: User }) {
  const found = await users.findOneBy({ email });
  if (!found) await users.save(holder.user);
}`,
  },
  {
    name: 'a find of many rows, then bulk insert (not a single-row decision)',
    code: `export async function many(users: Repository<User>, emails: string[]) {
  const found = await users.find({ where: emails.map((email) => ({ email })) });
  if (found.length === 0) await users.insert(emails.map((email) => ({ email, name: '', logins: 0 })));
}`,
  },
];

runRule('no-find-then-create', noFindThenCreate, 'findThenCreate', { valid, invalid });
