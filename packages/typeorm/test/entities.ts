import 'reflect-metadata';
import {
  AfterInsert,
  AfterUpdate,
  BeforeInsert,
  BeforeUpdate,
  Column,
  DataSource,
  DeleteDateColumn,
  Entity,
  type EntitySubscriberInterface,
  EventSubscriber,
  type InsertEvent,
  PrimaryGeneratedColumn,
  type UpdateEvent,
} from 'typeorm';
import pg from 'pg';
import { pgWithErrorListener } from '../src';
import { hookBehaviour, hookCalls } from '../../../test/integration/hooks';

// Column types are explicit so that the entities need no decorator metadata (design:type), whatever compiles them,
// and portable where the table exists on MariaDB and SQLite too (dates are `type: Date`, which each driver maps to its own
// timestamp / datetime type; SQLite's TypeORM drivers refuse `timestamp`): the tables are made by SQL, the type only converts values.

@Entity({ name: 'users' })
export class User {
  @PrimaryGeneratedColumn() id!: number;
  @Column({ type: 'text' }) email!: string;
  @Column({ type: 'text', nullable: true }) username!: string | null;
  @Column({ type: 'text', nullable: true }) name!: string | null;
  @Column({ type: 'text', default: 'free' }) plan!: string;
  @Column({ type: 'int', default: 0 }) logins!: number;
  @Column({ type: 'int', default: 0 }) visits!: number;
  @Column({ type: Date, name: 'created_at', default: () => 'now()' }) createdAt!: Date;
}

@Entity({ name: 'naive_users' })
export class NaiveUser {
  @PrimaryGeneratedColumn() id!: number;
  @Column({ type: 'text' }) email!: string;
  @Column({ type: 'text', nullable: true }) username!: string | null;
  @Column({ type: 'text', nullable: true }) name!: string | null;
  @Column({ type: 'text', default: 'free' }) plan!: string;
  @Column({ type: 'int', default: 0 }) logins!: number;
  @Column({ type: 'int', default: 0 }) visits!: number;
}

@Entity({ name: 'memberships' })
export class Membership {
  @PrimaryGeneratedColumn() id!: number;
  @Column({ type: 'text' }) org!: string;
  @Column({ type: 'text', nullable: true }) member!: string | null;
  @Column({ type: 'text', default: 'member' }) role!: string;
}

@Entity({ name: 'counters' })
export class Counter {
  @PrimaryGeneratedColumn() id!: number;
  @Column({ type: 'text' }) name!: string;
  @Column({ type: 'int', default: 0 }) value!: number;
  @Column({ type: 'int', name: 'view_count', default: 0 }) viewCount!: number;
  @Column({ type: 'bigint', default: 0 }) big!: string;
  @Column({ type: 'double precision', default: 1 }) ratio!: number;
  @Column({ type: 'text', default: '' }) label!: string;
}

@Entity({ name: 'items' })
export class Item {
  @PrimaryGeneratedColumn() id!: number;
  @Column({ type: 'text' }) sku!: string;
  @Column({ type: 'int' }) stock!: number;
  @Column({ type: 'numeric', precision: 10, scale: 2, default: 0 }) price!: string;
  @Column({ type: 'text', nullable: true }) title!: string | null;
}

/** Entity listeners as an application writes them: hash the password, derive a slug (test/integration/hooks.ts). */
abstract class AccountColumns {
  @PrimaryGeneratedColumn() id!: number;
  @Column({ type: 'text' }) email!: string;
  @Column({ type: 'text', nullable: true }) username!: string | null;
  @Column({ type: 'text', nullable: true }) password!: string | null;
  @Column({ type: 'text', nullable: true }) name!: string | null;
  @Column({ type: 'text', nullable: true }) slug!: string | null;
  @Column({ type: 'int', default: 0 }) logins!: number;
  @Column({ type: 'text', nullable: true }) note!: string | null;

