// The plugin on this repository's own files, through ESLint's API as a user's config loads it
// (`configs.recommended`), with type information and without: the examples and the packages'
// sources lint clean, and the race harness's deliberately naive workers are found, each one.
import fs from 'node:fs';
import path from 'node:path';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import racesafe from '../src';

const root = path.resolve(__dirname, '../../..');

/**
 * ESLint with the recommended config, typed (one program from the repository's tsconfig.json, which
 * holds every file linted here; the project service would build one per package tsconfig, twice the CPU) or not.
 */
function eslint(typed: boolean): ESLint {
  const parserOptions = typed ? { project: './tsconfig.json', tsconfigRootDir: root } : {};
  return new ESLint({
    cwd: root,
    overrideConfigFile: true,
    overrideConfig: [
      {
        files: ['**/*.ts'],
        languageOptions: { parser: tseslint.parser, parserOptions },
        plugins: { '@typescript-eslint': tseslint.plugin },
      },
      racesafe.configs.recommended,
    ],
  });
}

/** The .ts files under `dirs` (ESLint's own glob expansion needs ES module support jest lacks). */
function tsFiles(...dirs: string[]): string[] {
  return dirs.flatMap((dir) =>
    fs
      .readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts'))
      .map((file) => path.join(dir, file)),
  );
}

/** `file:line rule` for every finding. */
async function findings(typed: boolean, patterns: string[]): Promise<string[]> {
  const results = await eslint(typed).lintFiles(patterns);
  // Directives for the project's other lint rules are unused here (only racesafe's run); racesafe's own must be used.
  const otherRules =
    /^Unused eslint-disable directive \(no problems were reported from '(?!racesafe\/)/;
  return results.flatMap((result) =>
    result.messages
      .filter((m) => !otherRules.test(m.message))
      .map((m) => `${path.relative(root, result.filePath)}:${m.line} ${m.ruleId ?? m.message}`),
  );
}

describe.each([
  ['with type information', true],
  ['without type information', false],
])('%s', (_label, typed) => {
  it('finds nothing in examples/ and packages/*/src (the deliberate lost update of the page-views example is disabled by name)', async () => {
    expect(
      await findings(
        typed,
        tsFiles(
          'examples',
          ...fs.readdirSync(path.join(root, 'packages')).map((name) => `packages/${name}/src`),
        ),
      ),
    ).toEqual([]);
  });

  it("finds each naive approach of the race harness's TypeORM worker, and only those", async () => {
    expect(await findings(typed, ['packages/typeorm/test/race-worker.ts'])).toEqual([
      'packages/typeorm/test/race-worker.ts:71 racesafe/no-find-then-create', // naive getOrCreate: findOneBy, save
      'packages/typeorm/test/race-worker.ts:135 racesafe/no-find-then-create', // naive getOrCreate with a hashing hook
      'packages/typeorm/test/race-worker.ts:178 racesafe/no-find-then-create', // naive updateOrCreate: the create path
      'packages/typeorm/test/race-worker.ts:182 racesafe/no-read-modify-write', // naive updateOrCreate: logins += 1
      'packages/typeorm/test/race-worker.ts:196 racesafe/no-read-modify-write', // naive increment
      'packages/typeorm/test/race-worker.ts:211 racesafe/no-read-modify-write', // naive guarded decrement
    ]);
  });

  it("finds each naive approach of the race harness's Sequelize worker, and only those", async () => {
    expect(await findings(typed, ['packages/sequelize/test/race-worker.ts'])).toEqual([
      'packages/sequelize/test/race-worker.ts:60 racesafe/prefer-get-or-create', // naive getOrCreate: findOrCreate
      'packages/sequelize/test/race-worker.ts:129 racesafe/prefer-get-or-create', // findOrCreate with a hashing hook
      'packages/sequelize/test/race-worker.ts:167 racesafe/no-find-then-create', // naive updateOrCreate: the create path
      'packages/sequelize/test/race-worker.ts:170 racesafe/no-read-modify-write', // naive updateOrCreate: logins + 1
      'packages/sequelize/test/race-worker.ts:182 racesafe/no-read-modify-write', // naive increment
      'packages/sequelize/test/race-worker.ts:195 racesafe/no-read-modify-write', // naive guarded decrement
    ]);
  });
});

it('recommended turns on the three rules as errors under the racesafe prefix', () => {
  expect(racesafe.configs.recommended.rules).toEqual({
    'racesafe/no-find-then-create': 'error',
    'racesafe/no-read-modify-write': 'error',
    'racesafe/prefer-get-or-create': 'error',
  });
  expect(
    Object.values(racesafe.rules).every(
      (rule) => rule.meta?.hasSuggestions === true && rule.meta.fixable === undefined,
    ),
  ).toBe(true);
});
