import { SERVER_HANDLE } from './jest-global-setup';
import type { PostgresServer } from './postgres';

/** Jest globalTeardown: stops the server from the global setup; runs even when tests fail. */
export default async function globalTeardown(): Promise<void> {
  const holder = globalThis as typeof globalThis & { [SERVER_HANDLE]?: PostgresServer };
  const server = holder[SERVER_HANDLE];
  delete holder[SERVER_HANDLE];
  await server?.stop();
}
