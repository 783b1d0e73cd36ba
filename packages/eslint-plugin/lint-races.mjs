// `npm run lint:races -- <paths> [eslint options]`: ESLint with lint-races.config.mjs on paths
// anywhere, a codebase outside this checkout too. ESLint lints only files under its working
// directory when given a config file, so it runs from the directory the paths share; relative
// paths are taken from where npm was started (INIT_CWD). Other arguments (`--format json`) pass through.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const from = process.env.INIT_CWD ?? process.cwd();
const args = process.argv.slice(2);
const isPath = (arg) => !arg.startsWith('-') && fs.existsSync(path.resolve(from, arg));
const targets = args.filter(isPath).map((arg) => path.resolve(from, arg));
if (targets.length === 0) {
  console.error('usage: npm run lint:races -- <file or directory>... [eslint options]');
  process.exit(2);
}

/** The deepest directory holding every target. */
function sharedDirectory(paths) {
  const dirs = paths.map((p) => (fs.statSync(p).isDirectory() ? p : path.dirname(p)));
  let shared = dirs[0];
  while (!dirs.every((d) => d === shared || d.startsWith(shared + path.sep)))
    shared = path.dirname(shared);
  return shared;
}

const eslint = path.join(
  path.dirname(createRequire(import.meta.url).resolve('eslint/package.json')),
  'bin/eslint.js',
);
const config = path.join(here, 'lint-races.config.mjs');
const passed = args.map((arg) => (isPath(arg) ? path.resolve(from, arg) : arg));
const result = spawnSync(process.execPath, [eslint, '--config', config, ...passed], {
  cwd: sharedDirectory(targets),
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
