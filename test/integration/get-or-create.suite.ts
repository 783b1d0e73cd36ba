import { InvalidFieldError } from '@racesafe/core';
import { StatementLog } from '../support/statement-log';
import { type SuiteDatabase, postgres } from './databases';
import { useTestOrm } from './lifecycle';
import { type OpenTestOrm, type Row, connectionsOf } from './orm';

/** getOrCreate against one package on one database (docs/database-behaviours.md, from PostgreSQL's aborted transaction to NULL lookups; the guide's semantics). */
export function describeGetOrCreate(open: OpenTestOrm, database: SuiteDatabase = postgres): void {
  const { db, log, orm } = useTestOrm(open, undefined, database);
  const count = async (sql: string) => Number((await orm().query(sql))[0].n);

  it('creates the row once, then finds it', async () => {
    const [created, wasCreated] = await orm().getOrCreate(
      'users',
      { email: 'a@x' },
      { defaults: { name: 'Ann' } },
    );
    const [found, wasCreatedAgain] = await orm().getOrCreate(
      'users',
      { email: 'a@x' },
      { defaults: { name: 'Other' } },
    );
    expect([wasCreated, wasCreatedAgain]).toEqual([true, false]);
    expect(found).toMatchObject({ id: created.id, email: 'a@x', name: 'Ann', plan: 'free' });
    expect(found.createdAt).toBeInstanceOf(Date);
  });

  it('calls a defaults function only when it creates a row', async () => {
    const defaults = jest.fn(() => ({ name: 'Bea' }));
    await orm().getOrCreate('users', { email: 'b@x' }, { defaults });
    await orm().getOrCreate('users', { email: 'b@x' }, { defaults });
    expect(defaults).toHaveBeenCalledTimes(1);
  });

  it('finds in one round trip and creates in as few as the database allows outside a transaction', async () => {
    // The table's last two outcomes made a hit then a miss, whatever the tests before left: the first call reads the catalog.
    for (const email of ['warm@x', 'warm@x', 'warm2@x'])
      await orm().getOrCreate('users', { email });
    const verbs = async (email: string) => {
      log.clear();
      await orm().getOrCreate('users', { email });
      return log.verbs();
    };
    // The path follows the table's last two outcomes (PostgreSQL: after two misses the plain INSERT
    // first, after two hits a SELECT first, after one of each the WITH that answers both).
    expect(await verbs('new@x')).toEqual(database.statements.getOrCreateMissAfterMixed);
    expect(await verbs('newer@x')).toEqual(database.statements.getOrCreateMiss);
    if (database.dialect === 'postgres') {
      // Sequelize lists the model's defaults too (plan, logins, visits).
      expect(log.statements[0]).toMatch(
        /^INSERT INTO "users" \((.*, )?"email"\) VALUES \((\$\d, )*\$\d\) ON CONFLICT \("email"\) DO NOTHING RETURNING \*$/,
      );
    }
    expect(await verbs('newer@x')).toEqual(database.statements.getOrCreateHitAfterMiss);
    expect(await verbs('newer@x')).toEqual(database.statements.getOrCreateHitAfterMixed);
    if (database.dialect === 'postgres')
      expect(log.statements[0]).toMatch(
        /^WITH found AS \(SELECT .* ON CONFLICT \("email"\) DO NOTHING RETURNING \*\)/,
      );
    expect(await verbs('newer@x')).toEqual(database.statements.getOrCreateHit);
    expect(await verbs('newest@x')).toEqual(database.statements.getOrCreateMissAfterHit);
    expect(await count(`SELECT count(*) AS n FROM users`)).toBe(5);
    // Never INSERT IGNORE or ON DUPLICATE KEY UPDATE: they would swallow another key's conflict (docs/database-behaviours.md#why-not-insert-ignore-or-on-duplicate-key-update).
    expect(log.statements.join('\n')).not.toMatch(/IGNORE|ON DUPLICATE KEY/i);
  });

  if (database.dialect === 'postgres') {
    it('draws no sequence value on a hit once a hit broke any streak of misses, and one per row created', async () => {
      const lastId = async () =>
        Number((await orm().query(`SELECT last_value AS n FROM users_id_seq`))[0].n);
      await orm().getOrCreate('users', { email: 'seq@x' });
      // After two misses (whatever ran before) this hit may draw one: see the next test.
      await orm().getOrCreate('users', { email: 'seq@x' });
      const before = await lastId();
      for (let i = 0; i < 5; i++) await orm().getOrCreate('users', { email: 'seq@x' });
      expect(await lastId()).toBe(before);
      await orm().getOrCreate('users', { email: 'seq2@x' });
      expect(await lastId()).toBe(before + 1);
    });

    it('after two misses sends the INSERT first: a hit that breaks the streak draws one sequence value, later hits none', async () => {
      const lastId = async () =>
        Number((await orm().query(`SELECT last_value AS n FROM users_id_seq`))[0].n);
      const verbs = async (email: string) => {
        log.clear();
        const result = await orm().getOrCreate('users', { email }, { defaults: { name: 'N' } });
        return { result, verbs: log.verbs(), statement: log.statements[0] };
      };
      await orm().getOrCreate('users', { email: 'streak-1@x' });
      const first = await verbs('streak-2@x'); // two misses, whatever ran before
      const before = await lastId();
      // The hit after two misses: INSERT ... VALUES ... ON CONFLICT DO NOTHING (nothing inserted), then its row.
      const byInsert = await verbs('streak-2@x');
      expect(byInsert.verbs).toEqual(['INSERT', 'SELECT']);
      expect(byInsert.statement).toMatch(
        /^INSERT INTO "users" .* VALUES .* DO NOTHING RETURNING \*$/,
      );
      expect(await lastId()).toBeLessThanOrEqual(before + 1);
      const drawn = await lastId();
      // The streak is broken: the WITH, then (two hits) the SELECT; neither draws a value.
      const byWith = await verbs('streak-2@x');
      const bySelect = await verbs('streak-2@x');
      expect([byWith.verbs, bySelect.verbs]).toEqual([['WITH'], ['SELECT']]);
      for (let i = 0; i < 3; i++) await verbs('streak-2@x');
      expect(await lastId()).toBe(drawn);
      // The same row and flag whichever statement answered, and the one the INSERT created.
      expect(byInsert.result).toEqual([first.result[0], false]);
      expect(byWith.result).toEqual(byInsert.result);
      expect(bySelect.result).toEqual(byInsert.result);
      expect(first.result[1]).toBe(true);
      expect(await count(`SELECT count(*) AS n FROM users`)).toBe(2);
    });

    it('after two misses, a hit whose new row the INSERT would refuse (plan: null, NOT NULL) still returns its row', async () => {
      // PostgreSQL checks NOT NULL before ON CONFLICT skips the row: the INSERT fails on a hit that
      // the SELECT first answers. racesafe then takes the SELECT first.
      await orm().getOrCreate('users', { email: 'refused-1@x' });
      const [made] = await orm().getOrCreate('users', { email: 'refused-2@x' }); // two misses
      log.clear();
      const [row, created] = await orm().getOrCreate(
        'users',
        { email: 'refused-2@x' },
        { defaults: { plan: null } },
      );
      expect([row.id, row.plan, created]).toEqual([made.id, 'free', false]);
      expect(log.verbs()).toContain('SELECT');
      // A miss with the same defaults still fails, naming the column.
      await expect(
        orm().getOrCreate('users', { email: 'refused-3@x' }, { defaults: { plan: null } }),
      ).rejects.toThrow(/plan/);
    });

    it('creates the same row by the INSERT first as by the WITH and the SELECT first', async () => {
      // Every column but the generated id, a Date as its type: what each strategy stored and returned.
      const strip = ([row, created]: [Row, boolean]) => ({
        created,
        rest: Object.fromEntries(
          Object.entries(row)
            .filter(([property]) => property !== 'id' && property !== 'email')
            .map(([property, value]) => [property, value instanceof Date ? 'Date' : value]),
        ),
        email: row.email,
      });
      await orm().getOrCreate('users', { email: 'h@x' });
      await orm().getOrCreate('users', { email: 'h@x' }); // one miss, one hit: the WITH next
      const byWith = await orm().getOrCreate(
        'users',
        { email: 'w@x' },
        { defaults: { name: 'Same', plan: 'pro' } },
      );
      await orm().getOrCreate('users', { email: 'm@x' }); // two misses: the INSERT next
      const byInsert = await orm().getOrCreate(
        'users',
        { email: 'i@x' },
        { defaults: { name: 'Same', plan: 'pro' } },
      );
      for (const email of ['w@x', 'w@x', 'w@x']) await orm().getOrCreate('users', { email }); // hits: the SELECT next
      const bySelect = await orm().getOrCreate(
        'users',
        { email: 's@x' },
        { defaults: { name: 'Same', plan: 'pro' } },
      );
      expect(strip(byInsert)).toEqual({ ...strip(byWith), email: 'i@x' });
      expect(strip(bySelect)).toEqual({ ...strip(byWith), email: 's@x' });
      expect(strip(byInsert).rest).toMatchObject({ name: 'Same', plan: 'pro' });
    });
  }

  it('uses a savepoint inside the caller transaction, and after hits a plain SELECT first', async () => {
    await orm().getOrCreate('users', { email: 'warm@x' });
    const inTransaction = (email: string) =>
      orm().transaction((tx) => orm().getOrCreate('users', { email }, {}, tx));
    await inTransaction('tx-first@x');
    await inTransaction('tx-second@x'); // two misses
    log.clear();
    await inTransaction('tx@x');
    expect(log.verbs()).toEqual(database.statements.getOrCreateMissInTransaction);
    await inTransaction('tx@x');
    await inTransaction('tx@x'); // two hits
    log.clear();
    const [row, created] = await inTransaction('tx@x');
    expect([row.email, created]).toEqual(['tx@x', false]);
    expect(log.verbs()).toEqual(database.statements.getOrCreateHitInTransaction);
  });

  // A loser whose wait stops the process could never see the winner commit (better-sqlite3): test/race has it across processes.
  (connectionsOf(open, database.dialect).waitBlocksProcess ? it.skip : it)(
    "returns the winner row to a loser inside a transaction, and the caller's earlier writes commit",
    async () => {
      const winner = await database.connect(db.url());
      try {
        await winner.query('BEGIN');
        await winner.query(`INSERT INTO users (email, name) VALUES ('race@x', 'winner')`);
        const [{ id }] = await winner.query<{ id: number }>(
          `SELECT id FROM users WHERE email = 'race@x'`,
        );
        const loser = orm().transaction(async (tx) => {
          await orm().insert('counters', { name: 'written-before' }, tx);
          return orm().getOrCreate(
            'users',
            { email: 'race@x' },
            { defaults: { name: 'loser' } },
            tx,
          );
        });
        // The loser's INSERT waits on the winner's uncommitted unique-index entry (docs/database-behaviours.md#a-second-insert-waits-on-the-unique-index); with one
        // writer at a time (SQLite) its first write waits, then its transaction sees the winner's row.
        await database.waitUntilBlocked(
          db.url(),
          `INSERT INTO ${database.quote(database.databaseWriteLock ? 'counters' : 'users')}`,
          { sent: log },
        );
        await winner.query('COMMIT');
        const [row, created] = await loser;
        expect(created).toBe(false);
        expect(row).toMatchObject({ id, name: 'winner' });
      } finally {
        await winner.end();
      }
      expect(await count(`SELECT count(*) AS n FROM users`)).toBe(1);
      expect(await count(`SELECT count(*) AS n FROM counters WHERE name = 'written-before'`)).toBe(
        1,
      );
    },
  );

  it('raises ConflictError naming another constraint and leaves the caller transaction usable', async () => {
    await orm().getOrCreate('users', { email: 'owner@x' }, { defaults: { username: 'taken' } });
    let error: unknown;
    await orm().transaction(async (tx) => {
      await orm().insert('counters', { name: 'kept' }, tx);
      error = await orm()
        .getOrCreate('users', { email: 'thief@x' }, { defaults: { username: 'taken' } }, tx)
        .catch((e: unknown) => e);
      await orm().insert('counters', { name: 'after' }, tx);
    });
    expect(error).toMatchObject({
      name: 'ConflictError',
      constraint: 'users_username_key',
      code: database.uniqueViolationCode,
      fields: ['username'],
    });
    expect((error as Error).cause).toBeDefined();
    // The database's own words, never the ORM's generic wrapper text (Sequelize: "Validation error").
    expect((error as Error).message).toMatch(
      /: username is taken, so unique constraint users_username_key on \(username\) rejected the row \(database: /,
    );
    expect((error as Error).message).not.toMatch(/Validation error/);
    expect(
      (await orm().query(`SELECT name FROM counters ORDER BY name`)).map((r: Row) => r.name),
    ).toEqual(['after', 'kept']);
    expect(await count(`SELECT count(*) AS n FROM users WHERE email = 'thief@x'`)).toBe(0);
  });

  it('raises ConflictError outside a transaction too', async () => {
    await orm().getOrCreate('users', { email: 'owner@x' }, { defaults: { username: 'taken' } });
    await expect(
      orm().getOrCreate('users', { email: 'thief@x' }, { defaults: { username: 'taken' } }),
    ).rejects.toMatchObject({
      name: 'ConflictError',
      constraint: 'users_username_key',
      fields: ['username'],
    });
  });

  it('names the fields of a conflict that atomicUpdate meets', async () => {
    await orm().getOrCreate('users', { email: 'one@x' }, { defaults: { username: 'one' } });
    await orm().getOrCreate('users', { email: 'two@x' }, { defaults: { username: 'two' } });
    const error = await orm()
      .atomicUpdate('users', { email: 'two@x' }, { username: 'one' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'ConflictError',
      constraint: 'users_username_key',
      fields: ['username'],
    });
    expect(await count(`SELECT count(*) AS n FROM users WHERE username = 'one'`)).toBe(1);
  });

  it("refuses a lookup without a unique key with the fix in the ORM's own terms, and uses a key created while the process runs", async () => {
    const error = await orm()
      .getOrCreate('naive_users', { username: 'later' }, { defaults: { email: 'later@x' } })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'UniqueLookupRequiredError', fields: ['username'] });
    const fix =
      orm().name === 'typeorm'
        ? "@Unique(['username'])"
        : "indexes: [{ unique: true, fields: ['username'] }]";
    expect((error as Error).message).toContain(fix);
    // The catalog read above is cached; a migration adds the key while the process runs (kept: the
    // table's other lookups, by email, stay without a key).
    await orm().query('CREATE UNIQUE INDEX naive_users_username_later ON naive_users (username)');
    const [row, created] = await orm().getOrCreate(
      'naive_users',
      { username: 'later' },
      { defaults: { email: 'later@x' } },
    );
    expect([row.email, created]).toEqual(['later@x', true]);
    expect((await orm().getOrCreate('naive_users', { username: 'later' }))[1]).toBe(false);
    expect(await count(`SELECT count(*) AS n FROM naive_users`)).toBe(1);
  });

  it('requires a unique constraint on exactly the lookup columns', async () => {
    await expect(orm().getOrCreate('users', { name: 'no unique on name' })).rejects.toMatchObject({
      name: 'UniqueLookupRequiredError',
    });
    await expect(
      orm().getOrCreate('users', { email: 'e@x', name: 'superset' }),
    ).rejects.toMatchObject({ name: 'UniqueLookupRequiredError' });
    await expect(orm().getOrCreate('naive_users', { email: 'n@x' })).rejects.toMatchObject({
      name: 'UniqueLookupRequiredError',
      fields: ['email'],
    });
    expect(
      await count('SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM naive_users) AS n'),
    ).toBe(0);
  });

  if (database.advisoryLocks) {
    it('serialises on an advisory lock when opted out of the unique constraint, and reports duplicates', async () => {
      const [first, created] = await orm().getOrCreate(
        'naive_users',
        { email: 'adv@x' },
        { advisoryLock: true },
      );
      const [again, createdAgain] = await orm().getOrCreate(
        'naive_users',
        { email: 'adv@x' },
        { advisoryLock: true },
      );
      expect([created, createdAgain, again.id]).toEqual([true, false, first.id]);
      await orm().query(`INSERT INTO naive_users (email) VALUES ('dup@x'), ('dup@x')`);
      await expect(
        orm().getOrCreate('naive_users', { email: 'dup@x' }, { advisoryLock: true }),
      ).rejects.toMatchObject({ name: 'MultipleRowsError' });
    });
  } else {
    it('refuses advisoryLock where the database has no transaction-scoped advisory lock, before writing', async () => {
      const error = await orm()
        .getOrCreate('naive_users', { email: 'adv@x' }, { advisoryLock: true })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'UniqueLookupRequiredError', fields: ['email'] });
      expect((error as Error).message).toMatch(/no transaction-scoped advisory lock/);
      expect(await count('SELECT count(*) AS n FROM naive_users')).toBe(0);
    });
  }

  it('rejects unknown properties, all at once, before sending any statement', async () => {
    // A fresh instance: not even the catalog query may go out.
    const fresh = new StatementLog();
    const other = await open(db.url(), { onQuery: fresh.record });
    fresh.clear(); // connecting may ask for the server version
    try {
      const error = await other
        .getOrCreate(
          'users',
          { email: 'x@x', created_at: new Date() },
          { defaults: { nmae: 'typo', plna: 'x' } },
        )
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidFieldError);
      expect((error as InvalidFieldError).fields).toEqual(['created_at', 'nmae', 'plna']);
      expect((error as Error).message).toMatch(/"created_at".*"nmae".*"plna"/);
      expect(fresh.statements).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it.each([
    ['undefined', () => ({ email: undefined })],
    ['an operator', () => ({ email: orm().guard.gt('a') })],
    ['empty', () => ({})],
  ])('rejects a lookup that is %s before any statement', async (_label, lookup) => {
    await expect(orm().getOrCreate('users', lookup())).rejects.toBeInstanceOf(InvalidFieldError);
    expect(log.statements).toEqual([]);
  });

  it('looks up NULL only where the unique key treats NULLs as equal', async () => {
    if (database.nullsNotDistinct) {
      const [first] = await orm().getOrCreate('memberships', { org: 'acme', member: null });
      const [second, created] = await orm().getOrCreate('memberships', {
        org: 'acme',
        member: null,
      });
      expect([second.id, created]).toEqual([first.id, false]);
    } else {
      // Any number of (org, NULL) rows may exist: NULL cannot be a lookup on this key.
      await expect(
        orm().getOrCreate('memberships', { org: 'acme', member: null }),
      ).rejects.toBeInstanceOf(InvalidFieldError);
    }
    await expect(orm().getOrCreate('users', { username: null })).rejects.toBeInstanceOf(
      InvalidFieldError,
    );
    expect(
      await count('SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM memberships) AS n'),
    ).toBe(database.nullsNotDistinct ? 1 : 0);
  });

  it(`${database.repeatableReadLoser === 'winner' ? 'returns the winner' : 'raises RetryableError'} when it loses the race inside a REPEATABLE READ snapshot`, async () => {
    await orm().getOrCreate('users', { email: 'warm@x' });
    const other = await database.connect(db.url());
    try {
      const attempt = orm().transaction(async (tx) => {
        await orm().query('SELECT count(*) AS n FROM users', tx); // takes the snapshot
        await other.query(`INSERT INTO users (email) VALUES ('rr@x')`);
        const result = await orm().getOrCreate('users', { email: 'rr@x' }, {}, tx);
        // The snapshot itself still cannot see the winner; only the locking read did (docs/database-behaviours.md#a-locking-read-sees-past-the-snapshot-on-mysql).
        return [
          result,
          Number(
            (await orm().query(`SELECT count(*) AS n FROM users WHERE email = 'rr@x'`, tx))[0].n,
          ),
        ] as const;
      }, database.snapshotIsolation);
      if (database.repeatableReadLoser === 'retryable') {
        await expect(attempt).rejects.toMatchObject({ name: 'RetryableError' });
      } else {
        const [[row, created], seenBySnapshot] = await attempt;
        expect([row.email, created, seenBySnapshot]).toEqual(['rr@x', false, 0]);
      }
    } finally {
      await other.end();
    }
  });

  it('works with a pool of one connection, nested in a transaction too', async () => {
    const single = await open(db.url(), { poolSize: 1 });
    try {
      await single.getOrCreate('users', { email: 'p1@x' });
      const [row, created] = await single.transaction(async (tx) => {
        await single.getOrCreate('users', { email: 'p2@x' }, {}, tx);
        return single.getOrCreate('users', { email: 'p2@x' }, {}, tx);
      });
      expect([row.email, created]).toEqual(['p2@x', false]);
    } finally {
      await single.close();
    }
  });
}
