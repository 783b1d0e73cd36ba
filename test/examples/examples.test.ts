// Runs each example's main() against a fresh database and checks what it left behind,
// so that the programs README quotes keep doing what they claim.
import { Client } from 'pg';
import { main as inventory } from '../../examples/inventory-reservation';
import { main as nestjsAccounts } from '../../examples/nestjs-accounts';
import { main as sequelizeTypescript } from '../../examples/sequelize-typescript-users';
import { main as pageViews } from '../../examples/sequelize-page-views';
import { sequelizeInMemory, typeormInMemory } from '../../examples/sqlite-unit-test';
import { main as tagImport } from '../../examples/tag-import';
import { main as signup } from '../../examples/typeorm-signup';
import { useTestDatabase } from '../harness/database';

/** Runs main(url) with console.log captured; returns the printed lines. */
async function runQuietly(main: (url: string) => Promise<void>, url: string): Promise<string[]> {
  const lines: string[] = [];
  const spy = jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    lines.push(args.join(' '));
  });
  try {
    await main(url);
  } finally {
    spy.mockRestore();
  }
  return lines;
}

async function query<Row>(url: string, sql: string): Promise<Row[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as Row[];
  } finally {
    await client.end();
  }
}

describe('examples/typeorm-signup.ts', () => {
  const db = useTestDatabase();

  it('makes one account per email, reports a taken username and retries REPEATABLE READ losers', async () => {
    const lines = await runQuietly(signup, db.url());
    const accounts = await query<{
      email: string;
      username: string | null;
      name: string;
      n: number;
    }>(
      db.url(),
      `SELECT email, min(username) AS username, min(name) AS name, count(*)::int AS n FROM accounts GROUP BY email ORDER BY email`,
    );
    // Twenty racing signups of bob and eight racing REPEATABLE READ transactions for dan: one row each.
    expect(accounts).toEqual([
      { email: 'ann@example.com', username: null, name: 'Ann', n: 1 },
      { email: 'bob@example.com', username: null, name: expect.stringMatching(/^Bob #\d+$/), n: 1 },
      { email: 'cat@example.com', username: 'cat', name: 'Cat', n: 1 },
      { email: 'dan@example.com', username: null, name: expect.stringMatching(/^Dan #\d$/), n: 1 },
    ]);
    expect(lines).toEqual([
      'signup ann@example.com: created=true id=1 name=Ann',
      expect.stringMatching(/^signup ann@example.com again: created=false id=1 name=Ann$/),
      '20 simultaneous signups of bob@example.com: 1 created, 19 found, 1 id, 1 row',
      'welcome, Cat',
      'cat@example.com already has an account: log in instead',
      'username "cat" is taken (accounts_username_key)',
      expect.stringMatching(
        /^8 signups of dan@example.com in REPEATABLE READ transactions: 1 created, 7 found, \d+ transaction\(s\) retried/,
      ),
    ]);
  });
});

describe('examples/sequelize-page-views.ts', () => {
  const db = useTestDatabase();

  it('counts every one of 300 concurrent views, one row per page', async () => {
    const lines = await runQuietly(pageViews, db.url());
    const pages = await query<{ path: string; views: number }>(
      db.url(),
      `SELECT path, views FROM pages WHERE path <> '/naive' ORDER BY path`,
    );
    // 100 views each, plus the one countView() added to /pricing.
    expect(pages).toEqual([
      { path: '/', views: 100 },
      { path: '/docs', views: 100 },
      { path: '/pricing', views: 101 },
    ]);
    expect(lines).toContain('one more view of /pricing: the database now says 101');
    expect(lines.find((line) => line.startsWith('racesafe:'))).toMatch(
      /-> 3 rows, 300 views, 0 lost$/,
    );
    // The naive read-modify-write ran the same 300 increments; it may keep any number of them.
    const [naive] = await query<{ views: number }>(
      db.url(),
      `SELECT views FROM pages WHERE path = '/naive'`,
    );
    expect(naive.views).toBeGreaterThanOrEqual(1);
    expect(naive.views).toBeLessThanOrEqual(300);
  });
});

describe('examples/inventory-reservation.ts', () => {
  const db = useTestDatabase();

  it('never oversells and keeps reservations and stock consistent', async () => {
    const lines = await runQuietly(inventory, db.url());
    const products = await query<{ sku: string; stock: number }>(
      db.url(),
      `SELECT sku, stock FROM products ORDER BY sku`,
    );
    const reservations = await query<{ order_id: string; sku: string; quantity: number }>(
      db.url(),
      `SELECT order_id, sku, quantity FROM reservations ORDER BY sku, order_id`,
    );
    const stock = Object.fromEntries(products.map((p) => [p.sku, p.stock]));
    const reserved = (sku: string) =>
      reservations.filter((r) => r.sku === sku).reduce((sum, r) => sum + r.quantity, 0);

    // order-A reserved 2 then 1 gadget: one row, quantity 3 (the update path's F expression).
    expect(reservations.filter((r) => r.sku === 'gadget')).toEqual([
      { order_id: 'order-A', sku: 'gadget', quantity: 3 },
    ]);
    expect(stock.gadget).toBe(5 - 3);

    // Twelve orders for 1, 2 or 3 widgets each raced for ten: stock never negative, every
    // unit accounted for, each served order got exactly what it asked for.
    const widgetRows = reservations.filter((r) => r.sku === 'widget');
    expect(stock.widget).toBeGreaterThanOrEqual(0);
    expect(stock.widget + reserved('widget')).toBe(10);
    for (const row of widgetRows) {
      const orderNumber = Number(row.order_id.replace('order-', ''));
      expect(row.quantity).toBe(1 + ((orderNumber - 1) % 3));
    }
    // No order was refused while enough was left: stock only falls, so what remains is less
    // than every refused order's quantity (and some were refused: 24 units were asked for).
    const servedOrders = new Set(widgetRows.map((r) => r.order_id));
    const refused = Array.from({ length: 12 }, (_, i) => ({
      id: `order-${i + 1}`,
      quantity: 1 + (i % 3),
    })).filter((o) => !servedOrders.has(o.id));
    expect(refused.length).toBeGreaterThan(0);
    expect(stock.widget).toBeLessThan(Math.min(...refused.map((o) => o.quantity)));
    expect(new Set(widgetRows.map((r) => r.order_id)).size).toBe(widgetRows.length);
    expect(lines[1]).toContain(`${widgetRows.length} reserved ${reserved('widget')} units`);
    expect(lines[1]).toContain(`stock left ${stock.widget} `);
  });
});

describe('examples/sqlite-unit-test.ts', () => {
  // What the example's calls return on a fresh in-memory database, the same for both ORMs.
  const expected = [
    'getOrCreate ann: created=true id=1; again: created=false id=1',
    '10 concurrent getOrCreate of bob: 1 created, 1 row',
    'updateOrCreate ann: games=1; cat: created=true games=1',
    'atomicUpdate ann score+10: 10; spend 25 if score >= 25: 0 rows changed',
  ];

  it('runs all three operations on an in-memory TypeORM better-sqlite3 data source with no other set-up', async () => {
    expect(await typeormInMemory()).toEqual(expected);
  });

  it('runs them on an in-memory Sequelize, its concurrent racesafe-owned transactions taking turns on the one connection', async () => {
    expect(await sequelizeInMemory()).toEqual(expected);
  });
});

describe('examples/tag-import.ts', () => {
  const db = useTestDatabase();

  it('gives four overlapping importers one row per tag, each created once, where the find-then-insert loop duplicates', async () => {
    const lines = await runQuietly(tagImport, db.url());
    expect(lines[0]).toMatch(
      /^one batch with a duplicate: news\(grey\)#(\d+), urgent-news\(red\)#\d+, news\(grey\)#\1; created 2$/,
    );
    const [tags] = await query<{ rows: number; names: number; red: number }>(
      db.url(),
      `SELECT count(*)::int AS rows, count(DISTINCT name)::int AS names, count(*) FILTER (WHERE color = 'red')::int AS red FROM tags`,
    );
    expect(tags.rows).toBe(tags.names);
    expect(tags.red).toBe(
      tags.rows -
        (
          await query<{ n: number }>(
            db.url(),
            `SELECT count(*)::int AS n FROM tags WHERE name NOT LIKE 'urgent%'`,
          )
        )[0].n,
    );
    expect(lines[1]).toBe(
      `4 importers, overlapping batches: ${tags.rows} rows for ${tags.names} names, ${tags.rows} created in all`,
    );
    const [naive] = await query<{ rows: number; names: number }>(
      db.url(),
      `SELECT count(*)::int AS rows, count(DISTINCT name)::int AS names FROM naive_tags`,
    );
    expect(naive.names).toBe(tags.names - 2);
    expect(lines[2]).toBe(
      `find-then-insert loop, same batches: ${naive.rows} rows for ${naive.names} names`,
    );
  });
});

describe('examples/nestjs-accounts.ts', () => {
  const db = useTestDatabase();

  it('counts 20 concurrent sign-ins on one account, and reports a taken username by its property', async () => {
    const lines = await runQuietly(nestjsAccounts, db.url());
    expect(lines).toEqual([
      '20 concurrent sign-ins: 1 account created, logins = 20',
      'carl claims "carl": ok',
      'dora claims "carl": taken',
    ]);
    const rows = await query<{ email: string; logins: number }>(
      db.url(),
      'SELECT email, logins FROM nest_accounts ORDER BY email',
    );
    expect(rows).toEqual([
      { email: 'ann@example.com', logins: 20 },
      { email: 'carl@example.com', logins: 0 },
    ]);
  });
});

describe('examples/sequelize-typescript-users.ts', () => {
  const db = useTestDatabase();

  it('makes one user for 20 concurrent sign-ins and counts every one', async () => {
    const lines = await runQuietly(sequelizeTypescript, db.url());
    expect(lines).toEqual(['20 concurrent sign-ins: 1 user, logins = 20']);
    expect(
      await query<{ email: string; logins: number }>(
        db.url(),
        'SELECT email, logins FROM ts_users',
      ),
    ).toEqual([{ email: 'ann@example.com', logins: 20 }]);
  });
});
