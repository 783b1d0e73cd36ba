// NestJS 12 ships ES modules only: an ES module app (test/nestjs-esm/main.mts) with NestJS 12,
// @nestjs/typeorm 12, TypeORM 1.x and both CLS transaction libraries, installed with racesafe's packed tarballs into a project of
// its own, compiled with tsc (nodenext) and run with node against the run's PostgreSQL.
// Needs `npm run build` first (npm test does it). NestJS 12 comes from npm's cache, else the registry.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { useTestDatabase } from '../../../test/harness/database';
import {
  installProject,
  lockedVersion,
  packWorkspaces,
} from '../../../test/packaging/consumer-project';
import { scratchDir } from '../../../test/harness/scratch-dir';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../../..');
const fixture = path.join(root, 'test/nestjs-esm');

const db = useTestDatabase(`
  CREATE TABLE esm_accounts (
    id serial PRIMARY KEY,
    email text NOT NULL CONSTRAINT esm_accounts_email_key UNIQUE,
    logins int NOT NULL DEFAULT 0,
    plan text NOT NULL DEFAULT 'free'
  );`);

let work: string;
beforeAll(async () => {
  work = scratchDir('racesafe-nestjs12-');
  const { tarballs } = await packWorkspaces(work, ['core', 'typeorm', 'sequelize', 'nestjs']);
  const dependencies = {
    '@racesafe/core': tarballs['@racesafe/core'],
    '@racesafe/typeorm': tarballs['@racesafe/typeorm'],
    '@racesafe/nestjs': tarballs['@racesafe/nestjs'],
    '@nestjs/common': '^12.0.0',
    '@nestjs/core': '^12.0.0',
    '@nestjs/testing': '^12.0.0',
    '@nestjs/typeorm': '^12.0.0',
    // Both CLS transaction libraries, at the versions the NestJS 11 tests run (their peer ranges take NestJS 12).
    'nestjs-cls': lockedVersion('nestjs-cls'),
    '@nestjs-cls/transactional': lockedVersion('@nestjs-cls/transactional'),
    '@nestjs-cls/transactional-adapter-typeorm': lockedVersion(
      '@nestjs-cls/transactional-adapter-typeorm',
    ),
    'typeorm-transactional': lockedVersion('typeorm-transactional'),
    typeorm: lockedVersion('typeorm'),
    pg: lockedVersion('pg'),
    'reflect-metadata': lockedVersion('reflect-metadata'),
    rxjs: lockedVersion('rxjs'),
    '@types/node': lockedVersion('@types/node'),
  };
  for (const file of ['main.mts', 'tsconfig.json'])
    fs.copyFileSync(path.join(fixture, file), path.join(work, file));
  await installProject(work, {
    name: 'nestjs12-esm-consumer',
    private: true,
    type: 'module',
    dependencies,
  });
}, 300_000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('NestJS 12 as an ES module consumer (TypeORM 1.x) from the packed tarballs', () => {
  it('installs NestJS 12, ES modules only', () => {
    const nest = JSON.parse(
      fs.readFileSync(path.join(work, 'node_modules/@nestjs/core/package.json'), 'utf8'),
    );
    expect([nest.version.split('.')[0], nest.type]).toEqual(['12', 'module']);
  });

  /** Compiles the app once (tsc, nodenext), runs it with `library` and parses the line it prints; rows of `emails` only. */
  let compiled: Promise<string> | undefined;
  async function runApp(library: string, emails: RegExp) {
    const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
    compiled ??= run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: work }).then(
      ({ stdout }) => stdout,
      (error: { stdout: string }) => error.stdout,
    );
    expect(await compiled).toBe('');
    const { stdout } = await run(process.execPath, ['dist/main.mjs', db.url(), library], {
      cwd: work,
      timeout: 60_000,
    });
    const result = JSON.parse(stdout.trim().split('\n').pop()!);
    return {
      ...result,
      rows: result.rows.filter((row: { email: string }) => emails.test(row.email)),
    };
  }

  // The @Transactional() sign-up: a failed one alone, then 6 commits and 3 failures at once on one email.
  const transactional = {
    alone: 'payment refused',
    outcomes: [
      'ok',
      'ok',
      'payment refused',
      'ok',
      'ok',
      'payment refused',
      'ok',
      'ok',
      'payment refused',
    ],
  };

  it("type-checks and runs getOrCreate, updateOrCreate and atomicUpdate concurrently, in the caller's transaction and in @nestjs-cls/transactional's @Transactional(), with exact rows after rollbacks", async () => {
    expect(await runApp('@nestjs-cls/transactional', /^(ann|bob|carl|cls)/)).toEqual({
      createdOnce: 1,
      signInsCreated: 1,
      rollback: 'payment refused',
      transactional,
      // No carl@x, no cls-fail@x: every rolled-back write is gone; of cls@x only the 6 commits counted.
      rows: [
        { email: 'ann@x', plan: 'free', logins: 50 },
        { email: 'bob@x', plan: 'free', logins: 10 },
        { email: 'cls@x', plan: 'pro', logins: 6 },
      ],
      esm: true,
    });
  });

  it("type-checks and runs the three operations in typeorm-transactional's @Transactional(), with exact rows after rollbacks", async () => {
    expect(await runApp('typeorm-transactional', /^tt/)).toEqual({
      transactional,
      rows: [{ email: 'tt@x', plan: 'pro', logins: 6 }],
      esm: true,
    });
  });
});