  @BeforeInsert() beforeInsert() {
    hookBehaviour.beforeCreate(this);
  }
  @AfterInsert() afterInsert() {
    hookCalls.push({ event: 'afterCreate', email: this.email, id: this.id });
  }
  @BeforeUpdate() beforeUpdate() {
    hookBehaviour.beforeUpdate(this);
  }
  @AfterUpdate() afterUpdate() {
    hookCalls.push({ event: 'afterUpdate', email: this.email, id: this.id });
  }
}

@Entity({ name: 'accounts' })
export class Account extends AccountColumns {}

/** The same columns and listeners on a table without unique constraints: the naive approach's table in the hashing-hook race. */
@Entity({ name: 'naive_accounts' })
export class NaiveAccount extends AccountColumns {}

@Entity({ name: 'audit' })
export class Audit {
  @PrimaryGeneratedColumn() id!: number;
  @Column({ type: 'text' }) event!: string;
  @Column({ type: 'text', nullable: true }) email!: string | null;
}

/** A subscriber that audits every write of an Account through the event's manager (so in its transaction). */
@EventSubscriber()
export class AccountAudit implements EntitySubscriberInterface<Account> {
  /** Every event as received (named as in the audit table), for the TypeORM-only assertions on its fields. */
  static readonly events: { name: string; event: InsertEvent<Account> | UpdateEvent<Account> }[] =
    [];
  listenTo() {
    return Account;
  }
  private async audit(name: string, event: InsertEvent<Account> | UpdateEvent<Account>) {
    AccountAudit.events.push({ name, event });
    await event.manager
      .getRepository(Audit)
      .insert({ event: name, email: (event.entity as Account | undefined)?.email ?? null });
  }
  beforeInsert(event: InsertEvent<Account>) {
    return this.audit('beforeCreate', event);
  }
  afterInsert(event: InsertEvent<Account>) {
    return this.audit('afterCreate', event);
  }
  beforeUpdate(event: UpdateEvent<Account>) {
    return this.audit('beforeUpdate', event);
  }
  afterUpdate(event: UpdateEvent<Account>) {
    return this.audit('afterUpdate', event);
  }
}

/** Soft delete with a unique index on live rows only (posts_slug_live). */
@Entity({ name: 'posts' })
export class Post {
  @PrimaryGeneratedColumn() id!: number;
  @Column({ type: 'text' }) slug!: string;
  @Column({ type: 'text', nullable: true }) title!: string | null;
  @Column({ type: 'int', default: 0 }) views!: number;
  @DeleteDateColumn({ type: Date, name: 'deleted_at' }) deletedAt!: Date | null;
}

/** Soft delete with a full unique key (notes_slug_key). */
@Entity({ name: 'notes' })
export class Note {
  @PrimaryGeneratedColumn() id!: number;
  @Column({ type: 'text' }) slug!: string;
  @Column({ type: 'text', nullable: true }) body!: string | null;
  @DeleteDateColumn({ type: Date, name: 'deleted_at' }) deletedAt!: Date | null;
}

/** Values of every kind the ORM accepts for a column (issue 9, item 7). */
@Entity({ name: 'documents' })
export class Document {
  @PrimaryGeneratedColumn() id!: number;
  @Column({ type: 'text' }) code!: string;
  @Column({ type: 'text', array: true, nullable: true }) tags!: string[] | null;
  @Column({ type: 'jsonb', nullable: true }) meta!: unknown;
  @Column({ type: 'simple-array', nullable: true }) list!: string[] | null;
  @Column({ type: 'timestamptz', name: 'stamped_at', nullable: true }) stampedAt!: Date | null;
  @Column({ type: 'text', nullable: true }) title!: string | null;
}

