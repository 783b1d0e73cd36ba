// `npm run lint:races -- <path>` (through lint-races.mjs): racesafe's three rules only, on TypeScript
// and JavaScript files. With type information from the tsconfig.json that covers each file
// (typescript-eslint's project service, looking from each file up to the file system's root: the
// path may be a codebase's src/ below its tsconfig.json); RACESAFE_LINT_TYPES=off lints without it
// (syntactic mode: fewer findings, for code whose tsconfig or dependencies are not at hand).
import path from 'node:path';
import tseslint from 'typescript-eslint';
import racesafe from './dist/index.js';

const typed = process.env.RACESAFE_LINT_TYPES !== 'off';

export default [
  { ignores: ['**/node_modules/**', '**/dist/**', '**/*.d.ts'] },
  {
    files: ['**/*.{ts,tsx,mts,cts,js,mjs,cjs}'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: typed
        ? { projectService: true, tsconfigRootDir: path.parse(process.cwd()).root }
        : { ecmaFeatures: { jsx: true } },
    },
    // Directives name rules of the project's own lint setup: they resolve, and only racesafe's run.
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'off' },
  },
  racesafe.configs.recommended,
];
