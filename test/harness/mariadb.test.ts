import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { describeOnMysql, mysqlServerUrl, useTestDatabase } from './database';
import { createMysqlDatabase } from './mysql-database';
import { formatReport, runRace } from './race';
import { scratchRoot } from './scratch-dir';
import { mysqlSchemaSql, mysqlTables, mysqlTruncateSql } from '../schema/tables';
import type { LifecycleExit, LifecycleReport } from './fixtures/mariadb-lifecycle';
import type { MysqlCounterArgs } from './fixtures/mysql-counter-worker';

// Servers this run started itself (not RACESAFE_MYSQL_URL) can be checked from outside.
const startedHere = !process.env.RACESAFE_MYSQL_URL;

async function query<T = mysql.RowDataPacket>(
  url: string,
  sql: string,
  values?: unknown[],
): Promise<T[]> {
  const connection = await mysql.createConnection({ uri: url, multipleStatements: true });
  try {
    return (await connection.query(sql, values))[0] as T[];
  } finally {
    await connection.end();
  }
}

describeOnMysql("the run's MariaDB", () => {
  it('is MariaDB 10.11 with its default REPEATABLE-READ and strict sql_mode', async () => {
    const rows = await query<{ Variable_name: string; Value: string }>(
      mysqlServerUrl()!,
      "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('version', 'tx_isolation', 'transaction_isolation', 'sql_mode', 'character_set_server')",
    );
    const vars = Object.fromEntries(rows.map((r) => [r.Variable_name, r.Value]));
    if (startedHere) expect(vars.version).toMatch(/^10\.11\.\d+-MariaDB/);
    expect(vars.tx_isolation ?? vars.transaction_isolation).toBe('REPEATABLE-READ'); // MySQL 8: transaction_isolation
    expect(vars.sql_mode.split(',')).toEqual(
      expect.arrayContaining(['STRICT_TRANS_TABLES', 'ERROR_FOR_DIVISION_BY_ZERO']),
    );
    expect(vars.character_set_server).toBe('utf8mb4');
  });

  (startedHere ? it : it.skip)(
    'keeps its files under the scratch dir (a tmpfs when there is one), owned by mysql when we are root',
    async () => {
      const [{ datadir }] = await query<{ datadir: string }>(
        mysqlServerUrl()!,
        'SELECT @@datadir AS datadir',
      );
      expect(path.resolve(datadir)).toMatch(
        new RegExp(`^${scratchRoot}/racesafe-mariadb-[^/]+/data$`),
      );
      const owner = fs.statSync(datadir).uid;
      if (process.getuid?.() === 0)
        expect(owner).toBe(
          Number(/^mysql:[^:]*:(\d+):/m.exec(fs.readFileSync('/etc/passwd', 'utf8'))![1]),
        );
      else expect(owner).toBe(process.getuid?.());
    },
  );
});

describeOnMysql('a per-file MariaDB database with mysqlSchemaSql', () => {
  const db = useTestDatabase(mysqlSchemaSql, { dialect: 'mysql' });
  const uniqueKeys = [
    'users.users_email_key',
    'users.users_username_key',
    'memberships.memberships_org_member_key',
    'counters.counters_name_key',
    'items.items_sku_key',
    'accounts.accounts_email_key',
    'accounts.accounts_username_key',
    'posts.posts_slug_live',
    'notes.notes_slug_key',
    'documents.documents_code_key',
  ];

  it('has every table, InnoDB and utf8mb4, and each unique key under its PostgreSQL name', async () => {
    const tables = await query<{ name: string; engine: string; collation: string }>(
      db.url(),
      'SELECT TABLE_NAME AS name, ENGINE AS engine, TABLE_COLLATION AS collation FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()',
    );
    expect(tables.map((t) => t.name).sort()).toEqual([...mysqlTables].sort());
    expect(new Set(tables.map((t) => `${t.engine} ${t.collation}`))).toEqual(
      new Set(['InnoDB utf8mb4_general_ci']),
    );
    const keys = await query<{ k: string }>(
      db.url(),
      `SELECT DISTINCT CONCAT(TABLE_NAME, '.', INDEX_NAME) AS k
      FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND NON_UNIQUE = 0 AND INDEX_NAME <> 'PRIMARY'`,
    );
    expect(keys.map((r) => r.k).sort()).toEqual([...uniqueKeys].sort());
  });

  it('answers a duplicate with errno 1062, the key named only in the message', async () => {
    await query(db.url(), "INSERT INTO users (email, username) VALUES ('a@x', 'a')");
    const duplicate = (email: string, username: string) =>
      query(db.url(), 'INSERT INTO users (email, username) VALUES (?, ?)', [email, username]);
    await expect(duplicate('a@x', 'b')).rejects.toMatchObject({
      errno: 1062,
      code: 'ER_DUP_ENTRY',
      message: expect.stringMatching(/for key 'users_email_key'/),
    });
    await expect(duplicate('b@x', 'a')).rejects.toMatchObject({
      errno: 1062,
      message: expect.stringMatching(/for key 'users_username_key'/),
    });
    // MariaDB's default collation is case-insensitive and PAD SPACE (docs/database-behaviours.md#mysql-collations-make-different-strings-one-key): the same key.
    await expect(duplicate('A@X ', 'c')).rejects.toMatchObject({ errno: 1062 });
  });

  it('enforces items_stock_check (errno 4025 on MariaDB)', async () => {
    const insert = (sku: string) =>
      query(db.url(), 'INSERT INTO items (sku, stock) VALUES (?, -1)', [sku]);
    await expect(insert('s1')).rejects.toMatchObject({
      errno: 4025,
      message: expect.stringMatching(/items_stock_check/),
    });
    await expect(insert('unchecked-1')).resolves.toBeDefined();
  });

  it('is emptied by mysqlTruncateSql, AUTO_INCREMENT restarted', async () => {
    await query(
      db.url(),
      "INSERT INTO counters (name) VALUES ('c1'), ('c2'); INSERT INTO notes (slug) VALUES ('n')",
    );
    await query(db.url(), mysqlTruncateSql);
    const [{ total }] = await query<{ total: number }>(
      db.url(),
      'SELECT (SELECT COUNT(*) FROM users) + (SELECT COUNT(*) FROM counters) + (SELECT COUNT(*) FROM notes) + (SELECT COUNT(*) FROM items) AS total',
    );
    expect(Number(total)).toBe(0);
    await query(db.url(), "INSERT INTO counters (name) VALUES ('c3')");
    expect(await query(db.url(), 'SELECT id, name FROM counters')).toEqual([{ id: 1, name: 'c3' }]);
  });

  it('drops a database even while a session holds a transaction open in it', async () => {
    const other = await createMysqlDatabase(mysqlServerUrl()!, `rs_drop_${process.pid}`);
    const held = await mysql.createConnection({ uri: other.url });
    held.on('error', () => undefined); // it is killed on purpose
    await held.query('CREATE TABLE t (id INT PRIMARY KEY) ENGINE=InnoDB');
    await held.query('BEGIN');
    await held.query('INSERT INTO t VALUES (1)');
    await other.drop();
    const left = await query(
      mysqlServerUrl()!,
      'SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
      [new URL(other.url).pathname.slice(1)],
    );
    expect(left).toEqual([]);
    held.destroy();
  });
});

