// Releases as lerna.json configures them, rehearsed on a copy of the packages in a throwaway
// git repository: `lerna version` reads conventional commits, bumps the one version all five
// packages share, pins @racesafe/core exactly and writes each package's CHANGELOG.md; then
// `lerna publish from-git` packs and publishes to a registry stub on 127.0.0.1 that records
// what it receives (no registry is written to). Needs `npm run build` first (npm test does it).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { scratchDir } from '../harness/scratch-dir';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../..');
const lerna = path.join(root, 'node_modules/lerna/dist/cli.js');
const PACKAGES = ['core', 'typeorm', 'sequelize', 'eslint-plugin', 'nestjs'];

/** What the registry stub received in one publish request. */
interface Published {
  name: string;
  version: string;
  dependencies: Record<string, string>;
  files: string[];
}

let repo: string;
let stub: http.Server;
const published: Published[] = [];
const otherRequests: string[] = [];

async function git(...args: string[]): Promise<string> {
  return (await run('git', args, { cwd: repo })).stdout.trim();
}

/** Environment for lerna and the npm it runs: only the stub as registry, none of npm test's npm_* variables. */
function env(registry: string): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)),
  );
  return { ...clean, npm_config_registry: registry, NO_UPDATE_NOTIFIER: '1', CI: 'true' };
}

let attachments = 0;

/** The file list of a base64 .tgz attachment. */
async function tarballFiles(base64: string): Promise<string[]> {
  // Numbered before any await: lerna publishes core and the lint plugin at once, and naming the
  // file by `published.length` (pushed only after `tar`) gave both PUTs one file (clean clone 27).
  const file = path.join(repo, '..', `attachment-${attachments++}.tgz`);
  fs.writeFileSync(file, Buffer.from(base64, 'base64'));
  return (await run('tar', ['-tzf', file])).stdout.trim().split('\n').sort();
}

