import type { ESLint, Linter, Rule } from 'eslint';
import { noFindThenCreate } from './rules/no-find-then-create';
import { noReadModifyWrite } from './rules/no-read-modify-write';
import { preferGetOrCreate } from './rules/prefer-get-or-create';

// eslint's Rule.RuleModule and typescript-eslint's RuleModule describe the same objects with different types.
const rules = {
  'no-find-then-create': noFindThenCreate as unknown as Rule.RuleModule,
  'no-read-modify-write': noReadModifyWrite as unknown as Rule.RuleModule,
  'prefer-get-or-create': preferGetOrCreate as unknown as Rule.RuleModule,
};

/** The racesafe ESLint plugin: its rules, and the `recommended` flat config that turns them all on. */
interface RaceSafePlugin extends ESLint.Plugin {
  /** The three rules, by name without the `racesafe/` prefix. */
  rules: typeof rules;
  /** Flat configs: `recommended` turns every rule on as an error, under the `racesafe` prefix. */
  configs: { recommended: Linter.Config };
}

/**
 * The racesafe ESLint plugin (ESLint 9 and 10, flat config). `configs.recommended` registers the
 * plugin as `racesafe` and turns on `racesafe/no-find-then-create`, `racesafe/no-read-modify-write`
 * and `racesafe/prefer-get-or-create`. Each finding offers the racesafe call that fixes it as a
 * suggestion (editor quick fix); nothing is rewritten by `--fix`.
 *
 * @example
 * ```js
 * // eslint.config.mjs
 * import tseslint from 'typescript-eslint';
 * import racesafe from '@racesafe/eslint-plugin';
 * export default [
 *   { files: ['**\/*.ts'], languageOptions: { parser: tseslint.parser, parserOptions: { projectService: true } } },
 *   racesafe.configs.recommended,
 * ];
 * ```
 */
const plugin: RaceSafePlugin = {
  // The version lerna writes into package.json, read where the package is installed (a JSON
  // import would copy the version into dist at build time).
  meta: {
    name: '@racesafe/eslint-plugin',
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    version: (require('../package.json') as { version: string }).version,
  },
  rules,
  configs: { recommended: {} },
};
plugin.configs.recommended = {
  name: 'racesafe/recommended',
  plugins: { racesafe: plugin },
  rules: {
    'racesafe/no-find-then-create': 'error',
    'racesafe/no-read-modify-write': 'error',
    'racesafe/prefer-get-or-create': 'error',
  },
};

export = plugin;
