import { randomBytes } from 'node:crypto';
import { applySchema, createDatabase, type TestDatabase } from '../harness/postgres';
import { schemaSql } from '../schema/tables';

/**
 * A stand-in read replica for replication tests: a second database with the same schema
 * that never receives the primary's writes, seeded with a stale row. A read that goes to
 * the replica instead of the primary returns that stale row, which tests can see.
 */
export async function createStaleReplica(seedSql: string): Promise<TestDatabase> {
  const serverUrl = process.env.RACESAFE_TEST_SERVER_URL ?? process.env.RACESAFE_PG_URL;
  if (!serverUrl) throw new Error('createStaleReplica: no server (run through jest or set RACESAFE_PG_URL)');
  const replica = await createDatabase(serverUrl, `rs_replica_${randomBytes(4).toString('hex')}`);
  await applySchema(replica.url, schemaSql + seedSql);
  return replica;
}

/** Connection fields of a postgres URL, for ORMs whose replication options take no URL. */
export function connectionFields(url: string) {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 5432),
    username: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    database: parsed.pathname.slice(1),
  };
}
