import {
  AS_MYSQL8_HANDLE,
  MYSQL_HANDLE,
  MYSQL_NOTICE,
  PGBOUNCER_HANDLE,
  PGBOUNCER_NOTICE,
  SERVER_HANDLE,
  type WithServers,
} from './jest-global-setup';
import { endIdleChildren } from './race';

/**
 * Jest globalTeardown: stops the servers from the global setup (runs even when tests fail)
 * and prints the "MariaDB / PgBouncer suites skipped" notices, after jest's summary where they are seen.
 */
export default async function globalTeardown(): Promise<void> {
  // The race files' idle children (shared by the files of this jest process, see race.ts) first.
  await endIdleChildren();
  const holder = globalThis as WithServers;
  const notices = [holder[MYSQL_NOTICE], holder[PGBOUNCER_NOTICE]].filter(Boolean);
  // The pooler first: its server connections go before the server does.
  const pooler = await Promise.allSettled([holder[PGBOUNCER_HANDLE]?.stop()]);
  const servers = [holder[SERVER_HANDLE], holder[MYSQL_HANDLE], holder[AS_MYSQL8_HANDLE]];
  for (const handle of [
    SERVER_HANDLE,
    MYSQL_HANDLE,
    AS_MYSQL8_HANDLE,
    MYSQL_NOTICE,
    PGBOUNCER_HANDLE,
    PGBOUNCER_NOTICE,
  ] as const)
    delete holder[handle];
  const results = [
    ...pooler,
    ...(await Promise.allSettled(servers.map((server) => server?.stop() ?? Promise.resolve()))),
  ];
  for (const notice of notices) console.warn(`\n${notice}\n`);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
