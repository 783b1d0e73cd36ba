// Lint: typescript-eslint's type-checked rules on every TypeScript file of the repository, plus
// no import cycles and the layer rule of packages/core/src. `npm run lint`, part of `npm test`.
import { createRequire } from 'node:module';
import js from '@eslint/js';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

const core = 'packages/core/src';
// The layers of packages/core/src, lowest first: a module imports only its own layer and those
// below it. The vocabulary (errors, F expressions, the gateway port, input checks) and the dialect
// adapters; pure SQL builders; answers cached once per server or table; running statements and
// transactions; the steps operations share; the operations; the public index on top.
const layers = [
  ['errors.ts', 'expressions.ts', 'gateway.ts', 'validate.ts', 'dialects'],
  ['sql'],
  ['server'],
  ['db'],
  ['steps'],
  ['operations'],
].map((paths) => paths.map((p) => `./${core}/${p}`));
const layerZones = layers.slice(0, -1).map((layer, i) => ({
  target: layer,
  from: layers.slice(i + 1).flat(),
  message:
    'a lower layer of packages/core/src never imports a higher one (see eslint.config.mjs `layers`)',
}));
// One file per operation; an operation never imports another (shared steps live in steps/).
const operations = ['get-or-create', 'get-or-create-many', 'update-or-create', 'atomic-update'];
const operationZones = operations.map((operation) => ({
  target: `./${core}/operations/${operation}.ts`,
  from: operations
    .filter((other) => other !== operation)
    .map((other) => `./${core}/operations/${other}.ts`),
  message: 'an operation file never imports another operation file: move what they share to steps/',
}));
// The project's own race rules, built by `npm run lint` before ESLint starts (dist is CommonJS).
const racesafe = createRequire(import.meta.url)('./packages/eslint-plugin/dist/index.js');

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/',
      '**/dist/',
      'docs/api/',
      'bench/results/',
      'test/packaging/consumer/',
      'test/packaging/consumer.ts',
    ],
  },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver': { node: { extensions: ['.ts', '.js'] } },
      'import-x/extensions': ['.ts', '.js'],
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // A translated driver error is typed unknown (it may be the driver's own): rejecting with it is as fine as throwing it.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      // `async` is how this code turns a throw into a rejection and meets a Promise-returning interface.
      '@typescript-eslint/require-await': 'off',
      // `_name` marks a parameter or binding kept for its position; a rest sibling drops the named keys.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': ['error', { zones: [...layerZones, ...operationZones] }],
    },
  },
  {
    // Test and bench code reads untyped data: jest's asymmetric matchers (expect.any, stringMatching)
    // are typed `any`, as are JSON.parse and raw query rows. The promise, cycle and layer rules stay on.
    files: ['test/**/*.ts', 'packages/*/test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
    },
  },
  {
    // The packages' sources and the examples users copy must be free of the races racesafe exists
    // to fix (the race harness's deliberately naive workers are not linted for them).
    files: ['packages/*/src/**/*.ts', 'examples/**/*.ts'],
    ...racesafe.configs.recommended,
  },
  {
    // ESLint rules compare `node.type` with the string literals ESTree defines: TSESTree's enum
    // holds exactly those strings, and TypeScript narrows on them either way.
    files: ['packages/eslint-plugin/src/**/*.ts', 'packages/eslint-plugin/test/**/*.ts'],
    rules: { '@typescript-eslint/no-unsafe-enum-comparison': 'off' },
  },
  {
    // ES module configs run by node (ESLint configs).
    files: ['**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    // CommonJS helpers loaded by node and jest (require hooks, the jest config): no type information.
    files: ['**/*.cjs', '**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        module: 'writable',
        process: 'readonly',
        __dirname: 'readonly',
        __filename: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
      },
    },
  },
);
