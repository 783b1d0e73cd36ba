// What a user gets from @racesafe/eslint-plugin as `npm pack` makes it: installed from the tarball
// into a project outside the monorepo beside ESLint, typescript-eslint, TypeScript, TypeORM and
// Sequelize at the lockfile's versions, then `eslint .` with `racesafe.configs.recommended` on the
// plugin README's examples: each racy one reported by its rule, each fixed one clean, with type
// information and without. Once with the lockfile's ESLint (10) and once with ESLint 9, the two
// majors the plugin's peer range takes. Needs `npm run build` first (npm test does it). No database.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { scratchDir } from '../harness/scratch-dir';
import { installProject, lockedVersion, packWorkspaces } from './consumer-project';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../..');

/** The README's marked examples: `<!-- racy: rule -->` or `<!-- fixed -->` before a ```ts block. */
function readmeExamples(): { file: string; rule: string | undefined; code: string }[] {
  const readme = fs.readFileSync(path.join(root, 'packages/eslint-plugin/README.md'), 'utf8');
  return [...readme.matchAll(/<!-- (?:racy: (\S+)|fixed) -->\n```ts\n([\s\S]*?)```/g)].map(
    (match, i) => ({
      file: `src/${match[1] ? 'racy' : 'fixed'}-${i}.ts`,
      rule: match[1],
      code: match[2],
    }),
  );
}

const eslintConfig = (typed: boolean) => `import tseslint from 'typescript-eslint';
import racesafe from '@racesafe/eslint-plugin';
export default [
  { files: ['**/*.ts'], languageOptions: { parser: tseslint.parser, parserOptions: ${typed ? '{ projectService: true, tsconfigRootDir: import.meta.dirname }' : '{}'} } },
  racesafe.configs.recommended,
];
`;

const examples = readmeExamples();

/**
 * The ESLint majors of the plugin's peer range: the lockfile's (10), and ESLint 9 at its last
 * release, pinned here (not in the lockfile: a second eslint there would take the repository's
 * own `eslint` command). npm installs it from its cache, or the registry the first time.
 */
const ESLINT_9 = '9.39.5';
const eslintVersions = [lockedVersion('eslint'), ESLINT_9];

it('the README has racy examples for each rule, and their fixed forms', () => {
  const rules = new Set(examples.map((e) => e.rule).filter(Boolean));
  expect([...rules].sort()).toEqual([
    'racesafe/no-find-then-create',
    'racesafe/no-read-modify-write',
    'racesafe/prefer-get-or-create',
  ]);
  expect(examples.filter((e) => !e.rule).length).toBe(examples.filter((e) => e.rule).length);
});

it('covers ESLint 9 and 10', () => {
  expect(eslintVersions.map((v) => Number(v.split('.')[0])).sort((a, b) => a - b)).toEqual([9, 10]);
});

describe.each(eslintVersions)('ESLint %s', (eslintVersion) => {
  let work: string;

  beforeAll(async () => {
    work = scratchDir('racesafe-eslint-consumer-');
    const { tarballs } = await packWorkspaces(work, ['eslint-plugin']);
    const dependencies = Object.fromEntries(
      ['eslint', 'typescript-eslint', 'typescript', 'typeorm', 'sequelize'].map((name) => [
        name,
        name === 'eslint' ? eslintVersion : lockedVersion(name),
      ]),
    );
    const project = {
      name: 'eslint-consumer',
      private: true,
      type: 'module',
      devDependencies: {
        '@racesafe/eslint-plugin': tarballs['@racesafe/eslint-plugin'],
        ...dependencies,
      },
    };
    const compilerOptions = {
      strict: true,
      noEmit: true,
      target: 'ES2022',
      module: 'commonjs',
      moduleResolution: 'node',
      experimentalDecorators: true,
      skipLibCheck: true,
      types: [],
    };
    fs.writeFileSync(
      path.join(work, 'tsconfig.json'),
      JSON.stringify({ compilerOptions, include: ['src'] }, null, 2),
    );
    fs.mkdirSync(path.join(work, 'src'));
    for (const { file, code } of examples) fs.writeFileSync(path.join(work, file), code);
    await installProject(work, project);
  }, 300_000);

  afterAll(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  /** `eslint .` in the project with the given config; the rules reported per file of src/ (the config file itself is linted too). */
  async function lint(typed: boolean): Promise<Record<string, string[]>> {
    fs.writeFileSync(path.join(work, 'eslint.config.mjs'), eslintConfig(typed));
    const eslint = path.join(work, 'node_modules/eslint/bin/eslint.js');
    const output = await run(process.execPath, [eslint, '.', '--format', 'json'], {
      cwd: work,
    }).then(
      ({ stdout }) => stdout,
      (error: { stdout: string }) => error.stdout, // exit code 1: findings
    );
    const results = JSON.parse(output) as {
      filePath: string;
      messages: { ruleId: string | null; message: string }[];
    }[];
    const inSrc = results.filter((r) => path.relative(work, r.filePath).startsWith('src'));
    return Object.fromEntries(
      inSrc.map((r) => [
        path.relative(work, r.filePath),
        r.messages.map((m) => m.ruleId ?? m.message),
      ]),
    );
  }

  it('is the ESLint version asked for', () => {
    const installed = JSON.parse(
      fs.readFileSync(path.join(work, 'node_modules/eslint/package.json'), 'utf8'),
    ).version as string;
    expect(installed).toBe(eslintVersion);
  });

  it.each([
    ['with type information (projectService)', true],
    ['without type information', false],
  ])(
    'eslint . with racesafe.configs.recommended reports each racy README example by its rule, and nothing in the fixed ones, %s',
    async (_label, typed) => {
      const found = await lint(typed);
      expect(found).toEqual(
        Object.fromEntries(examples.map((e) => [e.file, e.rule ? [e.rule] : []])),
      );
    },
    120_000,
  );

  it('loads with require() and import, one plugin object with the recommended config', async () => {
    const script = `import racesafe from '@racesafe/eslint-plugin'; import { createRequire } from 'node:module';
  const required = createRequire(import.meta.url)('@racesafe/eslint-plugin');
  console.log(JSON.stringify({ same: required === racesafe, rules: Object.keys(racesafe.rules), recommended: racesafe.configs.recommended.rules, version: racesafe.meta.version }));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: work,
    });
    expect(JSON.parse(stdout)).toEqual({
      same: true,
      rules: ['no-find-then-create', 'no-read-modify-write', 'prefer-get-or-create'],
      recommended: {
        'racesafe/no-find-then-create': 'error',
        'racesafe/no-read-modify-write': 'error',
        'racesafe/prefer-get-or-create': 'error',
      },
      version: JSON.parse(
        fs.readFileSync(path.join(root, 'packages/eslint-plugin/package.json'), 'utf8'),
      ).version,
    });
  });
});
