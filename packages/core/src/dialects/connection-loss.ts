// Issue 13: what PostgreSQL and MySQL / MariaDB share in telling a lost connection: the chain of
// wrapped errors, Node's socket codes, and the ORM errors that mean "not sent".
import type { ClassifiedError } from './dialect';

/** The error and the ones it wraps (TypeORM driverError, Sequelize original / parent, cause), outermost first. */
export function errorChain(error: unknown): Record<string, unknown>[] {
  const chain: Record<string, unknown>[] = [];
  for (
    let e = error;
    typeof e === 'object' &&
    e !== null &&
    !chain.includes(e as Record<string, unknown>) &&
    chain.length < 5;
  ) {
    const candidate = e as Record<string, unknown>;
    chain.push(candidate);
    e = candidate.driverError ?? candidate.original ?? candidate.parent ?? candidate.cause;
  }
  return chain;
}

// Node socket errors (`code` without a server error number): lost mid-conversation, or never connected.
const socketLostCodes = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTCONN',
]);
const socketRefusedCodes = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);
// TypeORM releases a query runner whose connection emitted 'error'; its next query fails before sending.
const ormNotSentNames = new Set(['QueryRunnerAlreadyReleasedError']);

/**
 * A lost connection any driver reports the same way: a Node socket code (ECONNRESET, EPIPE...;
 * ECONNREFUSED and the like mean nothing was sent), or an ORM error raised before sending.
 */
export function socketLoss(e: Record<string, unknown>): ClassifiedError | undefined {
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (code && socketLostCodes.has(code)) return { kind: 'connection-lost', code };
  if (code && socketRefusedCodes.has(code))
    return { kind: 'connection-lost', code, beforeSending: true };
  if (e instanceof Error && ormNotSentNames.has(e.name))
    return { kind: 'connection-lost', beforeSending: true };
  return undefined;
}
