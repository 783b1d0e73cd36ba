// Jest setup (setupFilesAfterEach): fails a test that sends a statement on a node-postgres
// client still executing another one, the case pg 8 warns about once per process
// ("Calling client.query() when the client is already executing a query is deprecated").
// The check is pg's own condition, made on every call rather than on the first warning only.
import { Client } from 'pg';

const overlapping: string[] = [];
// eslint-disable-next-line @typescript-eslint/unbound-method -- the original, called below with the client as `this`
const { query } = Client.prototype;

Client.prototype.query = function (
  this: Client & { _queryQueue: unknown[]; pipeline?: boolean },
  ...args: unknown[]
) {
  if (this._queryQueue.length > 0 && !this.pipeline) {
    const config = args[0] as string | { text?: string };
    overlapping.push(typeof config === 'string' ? config : String(config?.text));
  }
  return (query as (...a: unknown[]) => unknown).apply(this, args);
} as typeof query;

afterEach(() => {
  const sent = overlapping.splice(0);
  if (sent.length > 0) {
    throw new Error(
      `${sent.length} statement(s) sent on a pg client that was still executing one (pg's concurrent-query deprecation):\n${sent.slice(0, 5).join('\n')}`,
    );
  }
});