/** Answers every GET with 404 (nothing published yet) and records every PUT (a publish). */
function startRegistryStub(): Promise<string> {
  stub = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on(
      'end',
      () =>
        void answer(request, response, chunks).catch((error: unknown) => {
          stubErrors.push(error);
          response.writeHead(500).end();
        }),
    );
  });
  return new Promise((resolve) =>
    stub.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(stub.address() as AddressInfo).port}/`),
    ),
  );
}

// Errors of the stub's request handler: a test that publishes expects none.
const stubErrors: unknown[] = [];

/** Records a PUT (a publish) with its tarball's files; 404 for anything else. */
async function answer(
  request: http.IncomingMessage,
  response: http.ServerResponse,
  chunks: Buffer[],
): Promise<void> {
  if (request.method !== 'PUT') {
    otherRequests.push(`${request.method} ${request.url}`);
    response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
    return;
  }
  const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const version = Object.keys(body.versions)[0];
  const attachment = Object.values(body._attachments as Record<string, { data: string }>)[0];
  published.push({
    name: body.name,
    version,
    dependencies: body.versions[version].dependencies ?? {},
    files: await tarballFiles(attachment.data),
  });
  response.writeHead(201, { 'content-type': 'application/json' }).end('{"ok":true}');
}

let registry: string;
let versionOutput: string;
let publishOutput: string;

beforeAll(async () => {
  const work = scratchDir('racesafe-release-');
  repo = path.join(work, 'repo');
  for (const file of ['lerna.json', 'package.json', 'LICENSE'])
    fs.cpSync(path.join(root, file), path.join(repo, file));
  for (const name of PACKAGES) {
    for (const file of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'dist']) {
      fs.cpSync(path.join(root, 'packages', name, file), path.join(repo, 'packages', name, file), {
        recursive: true,
      });
    }
  }
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(repo, 'node_modules'), 'dir');
  fs.writeFileSync(path.join(repo, '.gitignore'), 'node_modules\n');
  registry = await startRegistryStub();
  fs.writeFileSync(
    path.join(repo, '.npmrc'),
    `${registry.replace(/^http:/, '')}:_authToken=not-a-real-token\n`,
  );

  await git('init', '-q', '-b', 'main');
  await git('config', 'user.email', 'release-test@racesafe.invalid');
  await git('config', 'user.name', 'release test');
  await git('add', '-A');
  await git('commit', '-qm', 'chore: the released state');
  await git(
    'tag',
    `v${JSON.parse(fs.readFileSync(path.join(repo, 'lerna.json'), 'utf8')).version}`,
  );
  fs.appendFileSync(path.join(repo, 'packages/typeorm/README.md'), '\nA new option.\n');
  await git('commit', '-qam', 'feat(typeorm): a new option');
  fs.appendFileSync(path.join(repo, 'packages/core/README.md'), '\nA fix.\n');
  await git('commit', '-qam', 'fix(core): the fix');

  versionOutput = (
    await run(process.execPath, [lerna, 'version', '--yes'], { cwd: repo, env: env(registry) })
  ).stderr;
  publishOutput = (
    await run(process.execPath, [lerna, 'publish', 'from-git', '--yes', '--registry', registry], {
      cwd: repo,
      env: env(registry),
    })
  ).stderr;
}, 120_000);

afterAll(async () => {
  await new Promise((resolve) => stub?.close(resolve));
  if (repo) fs.rmSync(path.dirname(repo), { recursive: true, force: true });
});

const read = (file: string) => fs.readFileSync(path.join(repo, file), 'utf8');
const manifest = (name: string) => JSON.parse(read(`packages/${name}/package.json`));

describe('lerna version (conventional commits)', () => {
  it('bumps the shared version by the commits (a feat on 0.x: minor), commits and tags it', async () => {
    const before = JSON.parse(fs.readFileSync(path.join(root, 'lerna.json'), 'utf8'))
      .version as string;
    const [major, minor] = before.split('.').map(Number);
    const next = major === 0 ? `0.${minor + 1}.0` : `${major}.${minor + 1}.0`;
    expect(versionOutput).toContain('lerna success version finished');
    expect(JSON.parse(read('lerna.json')).version).toBe(next);
    expect(PACKAGES.map((name) => manifest(name).version)).toEqual(PACKAGES.map(() => next));
    expect(await git('log', '-1', '--format=%s')).toBe(`chore(release): publish v${next}`);
    expect(await git('tag', '--points-at', 'HEAD')).toBe(`v${next}`);
  });

  it('pins @racesafe/core exactly: each release of a package installs the core it was tested with', () => {
    const version = manifest('core').version;
    expect(manifest('typeorm').dependencies['@racesafe/core']).toBe(version);
    expect(manifest('sequelize').dependencies['@racesafe/core']).toBe(version);
  });

  it('writes each package its own CHANGELOG entry from the commits that touched it, above the earlier ones', () => {
    const typeorm = read('packages/typeorm/CHANGELOG.md');
    // The bullet is `*` as conventional-changelog writes it, or `-` once lerna formats it with the repository's Prettier.
    expect(typeorm).toMatch(/### Features\n\n[*-] \*\*typeorm:\*\* a new option/);
    expect(typeorm).not.toContain('the fix');
    expect(read('packages/core/CHANGELOG.md')).toMatch(
      /### Bug Fixes\n\n[*-] \*\*core:\*\* the fix/,
    );
    const committed = fs.readFileSync(path.join(root, 'packages/typeorm/CHANGELOG.md'), 'utf8');
    const earlier = committed.slice(committed.indexOf('\n## '));
    expect(typeorm.indexOf('a new option')).toBeLessThan(typeorm.indexOf(earlier.trim()));
  });
});

describe('lerna publish from-git (to a registry stub)', () => {
  it('publishes the five packages, core first, at the tagged version', () => {
    expect(publishOutput).toContain(`lerna success published ${PACKAGES.length} packages`);
    const version = manifest('core').version;
    expect(stubErrors).toEqual([]);
    // Its dependents' installs need it first (the lint plugin depends on nothing: its place is free).
    const order = published.map((p) => p.name);
    const dependents = published
      .filter((p) => '@racesafe/core' in p.dependencies)
      .map((p) => p.name);
    expect(dependents.length).toBeGreaterThanOrEqual(2);
    for (const name of dependents)
      expect(order.indexOf('@racesafe/core')).toBeLessThan(order.indexOf(name));
    expect(published.map((p) => p.name).sort()).toEqual([
      '@racesafe/core',
      '@racesafe/eslint-plugin',
      '@racesafe/nestjs',
      '@racesafe/sequelize',
      '@racesafe/typeorm',
    ]);
    expect(published.every((p) => p.version === version)).toBe(true);
  });

  it('sends tarballs with README, LICENSE, CHANGELOG and dist only', () => {
    for (const { name, files } of published) {
      expect([name, files.filter((file) => !/^package\/dist\/.*\.(js|d\.ts)$/.test(file))]).toEqual(
        [
          name,
          ['package/CHANGELOG.md', 'package/LICENSE', 'package/README.md', 'package/package.json'],
        ],
      );
    }
  });

  it('asks the registry only which versions exist (GET), nothing else', () => {
    expect(otherRequests.filter((request) => !request.startsWith('GET '))).toEqual([]);
  });
});
