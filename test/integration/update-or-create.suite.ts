import { F, InvalidFieldError, LockNotAvailableError, RetryableError } from '@racesafe/core';
import { withDefaultIsolation } from '../support/locks';
import { StatementLog } from '../support/statement-log';
import { type SuiteDatabase, postgres } from './databases';
import { useTestOrm } from './lifecycle';
import { type OpenTestOrm, type TestOrm, type Tx, connectionsOf } from './orm';

/** Opens a transaction that stays open until `release()`; `held` resolves with what `work` returned. */
function holdTransaction<T>(orm: TestOrm, work: (tx: Tx) => Promise<T>) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let resolveHeld!: (value: T) => void;
  const held = new Promise<T>((resolve) => (resolveHeld = resolve));
  const done = orm.transaction(async (tx) => {
    resolveHeld(await work(tx));
    await released;
  });
  return { held, release, done };
}

/**
 * updateOrCreate against one package on one database: locking observed from the server
 * (pg_stat_activity, INNODB_TRX), never from sleeps.
 */
export function describeUpdateOrCreate(
  open: OpenTestOrm,
  database: SuiteDatabase = postgres,
): void {
  const { db, log, orm } = useTestOrm(
    open,
    (o) => o.getOrCreate('users', { email: 'warm@x' }).then(() => undefined),
    database,
  );
  const userNamed = async (email: string) =>
    (await orm().query(`SELECT * FROM users WHERE email = '${email}'`))[0];
  const q = (name: string) => database.quote(name).replace(/[`"]/g, '[`"]');
  /** updateOrCreate's read locks the row; without row locks (SQLite) it is a plain SELECT in a transaction holding the write lock. */
  const expectLockingRead = (sql: string) =>
    database.rowLockClause
      ? expect(sql).toMatch(new RegExp(`${database.rowLockClause}$`))
      : expect(sql).not.toMatch(/ FOR (NO KEY )?UPDATE| FOR SHARE/);
  const connections = connectionsOf(open, database.dialect);
  /** MariaDB's compound statement: the locking read, then the UPDATE of the defaults unless none changes the row. */
  const expectCompound = (sql: string, columns: string[], own: boolean) => {
    const set = columns.map((column) => `\`${column}\` = \\?`).join(', ');
    const same = columns.map((column) => `BINARY \`${column}\` <=> BINARY \\?`).join(' AND ');
    expect(sql).toMatch(
      new RegExp(
        `FOR UPDATE;\\nIF racesafe_found > 0 THEN\\nUPDATE \`users\` SET ${set} WHERE \`email\` = \\? AND NOT \\(${same}\\);`,
      ),
    );
    expect(sql.includes('START TRANSACTION;')).toBe(own);
  };

  it('creates with createDefaults, then updates with defaults', async () => {
    const options = {
      defaults: { name: 'updated', logins: F('logins').plus(1) },
      createDefaults: { name: 'created', plan: 'trial', logins: 1 },
    };
    const [created, wasCreated] = await orm().updateOrCreate('users', { email: 'u@x' }, options);
    expect([wasCreated, created.name, created.plan, created.logins]).toEqual([
      true,
      'created',
      'trial',
      1,
    ]);
    const [updated, wasCreatedAgain] = await orm().updateOrCreate(
      'users',
      { email: 'u@x' },
      options,
    );
    expect([wasCreatedAgain, updated.id, updated.name, updated.plan, updated.logins]).toEqual([
      false,
      created.id,
      'updated',
      'trial',
      2,
    ]);
  });

  it('uses defaults to create when createDefaults is absent', async () => {
    const [row, created] = await orm().updateOrCreate(
      'users',
      { email: 'd@x' },
      { defaults: { name: 'from defaults' } },
    );
    expect([created, row.name]).toEqual([true, 'from defaults']);
  });

  it(`updates an existing row in ${database.updateOrCreateInOneStatement ? 'one statement' : 'a locking transaction of its own'}`, async () => {
    await orm().updateOrCreate('users', { email: 'b@x' }, { defaults: { name: 'other' } });
    await orm().updateOrCreate(
      'users',
      { email: 'c@x' },
      { defaults: { name: 'same', plan: 'free' } },
    ); // the table's last two calls created rows
    log.clear();
    const [row, created] = await orm().updateOrCreate(
      'users',
      { email: 'c@x' },
      { defaults: { name: 'same', plan: 'pro' } },
    );
    expect([row.plan, created]).toEqual(['pro', false]);
    expect(log.verbs()).toEqual(database.statements.updateOrCreateHitAfterMiss);
    if (database.updateOrCreateInOneStatement) {
      // After two creations, INSERT ... ON CONFLICT DO UPDATE: its conflict updated the row; every default is written,
      // changed or not, as Django's update_or_create saves them (Sequelize adds updatedAt).
      expect(log.statements[0]).toMatch(
        /^INSERT INTO "users" \(.*\) VALUES \(.*\) ON CONFLICT \("email"\) DO UPDATE SET "name" = \$\d+, "plan" = \$\d+(, "updatedAt" = CURRENT_TIMESTAMP)? RETURNING \*, \(xmax = 0\) AS "racesafe_created"$/,
      );
    } else if (database.updateOrCreateCompound) {
      expectCompound(log.statements[0], ['name', 'plan'], true);
    } else {
      expectLockingRead(log.statements[1]);
      expect(log.statements[2]).toMatch(
        new RegExp(
          `^(/\\*.*?\\*/ )?UPDATE ${q('users')} SET ${q('plan')} = (\\$1|\\?) WHERE ${q('id')} = (\\$2|\\?)`,
        ),
      );
    }
    // One creation, one update: the statement that answers both.
    log.clear();
    await orm().updateOrCreate('users', { email: 'c@x' }, { defaults: { plan: 'team' } });
    expect(log.verbs()).toEqual(database.statements.updateOrCreateHitAfterMixed);
    if (database.updateOrCreateInOneStatement) {
      expect(log.statements[0]).toMatch(
        /^WITH updated AS \(UPDATE "users" SET "plan" = \$1 WHERE "email" = \$2 RETURNING \*\), made AS \(INSERT /,
      );
    }
    // Two updates: PostgreSQL sends the plain UPDATE ... RETURNING first.
    log.clear();
    const [again] = await orm().updateOrCreate(
      'users',
      { email: 'c@x' },
      { defaults: { plan: 'free' } },
    );
    expect(again).toMatchObject({ id: row.id, plan: 'free' });
    expect(log.verbs()).toEqual(database.statements.updateOrCreateHit);
  });

  it('creates a missing row in as few statements as the database allows', async () => {
    const options = { defaults: { logins: F('logins').plus(1) }, createDefaults: { logins: 1 } };
    await orm().updateOrCreate('users', { email: 'zero@x' }, options);
    await orm().updateOrCreate('users', { email: 'one@x' }, options); // the table's last two calls created rows
    log.clear();
    const [row, created] = await orm().updateOrCreate('users', { email: 'two@x' }, options);
    expect([row.logins, created]).toEqual([1, true]);
    expect(log.verbs()).toEqual(database.statements.updateOrCreateMiss);
    await orm().updateOrCreate('users', { email: 'one@x' }, options);
    await orm().updateOrCreate('users', { email: 'one@x' }, options); // now two updates
    log.clear();
    const [other, createdToo] = await orm().updateOrCreate('users', { email: 'three@x' }, options);
    expect([other.logins, createdToo]).toEqual([1, true]);
    expect(log.verbs()).toEqual(database.statements.updateOrCreateMissAfterHit);
    log.clear();
    await orm().updateOrCreate('users', { email: 'four@x' }, options); // one update, one creation
    expect(log.verbs()).toEqual(database.statements.updateOrCreateMissAfterMixed);
    expect((await orm().query(`SELECT logins FROM users WHERE email = 'one@x'`))[0].logins).toBe(3);
    expect(Number((await orm().query('SELECT count(*) AS n FROM users'))[0].n)).toBe(6); // warm@x too
  });

  if (database.updateOrCreateInOneStatement) {
    const lastId = async () =>
      Number((await orm().query(`SELECT last_value AS n FROM users_id_seq`))[0].n);
    const upsert =
      /^INSERT INTO "users" \(.*\) VALUES \(.*\) ON CONFLICT \("email"\) DO UPDATE SET .* RETURNING \*, \(xmax = 0\) AS "racesafe_created"$/;

    it('after two creations sends INSERT ... ON CONFLICT DO UPDATE: created as it happened, one sequence value for the row it found, the same rows as the other strategies', async () => {
      const options = (name: string) => ({
        defaults: { name },
        createDefaults: { name: 'created', plan: 'trial' },
      });
      const call = async (email: string, name: string) => {
        log.clear();
        const result = await orm().updateOrCreate('users', { email }, options(name));
        return { result, verbs: log.verbs(), statement: log.statements[0] };
      };
      await call('c1@x', 'x');
      await call('c2@x', 'x'); // two creations, whatever ran before
      const made = await call('c3@x', 'first');
      expect([made.verbs, made.statement]).toEqual([['INSERT'], expect.stringMatching(upsert)]);
      expect(made.result[1]).toBe(true);
      expect(made.result[0]).toMatchObject({ email: 'c3@x', name: 'created', plan: 'trial' });
      const before = await lastId();
      const updated = await call('c3@x', 'second'); // the streak's third call finds its row
      expect([updated.verbs, updated.statement]).toEqual([
        ['INSERT'],
        expect.stringMatching(upsert),
      ]);
      expect(updated.result[1]).toBe(false);
      expect(updated.result[0]).toMatchObject({
        id: made.result[0].id,
        name: 'second',
        plan: 'trial',
      });
      expect(await lastId()).toBeLessThanOrEqual(before + 1);
      const drawn = await lastId();
      // The streak is broken: the WITH, then (two updates) the plain UPDATE; neither draws a value.
      const byWith = await call('c3@x', 'third');
      const byUpdate = await call('c3@x', 'fourth');
      expect([byWith.verbs, byUpdate.verbs]).toEqual([['WITH'], ['UPDATE']]);
      expect(await lastId()).toBe(drawn);
      for (const [answer, name] of [
        [byWith, 'third'],
        [byUpdate, 'fourth'],
      ] as const) {
        expect(answer.result[1]).toBe(false);
        expect(answer.result[0]).toMatchObject({ id: made.result[0].id, name, plan: 'trial' });
      }
      expect(await userNamed('c3@x')).toMatchObject({ name: 'fourth', plan: 'trial' });
      expect(Number((await orm().query('SELECT count(*) AS n FROM users'))[0].n)).toBe(4); // warm@x too
    });

    it('after two creations, a found row whose new-row values the INSERT would refuse (plan: null, NOT NULL) is still updated', async () => {
      // PostgreSQL checks NOT NULL before ON CONFLICT DO UPDATE finds the row: the upsert fails
      // where the locking path updates it. racesafe then takes the locking path.
      const options = { defaults: { name: 'kept' }, createDefaults: { plan: null } };
      await orm().updateOrCreate('users', { email: 'nn-1@x' }, { defaults: { name: 'x' } });
      const [made] = await orm().updateOrCreate(
        'users',
        { email: 'nn-2@x' },
        { defaults: { name: 'x' } },
      ); // two creations
      const [row, created] = await orm().updateOrCreate('users', { email: 'nn-2@x' }, options);
      expect([row.id, row.name, row.plan, created]).toEqual([made.id, 'kept', 'free', false]);
      // A missing row with the same values still fails, naming the column.
      await expect(orm().updateOrCreate('users', { email: 'nn-3@x' }, options)).rejects.toThrow(
        /plan/,
      );
    });

    it('keeps the guarded INSERT after two creations when the defaults hold an F expression', async () => {
      const options = { defaults: { logins: F('logins').plus(1) }, createDefaults: { logins: 1 } };
      await orm().updateOrCreate('users', { email: 'f1@x' }, options);
      await orm().updateOrCreate('users', { email: 'f2@x' }, options);
      log.clear();
      const [row, created] = await orm().updateOrCreate('users', { email: 'f1@x' }, options);
      expect([row.logins, created]).toEqual([2, false]);
      expect(log.verbs()).toEqual(['INSERT', 'UPDATE']);
      expect(log.statements[0]).toMatch(/ WHERE NOT EXISTS \(.* DO NOTHING RETURNING \*$/);
    });

    it.each([
      ['rolls back: exactly one caller creates it', 'ROLLBACK', 1],
      ['commits: every caller updates it', 'COMMIT', 0],
    ] as const)(
      'after two creations, concurrent INSERT ... ON CONFLICT DO UPDATE wait for another session inserting the key; it %s',
      async (_, end, creators) => {
        await orm().updateOrCreate('users', { email: 'p1@x' }, { defaults: { name: 'x' } });
        await orm().updateOrCreate('users', { email: 'p2@x' }, { defaults: { name: 'x' } }); // two creations
        const other = await database.connect(db.url());
        try {
          await other.query('BEGIN');
          await other.query(`INSERT INTO users (email, name) VALUES ('hot@x', 'other')`);
          log.clear();
          // Through PgBouncer (4 server connections): the other session, the callers and the poll below each hold one.
          const callers = database.through === 'pgbouncer' ? 2 : 4;
          const calls = Array.from({ length: callers }, (_, i) =>
            orm().updateOrCreate(
              'users',
              { email: 'hot@x' },
              { defaults: { name: `caller ${i}` } },
            ),
          );
          // Every caller sent the statement before any finished: each waits on the uncommitted key.
          await database.waitUntilBlocked(db.url(), 'DO UPDATE SET', { count: callers });
          await other.query(end);
          const results = await Promise.all(calls);
          expect(log.statements.filter((sql) => upsert.test(sql))).toHaveLength(callers);
          expect(results.filter(([, created]) => created)).toHaveLength(creators);
          const stored = await userNamed('hot@x');
          expect(new Set(results.map(([row]) => row.id))).toEqual(new Set([stored.id]));
          // The last to write stored its name; each caller got the row as its own statement left it.
          expect(results.map(([row]) => row.name)).toContain(stored.name);
          results.forEach(([row], i) => expect(row.name).toBe(`caller ${i}`));
        } finally {
          await other.end();
        }
        expect(
          Number((await orm().query(`SELECT count(*) AS n FROM users WHERE email = 'hot@x'`))[0].n),
        ).toBe(1);
      },
    );
  }

  it('in your transaction locks the row and writes only the changed columns', async () => {
    await orm().getOrCreate(
      'users',
      { email: 'c@x' },
      { defaults: { name: 'same', plan: 'free' } },
    );
    log.clear();
    await orm().transaction((tx) =>
      orm().updateOrCreate(
        'users',
        { email: 'c@x' },
        { defaults: { name: 'same', plan: 'pro' } },
        tx,
      ),
    );
    if (database.updateOrCreateCompound) {
      // One compound statement in your transaction: no handler, no START / COMMIT of its own; a failed UPDATE ends only itself.
      expect(log.verbs()).toEqual([database.beginVerb, 'BEGIN', 'COMMIT']);
      expectCompound(log.statements[1], ['name', 'plan'], false);
      return;
    }
    // A failed UPDATE must not abort your transaction: it runs in a savepoint.
    expect(log.verbs()).toEqual([
      database.beginVerb,
      'SELECT',
      'SAVEPOINT',
      'UPDATE',
      ...(database.dialect === 'mysql' ? ['SELECT'] : []),
      'RELEASE',
      'COMMIT',
    ]);
    expectLockingRead(log.statements[1]);
    expect(log.statements[3]).toMatch(
      new RegExp(
        `^(/\\*.*?\\*/ )?UPDATE ${q('users')} SET ${q('plan')} = (\\$1|\\?) WHERE ${q('id')} = (\\$2|\\?)`,
      ),
    );
  });

  it('in your transaction takes the lock but sends no UPDATE when nothing changes', async () => {
    await orm().getOrCreate('users', { email: 'same@x' }, { defaults: { name: 'same' } });
    log.clear();
    const [row, created] = await orm().transaction((tx) =>
      orm().updateOrCreate('users', { email: 'same@x' }, { defaults: { name: 'same' } }, tx),
    );
    expect([row.name, created]).toEqual(['same', false]);
    // The compound statement's UPDATE matches no row then (mariadb.suite.ts counts the rows InnoDB updated).
    expect(log.verbs()).toEqual([
      database.beginVerb,
      database.updateOrCreateCompound ? 'BEGIN' : 'SELECT',
      'COMMIT',
    ]);
  });

  // Two transactions of one TypeORM DataSource on SQLite share its one connection: the second nests in the first (TypeORM's doing).
  (connections.oneConnection ? it.skip : it)(
    'makes a second updateOrCreate wait for the first transaction and apply on top of it',
    async () => {
      await orm().getOrCreate('users', { email: 'lock@x' });
      const a = holdTransaction(orm(), (tx) =>
        orm().updateOrCreate(
          'users',
          { email: 'lock@x' },
          { defaults: { name: 'A', logins: F('logins').plus(1) }, createDefaults: {} },
          tx,
        ),
      );
      await a.held;
      const b = orm().updateOrCreate(
        'users',
        { email: 'lock@x' },
        { defaults: { logins: F('logins').plus(10) }, createDefaults: {} },
      );
      const [blocked] = (await database.waitUntilBlocked(db.url(), database.updateOrCreateWaitsIn, {
        sent: log,
      })) as { blockedBy: unknown[] }[];
      expect(blocked.blockedBy).toHaveLength(1);
      a.release();
      await a.done;
      const [row, created] = await b;
      expect([created, row.name, row.logins]).toEqual([false, 'A', 11]);
    },
  );

  it('makes a plain UPDATE from another session wait for the lock', async () => {
    await orm().getOrCreate('users', { email: 'plain@x' });
    const a = holdTransaction(orm(), (tx) =>
      orm().updateOrCreate('users', { email: 'plain@x' }, { defaults: { name: 'A' } }, tx),
    );
    await a.held;
    const other = await database.connect(db.url());
    try {
      const update = other.query(
        `UPDATE users SET name = CONCAT(name, ' then B') WHERE email = 'plain@x'`,
      );
      await database.waitUntilBlocked(db.url(), `UPDATE users SET name = CONCAT`);
      a.release();
      await a.done;
      await update;
    } finally {
      await other.end();
    }
    expect((await userNamed('plain@x')).name).toBe('A then B');
  });

  // Without row locks these wait for the write lock instead: sqlite.suite.ts (a second connection holding BEGIN IMMEDIATE).
  (database.rowLockClause ? it : it.skip)(
    'fails at once with LockNotAvailableError under nowait, and both transactions still commit',
    async () => {
      await orm().getOrCreate('users', { email: 'nowait@x' });
      const a = holdTransaction(orm(), (tx) =>
        orm().updateOrCreate('users', { email: 'nowait@x' }, { defaults: { name: 'A' } }, tx),
      );
      await a.held;
      let error: unknown;
      await orm().transaction(async (tx) => {
        await orm().insert('counters', { name: 'b-before' }, tx);
        error = await orm()
          .updateOrCreate(
            'users',
            { email: 'nowait@x' },
            { defaults: { name: 'B' }, nowait: true },
            tx,
          )
          .catch((e: unknown) => e);
        await orm().insert('counters', { name: 'b-after' }, tx);
      });
      a.release();
      await a.done;
      expect(error).toBeInstanceOf(LockNotAvailableError);
      expect(error).toMatchObject({ code: database.lockNotAvailableCode });
      expect((await userNamed('nowait@x')).name).toBe('A');
      expect(Number((await orm().query('SELECT count(*) AS n FROM counters'))[0].n)).toBe(2);
    },
  );

  (database.rowLockClause ? it : it.skip)(
    'gives up after lockTimeoutMs with LockNotAvailableError and restores the lock timeout',
    async () => {
      await orm().getOrCreate('users', { email: 'timeout@x' });
      const a = holdTransaction(orm(), (tx) =>
        orm().updateOrCreate('users', { email: 'timeout@x' }, { defaults: { name: 'A' } }, tx),
      );
      await a.held;
      const [error, setting] = await orm().transaction(async (tx) => {
        const failure = await orm()
          .updateOrCreate(
            'users',
            { email: 'timeout@x' },
            { defaults: { name: 'B' }, lockTimeoutMs: 50 },
            tx,
          )
          .catch((e: unknown) => e);
        await orm().updateOrCreate(
          'users',
          { email: 'warm@x' },
          { defaults: { name: 'free row' }, lockTimeoutMs: 50 },
          tx,
        );
        return [failure, String((await orm().query(database.lockTimeout.sql, tx))[0].value)];
      });
      a.release();
      await a.done;
      expect(error).toBeInstanceOf(LockNotAvailableError);
      expect(setting).toBe(database.lockTimeout.default);
      expect((await userNamed('warm@x')).name).toBe('free row');
    },
  );

  // No row locks (SQLite): what nowait / lockTimeoutMs bound is the wait for the database's write lock at the BEGIN IMMEDIATE
  // of racesafe's own transaction, through the busy timeout, set for that BEGIN only.
  const lockOptions: [string, { nowait?: boolean; lockTimeoutMs?: number }, number][] = [
    ['nowait', { nowait: true }, 0],
    ['lockTimeoutMs', { lockTimeoutMs: 50 }, 50],
  ];
  const beginsAndBusyTimeouts = () =>
    log.statements.map((sql) => sql.trim()).filter((sql) => /^BEGIN|busy_timeout/i.test(sql));
  (database.databaseWriteLock ? it.each(lockOptions) : it.skip.each(lockOptions))(
    'under %s fails with LockNotAvailableError, not retried, while another connection holds the write lock, and restores the busy timeout',
    async (_name, lockOption, waitMs) => {
      await orm().getOrCreate('users', { email: 'busy@x' });
      const holder = await database.connect(db.url());
      let error: unknown;
      try {
        await holder.query('BEGIN IMMEDIATE');
        log.clear();
        error = await orm()
          .updateOrCreate('users', { email: 'busy@x' }, { defaults: { name: 'B' }, ...lockOption })
          .catch((e: unknown) => e);
      } finally {
        await holder.query('ROLLBACK');
        await holder.end();
      }
      expect(error).toBeInstanceOf(LockNotAvailableError);
      expect(error).toMatchObject({ code: database.lockNotAvailableCode });
      // One BEGIN IMMEDIATE, bounded by the busy timeout and the previous one restored after it: no retry.
      expect(beginsAndBusyTimeouts()).toEqual([
        'SELECT timeout AS previous FROM pragma_busy_timeout',
        `PRAGMA busy_timeout = ${waitMs}`,
        expect.stringMatching(/^BEGIN IMMEDIATE/),
        expect.stringMatching(/^PRAGMA busy_timeout = \d+$/),
      ]);
      expect(String((await orm().query(database.lockTimeout.sql))[0].value)).toEqual(
        database.lockTimeout.default,
      );
      expect((await userNamed('busy@x')).name).toBeNull();
      // Once the write lock is free, the same call goes through.
      const [row, created] = await orm().updateOrCreate(
        'users',
        { email: 'busy@x' },
        { defaults: { name: 'B' }, ...lockOption },
      );
      expect([created, row.name]).toEqual([false, 'B']);
    },
  );

  // The wait stops this process where the driver is synchronous (better-sqlite3): the holder could never commit.
  (database.databaseWriteLock && !connections.waitBlocksProcess ? it : it.skip)(
    "waits up to lockTimeoutMs for the write lock and applies on top of the holder's commit",
    async () => {
      await orm().getOrCreate('users', { email: 'wait@x' });
      const holder = await database.connect(db.url());
      try {
        await holder.query('BEGIN IMMEDIATE');
        await holder.query(`UPDATE users SET logins = 5 WHERE email = 'wait@x'`);
        const call = orm().updateOrCreate(
          'users',
          { email: 'wait@x' },
          { defaults: { logins: F('logins').plus(1) }, createDefaults: {}, lockTimeoutMs: 60_000 },
        );
        await database.waitUntilBlocked(db.url(), 'BEGIN IMMEDIATE', { sent: log });
        await holder.query('COMMIT');
        const [row, created] = await call;
        expect([created, row.logins]).toEqual([false, 6]);
      } finally {
        await holder.end();
      }
      expect(log.statements).toContain('PRAGMA busy_timeout = 60000');
    },
  );

  // In your deferred transaction racesafe reads before it writes, and SQLite refuses at once a write lock that a transaction
  // which has read cannot have (it skips the busy handler, which could deadlock): nothing waits, so nothing is bounded.
  (database.databaseWriteLock ? it.each(lockOptions) : it.skip.each(lockOptions))(
    'under %s in your transaction raises RetryableError at once while another connection holds the write lock, and your transaction goes on',
    async (_name, lockOption) => {
      await orm().getOrCreate('users', { email: 'yours@x' });
      const holder = await database.connect(db.url());
      let error: unknown;
      let after: unknown;
      try {
        await holder.query('BEGIN IMMEDIATE');
        log.clear();
        await orm().transaction(async (tx) => {
          error = await orm()
            .updateOrCreate(
              'users',
              { email: 'yours@x' },
              { defaults: { name: 'mine' }, ...lockOption },
              tx,
            )
            .catch((e: unknown) => e);
          after = (await orm().query(`SELECT count(*) AS n FROM users`, tx))[0].n;
        });
      } finally {
        await holder.query('ROLLBACK');
        await holder.end();
      }
      expect(error).toBeInstanceOf(RetryableError);
      expect(error).toMatchObject({ code: expect.stringMatching(/^SQLITE_BUSY/) });
      expect(Number(after)).toBe(2);
      // No busy timeout set, no BEGIN of racesafe's own: the caller's transaction is the one.
      expect(beginsAndBusyTimeouts()).toEqual([
        expect.stringMatching(/^BEGIN (DEFERRED )?TRANSACTION/),
      ]);
    },
  );

  (database.databaseWriteLock ? it : it.skip)(
    'under nowait in your transaction that already holds the write lock writes, with no busy timeout set',
    async () => {
      await orm().getOrCreate('users', { email: 'holder@x' });
      log.clear();
      const [row, created] = await orm().transaction(async (tx) => {
        await orm().insert('counters', { name: 'mine' }, tx); // your first write took the database's write lock
        return orm().updateOrCreate(
          'users',
          { email: 'holder@x' },
          { defaults: { name: 'mine' }, nowait: true },
          tx,
        );
      });
      expect([created, row.name]).toEqual([false, 'mine']);
      expect(beginsAndBusyTimeouts()).toEqual([
        expect.stringMatching(/^BEGIN (DEFERRED )?TRANSACTION/),
      ]);
    },
  );

  it('raises ConflictError from the update path and leaves the caller transaction usable', async () => {
    await orm().getOrCreate('users', { email: 'owner@x' }, { defaults: { username: 'taken' } });
    await orm().getOrCreate('users', { email: 'other@x' });
    let error: unknown;
    await orm().transaction(async (tx) => {
      await orm().insert('counters', { name: 'kept' }, tx);
      error = await orm()
        .updateOrCreate('users', { email: 'other@x' }, { defaults: { username: 'taken' } }, tx)
        .catch((e: unknown) => e);
      await orm().insert('counters', { name: 'after' }, tx);
    });
    expect(error).toMatchObject({ name: 'ConflictError', constraint: 'users_username_key' });
    expect(
      (await orm().query(`SELECT name FROM counters ORDER BY name`)).map((r) => r.name),
    ).toEqual(['after', 'kept']);
  });

  // A waiter that stops the process could never see the creator commit (better-sqlite3): test/race has it across processes.
  (connections.waitBlocksProcess ? it.skip : it)(
    'locks and updates the row a concurrent creator committed first',
    async () => {
      const winner = await database.connect(db.url());
      try {
        await winner.query('BEGIN');
        await winner.query(`INSERT INTO users (email, name, logins) VALUES ('new@x', 'winner', 5)`);
        const loser = orm().updateOrCreate(
          'users',
          { email: 'new@x' },
          {
            defaults: { logins: F('logins').plus(1) },
            createDefaults: { name: 'loser', logins: 1 },
          },
        );
        // MariaDB's locking read waits for the insert; PostgreSQL's INSERT does; SQLite's BEGIN IMMEDIATE waits for the writer.
        const waitsIn = database.databaseWriteLock
          ? database.updateOrCreateWaitsIn
          : database.lockingReadWaitsForUncommittedInsert
            ? database.rowLockClause!
            : `INSERT INTO ${database.quote('users')}`;
        await database.waitUntilBlocked(db.url(), waitsIn, { sent: log });
        await winner.query('COMMIT');
        const [row, created] = await loser;
        expect([created, row.name, row.logins]).toEqual([false, 'winner', 6]);
      } finally {
        await winner.end();
      }
    },
  );

  it(`${database.serializationFailures ? 'raises RetryableError' : 'updates the latest version'} inside a REPEATABLE READ transaction whose snapshot missed a concurrent update`, async () => {
    await orm().getOrCreate('users', { email: 'rr@x' });
    const other = await database.connect(db.url());
    try {
      const attempt = orm().transaction(async (tx) => {
        await orm().query('SELECT count(*) AS n FROM users', tx); // takes the snapshot
        await other.query(`UPDATE users SET name = 'concurrent', logins = 7 WHERE email = 'rr@x'`);
        return orm().updateOrCreate(
          'users',
          { email: 'rr@x' },
          { defaults: { name: 'mine', logins: F('logins').plus(1) }, createDefaults: {} },
          tx,
        );
      }, database.snapshotIsolation);
      if (database.serializationFailures) {
        await expect(attempt).rejects.toMatchObject({
          name: 'RetryableError',
          code: database.serializationFailureCode,
        });
      } else {
        // InnoDB's locking read sees the committed update, so F applies on top of it: nothing lost.
        const [row, created] = await attempt;
        expect([created, row.name, row.logins]).toEqual([false, 'mine', 8]);
      }
    } finally {
      await other.end();
    }
  });

  // MariaDB has no 40001 to retry here; its retried 1213 deadlocks are in mariadb-interleavings.suite.ts (docs/database-behaviours.md#mysql-gap-locks-deadlock-two-inserts, docs/database-behaviours.md#three-inserters-of-one-key-deadlock-on-mysql).
  // SQLite's own transactions take the write lock at BEGIN IMMEDIATE, so their snapshot is never stale: the SQLITE_BUSY
  // they do meet, and retry, is in sqlite.suite.ts.
  // racesafe's own transaction at REPEATABLE READ needs a session default, given at connection startup.
  (database.serializationFailures && database.snapshotIsolation && database.startupOptions
    ? it
    : it.skip)(
    'retries its own transaction after a serialization failure, within the attempts it is given',
    async () => {
      await orm().getOrCreate('users', { email: 'retry@x' });
      const retryLog = new StatementLog();
      const repeatable = await open(withDefaultIsolation(db.url(), 'repeatable read'), {
        onQuery: retryLog.record,
      });
      const holder = await database.connect(db.url());
      try {
        for (const attempts of [3, 1]) {
          // The table's last call created a row: on PostgreSQL the call below is then the one statement (after an update, the plain UPDATE).
          await repeatable.updateOrCreate(
            'users',
            { email: `warm-${attempts}@x` },
            { defaults: { logins: 1 } },
          );
          retryLog.clear();
          await holder.query('BEGIN');
          await holder.query(`UPDATE users SET logins = logins + 100 WHERE email = 'retry@x'`);
          const call = repeatable
            .updateOrCreate(
              'users',
              { email: 'retry@x' },
              {
                defaults: { logins: F('logins').plus(1) },
                createDefaults: {},
                retry: { attempts, baseDelayMs: 1 },
              },
            )
            .catch((e: unknown) => e);
          await database.waitUntilBlocked(db.url(), database.updateOrCreateWaitsIn);
          // The holder's commit changes the row after the waiter's snapshot: 40001 at REPEATABLE READ.
          await holder.query('COMMIT');
          const outcome = await call;
          if (attempts === 3) {
            expect((outcome as [Record<string, unknown>, boolean])[0].logins).toBe(101);
            expect(
              retryLog
                .verbs()
                .filter(
                  (verb) => verb === (database.updateOrCreateInOneStatement ? 'WITH' : 'START'),
                ),
            ).toHaveLength(2);
          } else {
            expect(outcome).toMatchObject({ name: 'RetryableError', code: '40001' });
          }
        }
      } finally {
        await holder.end();
        await repeatable.close();
      }
    },
  );

  it('rejects unknown fields in defaults and createDefaults before any statement', async () => {
    const error = await orm()
      .updateOrCreate(
        'users',
        { email: 'x@x' },
        { defaults: { nmae: 'typo' }, createDefaults: { plna: 'x' } },
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidFieldError);
    expect((error as InvalidFieldError).fields).toEqual(['nmae', 'plna']);
    expect(log.statements).toEqual([]);
  });

  it('rejects F expressions that would have to build a new row, and a bad lockTimeoutMs, before any statement', async () => {
    await expect(
      orm().updateOrCreate(
        'users',
        { email: 'f@x' },
        { defaults: { logins: F('logins').plus(1) } },
      ),
    ).rejects.toBeInstanceOf(InvalidFieldError);
    await expect(
      orm().updateOrCreate('users', { email: 'f@x' }, { createDefaults: { logins: F('logins') } }),
    ).rejects.toBeInstanceOf(InvalidFieldError);
    await expect(
      orm().updateOrCreate('users', { email: 'f@x' }, { lockTimeoutMs: -5 }),
    ).rejects.toBeInstanceOf(InvalidFieldError);
    expect(log.statements).toEqual([]);
  });
}
