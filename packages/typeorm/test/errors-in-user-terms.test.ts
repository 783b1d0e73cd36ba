import 'reflect-metadata';
import { Column, DataSource, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { describeOnMysql, useTestDatabase } from '../../../test/harness/database';
import { ConflictError, UniqueLookupRequiredError, raceSafe } from '../src';

// Keys declared the TypeORM way, made by synchronize: the database names them UQ_<hash> / IDX_<hash>
// (SQLite: sqlite_autoindex_members_1), names a user never wrote.
@Entity({ name: 'members' })
class Member {
  @PrimaryGeneratedColumn() id!: number;
  @Index({ unique: true }) @Column({ type: 'varchar', length: 100 }) email!: string;
  @Column({ type: 'varchar', length: 100, unique: true }) username!: string;
  @Column({ type: 'varchar', length: 100, nullable: true }) nickname!: string | null;
}

function dataSourceFor(url: string): DataSource {
  const common = { entities: [Member], synchronize: true };
  if (url.startsWith('sqlite:'))
    return new DataSource({
      type: 'better-sqlite3',
      database: url.slice('sqlite:'.length),
      ...common,
    });
  if (url.startsWith('mysql:')) return new DataSource({ type: 'mysql', url, ...common });
  return new DataSource({ type: 'postgres', url, ...common });
}

function describeErrors(dialect: 'postgres' | 'mysql' | 'sqlite'): void {
  const db = useTestDatabase(undefined, { dialect });
  let dataSource: DataSource;
  beforeAll(async () => {
    dataSource = await dataSourceFor(db.url()).initialize();
  });
  afterAll(() => dataSource?.destroy());
  const members = () => raceSafe(dataSource.getRepository(Member));

  it("names @Column({ unique: true })'s property in ConflictError.fields, the database's own message as the reason", async () => {
    await members().getOrCreate({ email: 'ann@x' }, { defaults: { username: 'ann' } });
    const error = await members()
      .getOrCreate({ email: 'thief@x' }, { defaults: { username: 'ann' } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).fields).toEqual(['username']);
    expect((error as ConflictError).constraint).toMatch(
      /^((UQ|IDX)_[0-9a-f]+|sqlite_autoindex_members_\d+)$/,
    ); // TypeORM makes a unique index IDX_ on MySQL
    expect((error as Error).message).toMatch(
      /^Member: username is taken, so unique constraint \S+ on \(username\) rejected the row \(database: .+\)$/,
    );
    expect(await dataSource.getRepository(Member).countBy({ email: 'thief@x' })).toBe(0);
  });

  it('names the fields of a conflict on atomicUpdate, which reads no catalog before its UPDATE', async () => {
    const repository = raceSafe(dataSourceFor(db.url()).getRepository(Member));
    const other = repository.manager.connection;
    await other.initialize();
    try {
      await other.getRepository(Member).insert([
        { email: 'a@x', username: 'a' },
        { email: 'b@x', username: 'b' },
      ]);
      const error = await repository
        .atomicUpdate({ email: 'b@x' }, { username: 'a' })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'ConflictError', fields: ['username'] });
      expect(await other.getRepository(Member).countBy({ username: 'a' })).toBe(1);
    } finally {
      await other.destroy();
    }
  });

  it('refuses a lookup without a unique key with the TypeORM fix, then uses an index created while the process runs', async () => {
    const error = await members()
      .getOrCreate({ nickname: 'nick' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UniqueLookupRequiredError);
    expect((error as UniqueLookupRequiredError).fields).toEqual(['nickname']);
    expect((error as Error).message).toContain("@Unique(['nickname'])");
    expect((error as Error).message).toContain("@Index(['nickname'], { unique: true })");
    expect(await dataSource.getRepository(Member).countBy({ nickname: 'nick' })).toBe(0);
    // A migration run by another process, say: the catalog cached above does not know it.
    await dataSource.query('CREATE UNIQUE INDEX members_nickname_key ON members (nickname)');
    const [row, created] = await members().getOrCreate(
      { nickname: 'nick' },
      { defaults: { email: 'nick@x', username: 'nick' } },
    );
    expect([row.email, created]).toEqual(['nick@x', true]);
    expect((await members().getOrCreate({ nickname: 'nick' }))[1]).toBe(false);
    expect(await dataSource.getRepository(Member).countBy({ nickname: 'nick' })).toBe(1);
  });
}

describe("errors in the TypeORM user's terms on PostgreSQL", () => describeErrors('postgres'));
describeOnMysql("errors in the TypeORM user's terms on MariaDB", () => describeErrors('mysql'));
describe("errors in the TypeORM user's terms on SQLite", () => describeErrors('sqlite'));
