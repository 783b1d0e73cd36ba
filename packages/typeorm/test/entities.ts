import 'reflect-metadata';
import { Column, DataSource, Entity, PrimaryGeneratedColumn } from 'typeorm';

// Column types are explicit so that the entities need no decorator metadata (design:type), whatever compiles them.

@Entity({ name: 'users' })
export class User {
  @PrimaryGeneratedColumn() id!: number;
  @Column({ type: 'text' }) email!: string;
  @Column({ type: 'text', nullable: true }) username!: string | null;
  @Column({ type: 'text', nullable: true }) name!: string | null;
  @Column({ type: 'text', default: 'free' }) plan!: string;
  @Column({ type: 'int', default: 0 }) logins!: number;
  @Column({ type: 'int', default: 0 }) visits!: number;
  @Column({ type: 'timestamptz', name: 'created_at', default: () => 'now()' }) createdAt!: Date;
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

/** A data source on the test database: `poolSize` pooled connections, every statement passed to `onQuery`. */
export function testDataSource(url: string, { poolSize = 4, onQuery }: { poolSize?: number; onQuery?: (sql: string) => void } = {}): DataSource {
  const ignore = () => undefined;
  return new DataSource({
    type: 'postgres',
    url,
    entities: [User, NaiveUser, Membership, Counter, Item],
    synchronize: false,
    poolSize,
    logger: onQuery
      ? { logQuery: onQuery, logQueryError: ignore, logQuerySlow: ignore, logSchemaBuild: ignore, logMigration: ignore, log: ignore }
      : undefined,
  });
}
