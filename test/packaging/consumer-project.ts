// A user's project outside the monorepo, as the packaging tests build it: racesafe's packages as
// `npm pack` makes them, installed with npm beside other dependencies at the lockfile's versions.
// Shared by test/packaging/installed-tarballs.test.ts, test/packaging/eslint-plugin-consumer.test.ts
// and packages/nestjs/test/nestjs12-esm.test.ts. Needs `npm run build` first (npm test does it).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../..');

/** `npm pack --json` output for one package. */
export interface Packed {
  name: string;
  version: string;
  filename: string;
  size: number;
  unpackedSize: number;
  files: { path: string; size: number }[];
}

/** The version package-lock.json installs at node_modules/<name>. */
export function lockedVersion(name: string): string {
  const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
  const version = lock.packages[`node_modules/${name}`]?.version;
  if (!version) throw new Error(`package-lock.json has no node_modules/${name}`);
  return version;
}

/** The environment of a child npm: none of the npm_* variables `npm test` set for the monorepo, but its registry and cache. */
export function npmEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !/^npm_/i.test(key) || /^npm_config_(registry|cache)$/i.test(key),
    ),
  );
  return { ...env, NO_UPDATE_NOTIFIER: '1' };
}

/**
 * Packs `packages/<name>` for each name into `destination`.
 * @returns what npm packed, and each package name's `file:` dependency on its tarball.
 */
export async function packWorkspaces(
  destination: string,
  names: readonly string[],
): Promise<{ packed: Packed[]; tarballs: Record<string, string> }> {
  const workspaces = names.flatMap((name) => ['-w', `packages/${name}`]);
  const { stdout } = await run(
    'npm',
    ['pack', '--json', '--pack-destination', destination, ...workspaces],
    { cwd: root, env: npmEnv() },
  );
  const packed = JSON.parse(stdout) as Packed[];
  const tarballs = Object.fromEntries(
    packed.map((p) => [p.name, `file:${path.join(destination, p.filename)}`]),
  );
  return { packed, tarballs };
}

/**
 * Writes `manifest` as `dir/package.json` and installs it as a user would, from npm's cache
 * first (filled by npm ci), without install scripts and without a lockfile.
 */
export async function installProject(dir: string, manifest: object): Promise<void> {
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  await run(
    'npm',
    [
      'install',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      '--no-package-lock',
      '--loglevel=error',
    ],
    { cwd: dir, env: npmEnv() },
  );
}
