import 'reflect-metadata';
import {
  BeforeInsert,
  Column,
  DataSource,
  DefaultNamingStrategy,
  Entity,
  JoinColumn,
  ManyToOne,
  MoreThanOrEqual,
  OneToMany,
  PrimaryColumn,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { useTestDatabase } from '../../../test/harness/database';
import { StatementLog } from '../../../test/support/statement-log';
import { F, InvalidFieldError, UniqueLookupRequiredError, raceSafe } from '../src';

// Issue 9, item 8: relations (ManyToOne, composite foreign keys) and embedded columns in
// lookups, defaults and values, named as repo.findOneBy takes them.

const schemaSql = `
  CREATE TABLE orgs (id serial PRIMARY KEY, name text NOT NULL);
  CREATE TABLE org_members (
    id serial PRIMARY KEY,
    org_id int REFERENCES orgs (id),
    email text NOT NULL,
    role text NOT NULL DEFAULT 'member',
    visits int NOT NULL DEFAULT 0,
    manager_id int REFERENCES org_members (id),
    UNIQUE (org_id, email)
  );
  CREATE TABLE projects (id serial PRIMARY KEY, org_id int NOT NULL REFERENCES orgs (id), slug text NOT NULL, UNIQUE (org_id, slug));
  CREATE TABLE regions (code text, country text, name text, PRIMARY KEY (code, country));
  CREATE TABLE offices (
    id serial PRIMARY KEY,
    region_code text NOT NULL,
    region_country text NOT NULL,
    name text NOT NULL,
    FOREIGN KEY (region_code, region_country) REFERENCES regions (code, country),
    UNIQUE (region_code, region_country, name)
  );
  CREATE TABLE invites (id serial PRIMARY KEY, org_id int NOT NULL REFERENCES orgs (id), email text NOT NULL, token text, UNIQUE (org_id, email));
  CREATE TABLE places (id serial PRIMARY KEY, address_city text NOT NULL, address_zip text NOT NULL, label text, UNIQUE (address_city, address_zip));
`;

// Column types are explicit so that the entities need no decorator metadata (design:type).

@Entity({ name: 'orgs' })
class Org {
  @PrimaryGeneratedColumn() id!: number;
  @Column({ type: 'text' }) name!: string;
  @OneToMany(() => OrgMember, (member) => member.org) members!: OrgMember[];
}

/** Join columns with no property of their own: the relation is the only way to name them. */
@Entity({ name: 'org_members' })
class OrgMember {
  @PrimaryGeneratedColumn() id!: number;
  @ManyToOne(() => Org, (org) => org.members, { nullable: true })
  @JoinColumn({ name: 'org_id' })
  org!: Org | null;
  @Column({ type: 'text' }) email!: string;
  @Column({ type: 'text', default: 'member' }) role!: string;
  @Column({ type: 'int', default: 0 }) visits!: number;
  @ManyToOne(() => OrgMember, { nullable: true })
  @JoinColumn({ name: 'manager_id' })
  manager!: OrgMember | null;
}

/** The foreign key declared as a property too (`orgId`), next to its relation. */
@Entity({ name: 'projects' })
class Project {
  @PrimaryGeneratedColumn() id!: number;
  @Column({ type: 'int', name: 'org_id' }) orgId!: number;
  @ManyToOne(() => Org) @JoinColumn({ name: 'org_id' }) org!: Org;
  @Column({ type: 'text' }) slug!: string;
}

@Entity({ name: 'regions' })
class Region {
  @PrimaryColumn({ type: 'text' }) code!: string;
  @PrimaryColumn({ type: 'text' }) country!: string;
  @Column({ type: 'text', nullable: true }) name!: string | null;
}

/** A composite foreign key: one relation, two join columns. */
@Entity({ name: 'offices' })
class Office {
  @PrimaryGeneratedColumn() id!: number;
  @ManyToOne(() => Region)
  @JoinColumn([
    { name: 'region_code', referencedColumnName: 'code' },
    { name: 'region_country', referencedColumnName: 'country' },
  ])
  region!: Region;
  @Column({ type: 'text' }) name!: string;
}

class Address {
  @Column({ type: 'text' }) city!: string;
  @Column({ type: 'text' }) zip!: string;
}

@Entity({ name: 'places' })
class Place {
  @PrimaryGeneratedColumn() id!: number;
  @Column(() => Address) address!: Address;
  @Column({ type: 'text', nullable: true }) label!: string | null;
}

/** An entity listener reading the relation: racesafe's create path runs it as save() does. */
@Entity({ name: 'invites' })
class Invite {
  @PrimaryGeneratedColumn() id!: number;
  @ManyToOne(() => Org) @JoinColumn({ name: 'org_id' }) org!: Org;
  @Column({ type: 'text' }) email!: string;
  @Column({ type: 'text', nullable: true }) token!: string | null;

  @BeforeInsert() sign() {
    this.token = `${this.org.id}:${this.email}`;
  }
}

/** Embedded columns as `address_city`, the way snake-case naming strategies name them. */
class SnakeEmbeddedNaming extends DefaultNamingStrategy {
  override columnName(
    propertyName: string,
    customName: string | undefined,
    prefixes: string[],
  ): string {
    return [...prefixes, customName || propertyName].join('_');
  }
}

function relationsDataSource(url: string, log: StatementLog): DataSource {
  const ignore = () => undefined;
  return new DataSource({
    type: 'postgres',
    url,
    entities: [Org, OrgMember, Project, Region, Office, Invite, Place],
    namingStrategy: new SnakeEmbeddedNaming(),
    synchronize: false,
    poolSize: 10,
    logger: {
      logQuery: log.record,
      logQueryError: ignore,
      logQuerySlow: ignore,
      logSchemaBuild: ignore,
      logMigration: ignore,
      log: ignore,
    },
  });
}

describe('relations and embedded columns (TypeORM)', () => {
  const db = useTestDatabase(schemaSql);
  const log = new StatementLog();
  let dataSource: DataSource;
  const repo = <T extends object>(target: new () => T) =>
    raceSafe(dataSource.getRepository<T>(target));
  const newOrg = (name: string) => dataSource.getRepository(Org).save({ name });
  const orgIdOf = async (table: string, id: number) =>
    (await dataSource.query(`SELECT org_id FROM ${table} WHERE id = $1`, [id]))[0].org_id;

  beforeAll(async () => {
    dataSource = await relationsDataSource(db.url(), log).initialize();
  });
  afterAll(() => dataSource?.destroy());
  beforeEach(() => log.clear());

  describe('ManyToOne in a lookup', () => {
    it('finds by { org: { id } } the row created by { org: entity }, with the relation id on the entity', async () => {
      const org = await newOrg('acme');
      const [created, wasCreated] = await repo(OrgMember).getOrCreate({ org, email: 'ann@x' });
      const [found, wasCreatedAgain] = await repo(OrgMember).getOrCreate({
        org: { id: org.id },
        email: 'ann@x',
      });
      expect([wasCreated, wasCreatedAgain, found.id]).toEqual([true, false, created.id]);
      // As TypeORM's setEntityValue hydrates a join column with no property: the referenced columns only.
      expect([created.org, found.org]).toEqual([{ id: org.id }, { id: org.id }]);
      expect(await orgIdOf('org_members', created.id)).toBe(org.id);
      expect(log.statements.filter((sql) => sql.includes('"org_id" = $1'))).toHaveLength(2);
    });

    it('keeps rows of different orgs apart', async () => {
      const [a, b] = [await newOrg('a'), await newOrg('b')];
      const [inA] = await repo(OrgMember).getOrCreate({ org: a, email: 'same@x' });
      const [inB, created] = await repo(OrgMember).getOrCreate({
        org: { id: b.id },
        email: 'same@x',
      });
      expect(created).toBe(true);
      expect(inB.id).not.toBe(inA.id);
      expect(inB.org).toEqual({ id: b.id });
    });

    it('sets the declared foreign key property, as TypeORM hydrates it, and finds by it', async () => {
      const org = await newOrg('declared');
      const [project, created] = await repo(Project).getOrCreate({
        org: { id: org.id },
        slug: 'site',
      });
      const [same, createdAgain] = await repo(Project).getOrCreate({ orgId: org.id, slug: 'site' });
      expect([created, createdAgain, same.id, project.orgId, same.orgId]).toEqual([
        true,
        false,
        project.id,
        org.id,
        org.id,
      ]);
      // No `org` object: it would take precedence over orgId in a later save() (ColumnMetadata.getEntityValue).
      expect(project.org).toBeUndefined();
    });

    it('refuses the same join column named twice with different values', async () => {
      const [a, b] = [await newOrg('twice-a'), await newOrg('twice-b')];
      log.clear();
      const error = await repo(Project)
        .getOrCreate({ org: a, orgId: b.id, slug: 's' })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidFieldError);
      expect((error as InvalidFieldError).fields).toEqual(['orgId']);
      expect(log.statements).toEqual([]);
    });

    it('applies the null rules to a null relation: NULLs are distinct under UNIQUE (org_id, email)', async () => {
      await expect(
        repo(OrgMember).getOrCreate({ org: null, email: 'nobody@x' }),
      ).rejects.toBeInstanceOf(InvalidFieldError);
      expect(log.statements.filter((sql) => /INSERT|org_members"? WHERE/.test(sql))).toEqual([]);
    });
  });

  describe('relations in defaults and values', () => {
    it('updateOrCreate writes a relation from defaults, then changes it, and writes an unchanged one as Django does', async () => {
      const org = await newOrg('team');
      const [boss] = await repo(OrgMember).getOrCreate({ org, email: 'boss@x' });
      const [deputy] = await repo(OrgMember).getOrCreate({ org, email: 'deputy@x' });
      const [dev, created] = await repo(OrgMember).updateOrCreate(
        { org, email: 'dev@x' },
        { defaults: { manager: boss, role: 'dev' } },
      );
      expect([created, dev.manager, dev.role]).toEqual([true, { id: boss.id }, 'dev']);

      const [moved, createdAgain] = await repo(OrgMember).updateOrCreate(
        { org, email: 'dev@x' },
        { defaults: { manager: { id: deputy.id } } },
      );
      expect([createdAgain, moved.id, moved.manager]).toEqual([false, dev.id, { id: deputy.id }]);

      // Outside a transaction every default is written, changed or not (the one-statement path; after two updates, the plain UPDATE first).
      await repo(OrgMember).updateOrCreate(
        { org, email: 'dev@x' },
        { defaults: { manager: deputy } },
      );
      log.clear();
      const [same] = await repo(OrgMember).updateOrCreate(
        { org, email: 'dev@x' },
        { defaults: { manager: deputy } },
      );
      expect(log.verbs()).toEqual(['UPDATE']);
      expect(log.statements[0]).toMatch(
        /^UPDATE "org_members" SET "manager_id" = \$1 WHERE .* RETURNING \*$/,
      );
      expect(same.manager).toEqual({ id: deputy.id });

      const [unmanaged] = await repo(OrgMember).updateOrCreate(
        { id: dev.id },
        { defaults: { manager: null } },
      );
      expect(unmanaged.manager).toBeNull();
      expect(
        (await dataSource.query(`SELECT manager_id FROM org_members WHERE id = $1`, [dev.id]))[0]
          .manager_id,
      ).toBeNull();
    });

    it('getOrCreate writes a relation given in a defaults function', async () => {
      const org = await newOrg('fn');
      const [boss] = await repo(OrgMember).getOrCreate({ org, email: 'fn-boss@x' });
      const [member] = await repo(OrgMember).getOrCreate(
        { org, email: 'fn@x' },
        { defaults: () => ({ manager: { id: boss.id } }) },
      );
      expect(member.manager).toEqual({ id: boss.id });
      expect(
        (await dataSource.query(`SELECT manager_id FROM org_members WHERE id = $1`, [member.id]))[0]
          .manager_id,
      ).toBe(boss.id);
    });

    it('updateOrCreate creates with a relation from createDefaults', async () => {
      const org = await newOrg('create-defaults');
      const [boss] = await repo(OrgMember).getOrCreate({ org, email: 'cd-boss@x' });
      const [member, created] = await repo(OrgMember).updateOrCreate(
        { org, email: 'cd@x' },
        { defaults: { visits: F('visits').plus(1) }, createDefaults: { manager: boss, visits: 1 } },
      );
      expect([created, member.manager, member.visits]).toEqual([true, { id: boss.id }, 1]);
    });

    it('atomicUpdate sets a relation in values, with plain and TypeORM-built where', async () => {
      const [a, b] = [await newOrg('move-a'), await newOrg('move-b')];
      const [member] = await repo(OrgMember).getOrCreate({ org: a, email: 'mover@x' });
      const [moved] = await repo(OrgMember).atomicUpdate(
        { id: member.id },
        { org: b },
        { returning: true },
      );
      expect(moved.org).toEqual({ id: b.id });
      // An operator in where: TypeORM's where builder, racesafe's SET of the join column.
      const changed = await repo(OrgMember).atomicUpdate(
        { id: member.id, visits: MoreThanOrEqual(0) },
        { org: { id: a.id } },
      );
      expect(changed).toBe(1);
      expect(await orgIdOf('org_members', member.id)).toBe(a.id);
    });

    it('atomicUpdate finds rows by a relation in where (TypeORM where builder)', async () => {
      const org = await newOrg('where');
      const [member] = await repo(OrgMember).getOrCreate({ org, email: 'counted@x' });
      expect(
        await repo(OrgMember).atomicUpdate(
          { org: { id: org.id }, email: 'counted@x' },
          { visits: F('visits').plus(1) },
        ),
      ).toBe(1);
      expect(
        await repo(OrgMember).atomicUpdate(
          { org, email: 'counted@x' },
          { visits: F('visits').plus(2) },
        ),
      ).toBe(1);
      const [other] = [await newOrg('where-other')];
      expect(
        await repo(OrgMember).atomicUpdate(
          { org: { id: other.id }, email: 'counted@x' },
          { visits: F('visits').plus(100) },
        ),
      ).toBe(0);
      expect(
        (await dataSource.getRepository(OrgMember).findOneByOrFail({ id: member.id })).visits,
      ).toBe(3);
    });
  });

  describe('with entity listeners', () => {
    it('hands the listeners the relation as { id }, on create and on update', async () => {
      const org = await newOrg('listened');
      const [invite, created] = await repo(Invite).getOrCreate({ org, email: 'guest@x' });
      expect([created, invite.token, invite.org]).toEqual([
        true,
        `${org.id}:guest@x`,
        { id: org.id },
      ]);
      const [updated, createdAgain] = await repo(Invite).updateOrCreate(
        { org: { id: org.id }, email: 'guest@x' },
        { defaults: { token: 'reset' } },
      );
      expect([createdAgain, updated.id, updated.token, updated.org]).toEqual([
        false,
        invite.id,
        'reset',
        { id: org.id },
      ]);
    });
  });

  describe('composite foreign key', () => {
    it('maps { region } to both join columns, by entity or by { code, country }', async () => {
      const region = await dataSource
        .getRepository(Region)
        .save({ code: 'eu', country: 'de', name: 'Germany' });
      await dataSource.getRepository(Region).save({ code: 'eu', country: 'fr', name: 'France' });
      const [office, created] = await repo(Office).getOrCreate({ region, name: 'Berlin' });
      const [same, createdAgain] = await repo(Office).getOrCreate({
        region: { code: 'eu', country: 'de' },
        name: 'Berlin',
      });
      const [other, otherCreated] = await repo(Office).getOrCreate({
        region: { code: 'eu', country: 'fr' },
        name: 'Berlin',
      });
      expect([created, createdAgain, same.id, otherCreated]).toEqual([
        true,
        false,
        office.id,
        true,
      ]);
      expect(other.id).not.toBe(office.id);
      expect(same.region).toEqual({ code: 'eu', country: 'de' });
      const rows = await dataSource.query(
        `SELECT region_code, region_country FROM offices WHERE id = $1`,
        [office.id],
      );
      expect(rows).toEqual([{ region_code: 'eu', region_country: 'de' }]);
    });
  });

  describe('embedded columns', () => {
    it('finds by { address: { city, zip } } and by the property paths, on UNIQUE (address_city, address_zip)', async () => {
      const [place, created] = await repo(Place).getOrCreate(
        { address: { city: 'Lyon', zip: '69001' } },
        { defaults: { label: 'HQ' } },
      );
      const [same, createdAgain] = await repo(Place).getOrCreate({
        'address.city': 'Lyon',
        'address.zip': '69001',
      });
      const [other, otherCreated] = await repo(Place).getOrCreate({
        address: { city: 'Lyon', zip: '69002' },
      });
      expect([created, createdAgain, same.id, otherCreated]).toEqual([true, false, place.id, true]);
      expect(other.id).not.toBe(place.id);
      expect(same.address).toBeInstanceOf(Address);
      expect([same.address.city, same.address.zip, same.label]).toEqual(['Lyon', '69001', 'HQ']);
    });

    it('accepts an embedded in defaults and values, writing only the properties given', async () => {
      const [created] = await repo(Place).getOrCreate({ address: { city: 'Oslo', zip: '0150' } });
      const [moved] = await repo(Place).atomicUpdate(
        { id: created.id },
        { address: { zip: '0151' } },
        { returning: true },
      );
      expect([moved.address.city, moved.address.zip]).toEqual(['Oslo', '0151']);
      const [renamed, wasCreated] = await repo(Place).updateOrCreate(
        { id: created.id },
        { defaults: { address: { city: 'Bergen' } } },
      );
      expect([wasCreated, renamed.address.city, renamed.address.zip]).toEqual([
        false,
        'Bergen',
        '0151',
      ]);
      // An embedded in where: TypeORM's where builder; in values: the SET TypeORM's update builder reads back.
      expect(
        await repo(Place).atomicUpdate(
          { address: { city: 'Bergen', zip: '0151' } },
          { address: { zip: '0152' } },
        ),
      ).toBe(1);
      expect(
        await dataSource.query(`SELECT address_city, address_zip FROM places WHERE id = $1`, [
          created.id,
        ]),
      ).toEqual([{ address_city: 'Bergen', address_zip: '0152' }]);
    });

    it('needs the whole unique key: part of the embedded is not one', async () => {
      await expect(repo(Place).getOrCreate({ address: { city: 'Lyon' } })).rejects.toBeInstanceOf(
        UniqueLookupRequiredError,
      );
    });
  });

  describe('bad input, before any statement', () => {
    it('reports a relation object missing a referenced column, with every unknown name, and sends nothing', async () => {
      // A fresh data source: not even the catalog query may go out.
      const fresh = new StatementLog();
      const other = await relationsDataSource(db.url(), fresh).initialize();
      fresh.clear();
      try {
        const members = raceSafe(other.getRepository(OrgMember));
        const error = await members
          .getOrCreate({ org: { name: 'acme' } as never, emial: 'x@x' } as never, {
            defaults: { nmae: 'typo' } as never,
          })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InvalidFieldError);
        expect((error as InvalidFieldError).fields).toEqual(['org', 'emial', 'nmae']);
        expect((error as Error).message).toMatch(/"org" has no id/);
        const composite = await raceSafe(other.getRepository(Office))
          .getOrCreate({ region: { code: 'eu' }, name: 'x' })
          .catch((e: unknown) => e);
        expect((composite as InvalidFieldError).fields).toEqual(['region']);
        expect((composite as Error).message).toMatch(/"region" has no country/);
        expect(fresh.statements).toEqual([]);
      } finally {
        await other.destroy();
      }
    });

    it.each([
      [
        'a relation given as a bare id',
        () => repo(OrgMember).getOrCreate({ org: 5 as never, email: 'x' }),
        ['org'],
      ],
      ['a to-many relation', () => repo(Org).getOrCreate({ members: [] }), ['members']],
      [
        'an embedded given as a string',
        () => repo(Place).getOrCreate({ address: 'Lyon' as never }),
        ['address'],
      ],
      [
        'an unknown embedded property',
        () => repo(Place).getOrCreate({ address: { city: 'a', zip: 'b', street: 'c' } as never }),
        ['address.street'],
      ],
      [
        'a bad relation in atomicUpdate values',
        () => repo(OrgMember).atomicUpdate({ id: 1 }, { manager: {} }),
        ['manager'],
      ],
      [
        'an unknown name in atomicUpdate where',
        () => repo(OrgMember).atomicUpdate({ org: { id: 1 }, emial: 'x' } as never, { visits: 1 }),
        ['emial'],
      ],
    ])('rejects %s', async (_label, call, fields) => {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidFieldError);
      expect((error as InvalidFieldError).fields).toEqual(fields);
      expect(log.statements).toEqual([]);
    });
  });

  it('20 concurrent getOrCreate of one { org, email } on the pool create exactly one row', async () => {
    const org = await newOrg('race');
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        repo(OrgMember).getOrCreate({ org: { id: org.id }, email: 'race@x' }),
      ),
    );
    expect(results.filter(([, created]) => created)).toHaveLength(1);
    expect(new Set(results.map(([member]) => member.id)).size).toBe(1);
    expect(results.every(([member]) => member.org?.id === org.id)).toBe(true);
    const [{ count }] = await dataSource.query(
      `SELECT count(*)::int AS count FROM org_members WHERE org_id = $1 AND email = 'race@x'`,
      [org.id],
    );
    expect(count).toBe(1);
  });
});
