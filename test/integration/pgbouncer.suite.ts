import { Client } from 'pg';
import { describeThroughPgbouncer, useTestDatabase } from '../harness/database';
import { type PgbouncerServer, pgbouncerInstalled, startPgbouncer } from '../harness/pgbouncer';
import { schemaSql } from '../schema/tables';
import { StatementLog } from '../support/statement-log';
import type { OpenTestOrm, TestOrm } from './orm';

/**
 * Issue 14, item 1: racesafe leaves no session state on a server connection that PgBouncer
 * (transaction pooling) hands to the next client. A PgBouncer of its own with ONE server
 * connection makes certain that the other client gets the very connection racesafe used (both
 * see the same pg_backend_pid()); then that client's `SHOW lock_timeout` is the default. The
 * same check catches a session-level SET, so it can fail.
 */
export function describePgbouncerSessionState(open: OpenTestOrm): void {
  describeThroughPgbouncer(
    'session state through PgBouncer (transaction pooling, one server connection)',
    () => {
      const db = useTestDatabase(schemaSql);
      const log = new StatementLog();
      let bouncer: PgbouncerServer | undefined;
      let orm: TestOrm | undefined;
      let other: Client | undefined;
      beforeAll(async () => {
        const serverUrl = process.env.RACESAFE_TEST_SERVER_URL ?? process.env.RACESAFE_PG_URL;
        // Without the binary (RACESAFE_PGBOUNCER_URL only), that PgBouncer: the pid check below still says whether the connection was shared.
        bouncer = await startPgbouncer(serverUrl!, { poolSize: 1, own: pgbouncerInstalled() });
        const url = new URL(bouncer.url);
        url.pathname = new URL(db.url()).pathname;
        orm = await open(url.toString(), { poolSize: 2, onQuery: log.record });
        other = new Client({ connectionString: url.toString() });
        await other.connect();
      });
      afterAll(async () => {
        await other?.end();
        await orm?.close();
        await bouncer?.stop();
      });
      beforeEach(async () => {
        await orm!.getOrCreate('users', { email: 'leak@x' });
        log.clear();
      });

      /** What the other client sees on the server connection it is given next. */
      const nextClientSees = async () =>
        (
          await other!.query<{ pid: number; lock_timeout: string }>(
            `SELECT pg_backend_pid() AS pid, current_setting('lock_timeout') AS lock_timeout`,
          )
        ).rows[0];
      const showLockTimeout = async () =>
        (await other!.query<{ lock_timeout: string }>('SHOW lock_timeout')).rows[0].lock_timeout;

      it("does not leak lockTimeoutMs to the next client of the same server connection, from the caller's transaction", async () => {
        const pid = await orm!.transaction(async (tx) => {
          await orm!.updateOrCreate(
            'users',
            { email: 'leak@x' },
            { defaults: { name: 'in tx' }, lockTimeoutMs: 1234 },
            tx,
          );
          return Number((await orm!.query('SELECT pg_backend_pid() AS pid', tx))[0].pid);
        });
        expect(log.statements.some((sql) => sql.includes("set_config('lock_timeout'"))).toBe(true);
        expect(await nextClientSees()).toEqual({ pid, lock_timeout: '0' });
        expect(await showLockTimeout()).toBe('0');
      });

      it("does not leak lockTimeoutMs from racesafe's own transaction", async () => {
        await orm!.updateOrCreate(
          'users',
          { email: 'leak@x' },
          { defaults: { name: 'own tx' }, lockTimeoutMs: 1234 },
        );
        const pid = Number((await orm!.query('SELECT pg_backend_pid() AS pid'))[0].pid);
        expect(await nextClientSees()).toEqual({ pid, lock_timeout: '0' });
        expect(await showLockTimeout()).toBe('0');
      });

      it('would show a session-level SET to that next client (the check can fail)', async () => {
        await orm!.query(`SET lock_timeout = '1234ms'`);
        try {
          expect(await showLockTimeout()).toBe('1234ms');
        } finally {
          await orm!.query('RESET lock_timeout');
        }
        expect(await showLockTimeout()).toBe('0');
      });

      it('takes transaction-scoped advisory locks only: none is left on the server connection', async () => {
        await orm!.getOrCreate('naive_users', { email: 'advisory@x' }, { advisoryLock: true });
        expect(log.statements.some((sql) => sql.includes('pg_advisory_xact_lock('))).toBe(true);
        expect(log.statements.some((sql) => /pg_advisory_lock\(/.test(sql))).toBe(false);
        const { rows } = await other!.query<{ n: string }>(
          `SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory'`,
        );
        expect(rows[0].n).toBe('0');
      });
    },
  );
}
