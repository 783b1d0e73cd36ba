import { MYSQL_HANDLE, MYSQL_NOTICE, SERVER_HANDLE, type WithServers } from './jest-global-setup';

/**
 * Jest globalTeardown: stops the servers from the global setup (runs even when tests fail)
 * and prints the "MariaDB suites skipped" notice, after jest's summary where it is seen.
 */
export default async function globalTeardown(): Promise<void> {
  const holder = globalThis as WithServers;
  const servers = [holder[SERVER_HANDLE], holder[MYSQL_HANDLE]];
  const notice = holder[MYSQL_NOTICE];
  delete holder[SERVER_HANDLE];
  delete holder[MYSQL_HANDLE];
  delete holder[MYSQL_NOTICE];
  const results = await Promise.allSettled(servers.map((server) => server?.stop()));
  if (notice) console.warn(`\n${notice}\n`);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