describeOnMysql('runRace on MariaDB', () => {
  const db = useTestDatabase(
    'CREATE TABLE counter (id INT PRIMARY KEY, n INT NOT NULL) ENGINE=InnoDB',
    { dialect: 'mysql' },
  );
  const shape = { processes: 4, callersPerProcess: 8, calls: 400 };

  async function race(op: MysqlCounterArgs['op']) {
    await query(db.url(), 'INSERT INTO counter VALUES (1, 0) ON DUPLICATE KEY UPDATE n = 0');
    const args: MysqlCounterArgs = { url: db.url(), op };
    const report = await runRace({
      worker: path.join(__dirname, 'fixtures/mysql-counter-worker.ts'),
      args,
      label: `mariadb ${op}`,
      ...shape,
    });
    const [{ n }] = await query<{ n: number }>(db.url(), 'SELECT n FROM counter WHERE id = 1');
    console.log(`${formatReport(report)} | setup ${report.setupMs.toFixed(0)} ms | counter ${n}`);
    return { report, n };
  }

  it('lands every atomic increment, each writer seeing its own distinct value', async () => {
    const { report, n } = await race('atomic');
    expect(report.errorCount).toBe(0);
    expect(n).toBe(shape.calls);
    const seen = report.calls.map((c) => (c.value as { n: number }).n).sort((a, b) => a - b);
    expect(seen).toEqual([...Array(shape.calls).keys()].map((i) => i + 1));
  });

  it('exposes lost updates of a read-modify-write', async () => {
    const { report, n } = await race('naive');
    expect(report.okCount).toBe(shape.calls);
    expect(n).toBeLessThan(report.okCount);
  });
});

describeOnMysql('a throwaway MariaDB, however its process ends', () => {
  const fixture = path.join(__dirname, 'fixtures/mariadb-lifecycle.ts');
  const refused = (url: string) =>
    mysql.createConnection({ uri: url }).then(
      (c) => c.end().then(() => false),
      () => true,
    );

  async function runChild(end: LifecycleExit | 'SIGTERM' | 'SIGKILL'): Promise<LifecycleReport> {
    const signal = end.startsWith('SIG') ? (end as NodeJS.Signals) : undefined;
    const child = spawn(process.execPath, [
      '--require',
      path.join(__dirname, 'ts-register.cjs'),
      fixture,
      signal ? 'wait' : end,
    ]);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const report = await new Promise<LifecycleReport>((resolve, reject) => {
      child.stdout.on(
        'data',
        (chunk) => (stdout += chunk) && stdout.includes('\n') && resolve(JSON.parse(stdout)),
      );
      void exited.then(() => reject(new Error(`child ended before its server was up:\n${stderr}`)));
    });
    if (signal) child.kill(signal);
    await exited;
    console.log(`MariaDB ${report.version} started in ${report.startMs} ms (${end})`);
    expect(report.version).toMatch(/^10\.11\.\d+-MariaDB/);
    return report;
  }

  // Only a server started here has a process and a directory to look at.
  (startedHere ? it.each : it.skip.each)(['stop', 'exit'] as const)(
    'leaves nothing behind at once after %s',
    async (end) => {
      const report = await runChild(end);
      expect(fs.existsSync(report.dir)).toBe(false);
      expect(await refused(report.url)).toBe(true);
    },
  );

  // No handler runs on these: the watchdog sees its stdin close and cleans up just after.
  (startedHere ? it.each : it.skip.each)(['SIGTERM', 'SIGKILL'] as const)(
    'leaves nothing behind after %s',
    async (end) => {
      const report = await runChild(end);
      const deadline = Date.now() + 5000;
      while ((fs.existsSync(report.dir) || !(await refused(report.url))) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(fs.existsSync(report.dir)).toBe(false);
      expect(await refused(report.url)).toBe(true);
    },
  );
});
