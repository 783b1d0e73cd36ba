// The API reference (docs/api/, `npm run docs`, TypeDoc with typedoc.json) covers every export
// of @racesafe/typeorm and @racesafe/sequelize, re-exports from @racesafe/core included, builds
// without a warning, and is what the sources say today.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');
const typedoc = path.join(root, 'node_modules/typedoc/bin/typedoc');

/** Runs TypeDoc with `options` (the repository's typedoc.json) and `args`; output without colours. */
function runTypedoc(
  cwd: string,
  args: string[],
  options = path.join(root, 'typedoc.json'),
): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, [typedoc, '--options', options, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
  });
  return {
    status: result.status,
    output: `${result.stdout}${result.stderr}`.replace(
      new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'),
      '',
    ),
  };
}

/** Every file under `dir`, relative, with its content. */
function tree(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (sub: string) => {
    for (const entry of fs.readdirSync(path.join(dir, sub), { withFileTypes: true })) {
      const rel = path.join(sub, entry.name);
      if (entry.isDirectory()) walk(rel);
      else files.set(rel, fs.readFileSync(path.join(dir, rel), 'utf8'));
    }
  };
  walk('');
  return files;
}

describe('docs/api', () => {
  let out: string;
  let run: { status: number | null; output: string };
  beforeAll(() => {
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'racesafe-api-'));
    run = runTypedoc(root, ['--out', out]);
  });
  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  it('builds without a warning: every export is documented, every link resolves', () => {
    // typedoc.json turns warnings into errors, so an undocumented export fails the build.
    expect(run.output.split('\n').filter((line) => /warning|error/i.test(line))).toEqual([]);
    expect(run.status).toBe(0);
  });

  it('is up to date with the sources (run `npm run docs` and commit docs/api/)', () => {
    const built = tree(out);
    const committed = tree(path.join(root, 'docs/api'));
    expect([...committed.keys()].sort()).toEqual([...built.keys()].sort());
    const stale = [...built]
      .filter(([file, text]) => committed.get(file) !== text)
      .map(([file]) => file);
    expect(stale).toEqual([]);
  });

  it('documents every runtime export of both packages, one page each or a re-export of the other', () => {
    for (const name of ['typeorm', 'sequelize']) {
      const page = fs.readFileSync(path.join(out, '@racesafe', name, 'README.md'), 'utf8');
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the package source as jest loads it, synchronously
      const exported = Object.keys(require(path.join(root, 'packages', name, 'src')));
      expect(exported.filter((symbol) => !new RegExp(`\\[${symbol}\\]\\(`).test(page))).toEqual([]);
    }
  });

  it('is linked from the README', () => {
    expect(fs.readFileSync(path.join(root, 'README.md'), 'utf8')).toContain(
      '](docs/api/README.md)',
    );
  });
});

describe('typedoc.json', () => {
  // Guards the configuration itself: an export without TSDoc, anywhere in the @racesafe
  // packages (core's re-exports are checked only because packagesRequiringDocumentation names it).
  it('fails the build when an export of a @racesafe package lacks documentation', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'racesafe-typedoc-'));
    try {
      fs.writeFileSync(
        path.join(dir, 'package.json'),
        JSON.stringify({ name: '@racesafe/core', version: '0.0.0' }),
      );
      fs.writeFileSync(
        path.join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: { strict: true, types: [], noEmit: true },
          files: ['index.ts'],
        }),
      );
      fs.writeFileSync(
        path.join(dir, 'index.ts'),
        '/** Documented. */\nexport function documented(): number {\n  return 1;\n}\nexport function forgotten(): number {\n  return 2;\n}\n',
      );
      // Options of a file that extends typedoc.json (TypeDoc reads tsconfig paths given on the
      // command line against the repository's options file, not the fixture).
      const options = {
        extends: [path.join(root, 'typedoc.json')],
        entryPoints: ['index.ts'],
        tsconfig: 'tsconfig.json',
        out: 'out',
        intentionallyNotDocumented: [],
      };
      fs.writeFileSync(path.join(dir, 'typedoc.json'), JSON.stringify(options));
      const { status, output } = runTypedoc(dir, [], path.join(dir, 'typedoc.json'));
      expect(output).toMatch(/^\[warning\] forgotten .*does not have any documentation/m);
      expect(output).not.toMatch(/^\[warning\] documented /m);
      expect(status).not.toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