/** Document on MariaDB (test/schema/mysql-tables.ts): there is no array type, so tags is JSON, as meta is. */
@Entity({ name: 'documents' })
export class JsonDocument {
  @PrimaryGeneratedColumn() id!: number;
  @Column({ type: 'text' }) code!: string;
  @Column({ type: 'json', nullable: true }) tags!: string[] | null;
  @Column({ type: 'json', nullable: true }) meta!: unknown;
  @Column({ type: 'simple-array', nullable: true }) list!: string[] | null;
  @Column({ type: 'datetime', precision: 6, name: 'stamped_at', nullable: true })
  stampedAt!: Date | null;
  @Column({ type: 'text', nullable: true }) title!: string | null;
}

/**
 * A data source on the test database, PostgreSQL or (a `mysql://` or `mariadb://` URL)
 * MariaDB: `poolSize` pooled connections, every statement passed to `onQuery`; or (a
 * `sqlite:/path/file.db` or `sqlite3:/path/file.db` URL) a SQLite file. With `readReplicas`
 * (PostgreSQL), TypeORM's `replication: { master, slaves }`: its reads go to a replica.
 */
export function testDataSource(
  url: string,
  {
    poolSize = 4,
    onQuery,
    onQueryError,
    readReplicas,
    acquireTimeoutMs,
  }: {
    poolSize?: number;
    onQuery?: (sql: string) => void;
    onQueryError?: (error: unknown, sql: string) => void;
    readReplicas?: string[];
    acquireTimeoutMs?: number;
  } = {},
): DataSource {
  const ignore = () => undefined;
  // mysql:// is TypeORM's `mysql` driver, mariadb:// its `mariadb` one (both through mysql2).
  const mysqlType = url.startsWith('mysql:')
    ? 'mysql'
    : url.startsWith('mariadb:')
      ? 'mariadb'
      : undefined;
  const onMariadb = mysqlType !== undefined;
  const common = [
    User,
    NaiveUser,
    Membership,
    Counter,
    Item,
    Account,
    NaiveAccount,
    Audit,
    Post,
    Note,
  ];
  const logger =
    onQuery || onQueryError
      ? {
          logQuery: onQuery ?? ignore,
          logQueryError: onQueryError
            ? (error: unknown, sql: string) => onQueryError(error, sql)
            : ignore,
          logQuerySlow: ignore,
          logSchemaBuild: ignore,
          logMigration: ignore,
          log: ignore,
        }
      : undefined;
  // sqlite:<file> is TypeORM's `better-sqlite3` driver, sqlite3:<file> its `sqlite` one (node-sqlite3; TypeORM 0.3 only).
  const sqliteType = url.startsWith('sqlite:')
    ? 'better-sqlite3'
    : url.startsWith('sqlite3:')
      ? 'sqlite'
      : undefined;
  if (sqliteType) {
    // One connection, no pool: TypeORM's SQLite drivers share one query runner. The documents table has JSON columns, as on MariaDB.
    const database = url.slice(url.indexOf(':') + 1);
    return new DataSource({
      type: sqliteType as 'better-sqlite3',
      database,
      entities: [...common, JsonDocument],
      subscribers: [AccountAudit],
      synchronize: false,
      logger,
    });
  }
  return new DataSource({
    type: mysqlType ?? 'postgres',
    ...(readReplicas
      ? {
          replication: {
            master: { url },
            slaves: readReplicas.map((replica) => ({ url: replica })),
          },
        }
      : { url }),
    // Document's text[] and jsonb columns exist on PostgreSQL only; MariaDB's table has JSON columns instead.
    entities: [...common, onMariadb ? JsonDocument : Document],
    subscribers: [AccountAudit],
    synchronize: false,
    poolSize,
    logger,
    // pg-pool's wait for a free connection (issue 13, item 5); unset: it waits as long as it takes.
    ...(acquireTimeoutMs === undefined
      ? {}
      : { extra: { connectionTimeoutMillis: acquireTimeoutMs } }),
    // The package's 'error' listener, as the README sets it up (issue 21, item 4): a terminated backend never crashes the process.
    ...(onMariadb ? {} : { driver: pgWithErrorListener(pg) }),
  });
}
