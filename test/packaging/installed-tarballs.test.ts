// What a user gets from a published version: the three packages as `npm pack` makes them,
// installed from the tarballs into projects outside the monorepo next to the ORMs at the
// lockfile's versions, then used from a CommonJS program, an ES module program and a strict
// TypeScript project (moduleResolution node16 and bundler) against the run's PostgreSQL.
// Needs `npm run build` first (npm test does it). The ORMs come from npm's cache (filled by
// npm ci), else from the configured registry. About 25 s, most of it the two installs.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { useTestDatabase } from '../harness/database';
import { installProject, lockedVersion, packWorkspaces, type Packed } from './consumer-project';
import { scratchDir } from '../harness/scratch-dir';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../..');
const PACKAGES = ['core', 'typeorm', 'sequelize', 'eslint-plugin'] as const;

// The unique constraint on owner makes the ConflictError; the scripts use rows of their own tag.
const db = useTestDatabase(`
  CREATE TABLE pages (
    id serial PRIMARY KEY,
    slug text NOT NULL CONSTRAINT pages_slug_key UNIQUE,
    owner text CONSTRAINT pages_owner_key UNIQUE,
    views int NOT NULL DEFAULT 0
  );`);

/** A throwaway project: which ORMs it installs beside the tarballs. */
const PROJECTS = {
  typeorm1: { typeorm: 'typeorm', sequelize: true },
  typeorm03: { typeorm: 'typeorm03', sequelize: false },
} as const;
type ProjectName = keyof typeof PROJECTS;

let work: string;
let packed: Packed[];

beforeAll(async () => {
  work = scratchDir('racesafe-consumer-');
  let tarballs: Record<string, string>;
  ({ packed, tarballs } = await packWorkspaces(work, PACKAGES));
  await Promise.all(
    (Object.keys(PROJECTS) as ProjectName[]).map(async (name) => {
      const { typeorm, sequelize } = PROJECTS[name];
      const dir = path.join(work, name);
      fs.mkdirSync(dir);
      const dependencies: Record<string, string> = {
        '@racesafe/core': tarballs['@racesafe/core'],
        '@racesafe/typeorm': tarballs['@racesafe/typeorm'],
        typeorm: lockedVersion(typeorm),
        pg: lockedVersion('pg'),
        'reflect-metadata': lockedVersion('reflect-metadata'),
      };
      if (sequelize)
        Object.assign(dependencies, {
          '@racesafe/sequelize': tarballs['@racesafe/sequelize'],
          sequelize: lockedVersion('sequelize'),
        });
      for (const file of ['scenario.cjs', 'consumer.cjs', 'consumer.mjs', 'consumer.mts'])
        fs.copyFileSync(path.join(__dirname, 'consumer', file), path.join(dir, file));
      fs.copyFileSync(path.join(__dirname, 'consumer.ts'), path.join(dir, 'consumer.ts'));
      for (const resolution of ['node16', 'bundler'] as const) {
        const compilerOptions = {
          strict: true,
          noEmit: true,
          target: 'ES2022',
          lib: ['ES2022'],
          module: resolution === 'node16' ? 'node16' : 'esnext',
          moduleResolution: resolution,
          experimentalDecorators: true,
          emitDecoratorMetadata: true,
          types: [],
          // The ORMs' own declarations need @types/node; ours are checked through every use.
          skipLibCheck: true,
        };
        // consumer.ts uses both packages; the TypeORM 0.3 project has only @racesafe/typeorm.
        const files = sequelize ? ['consumer.ts', 'consumer.mts'] : ['consumer.mts'];
        fs.writeFileSync(
          path.join(dir, `tsconfig.${resolution}.json`),
          JSON.stringify({ compilerOptions, files }, null, 2),
        );
      }
      await installProject(dir, { name: `consumer-${name}`, private: true, dependencies });
    }),
  );
}, 300_000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('npm pack', () => {
  it.each(PACKAGES)(
    '@racesafe/%s holds package.json, README, LICENSE, CHANGELOG and the built JavaScript and declarations, nothing else',
    (name) => {
      const pack = packed.find((p) => p.name === `@racesafe/${name}`)!;
      const files = pack.files.map((f) => f.path).sort();
      expect(files.filter((file) => !/^dist\/.*\.(js|d\.ts)$/.test(file))).toEqual([
        'CHANGELOG.md',
        'LICENSE',
        'README.md',
        'package.json',
      ]);
      expect(files).toContain('dist/index.js');
      expect(files).toContain('dist/index.d.ts');
      // Every source module is shipped as JavaScript and declarations (the build is complete).
      const sources = fs
        .readdirSync(path.join(root, 'packages', name, 'src'), {
          recursive: true,
          encoding: 'utf8',
        })
        .filter((file) => file.endsWith('.ts'));
      expect(files.filter((file) => file.endsWith('.js')).length).toBe(sources.length);
      expect(pack.unpackedSize).toBeLessThan(400_000);
    },
  );
});

/** Runs `node <script> <orm> <url> <tag>` in `project` and parses the line it prints. */
async function consume(
  project: ProjectName,
  script: string,
  orm: 'typeorm' | 'sequelize',
): Promise<Record<string, unknown>> {
  const tag = `${project}-${orm}-${path.extname(script).slice(1)}`;
  const { stdout } = await run(process.execPath, [script, orm, db.url(), tag], {
    cwd: path.join(work, project),
    timeout: 60_000,
  });
  return JSON.parse(stdout);
}

const expected = {
  created: true,
  createdAgain: false,
  sameRow: true,
  createdByUpdate: false,
  updatedViews: 10,
  count: 1,
  finalViews: 15,
  conflict: { conflictError: true, raceSafeError: true, constraint: 'pages_owner_key' },
};

describe.each([
  ['TypeORM 1.x', 'typeorm1', 'typeorm'],
  ['TypeORM 0.3', 'typeorm03', 'typeorm'],
  ['Sequelize 6', 'typeorm1', 'sequelize'],
] as const)('%s from the installed tarballs', (_label, project, orm) => {
  it('is the ORM version the lockfile has', () => {
    const installed = JSON.parse(
      fs.readFileSync(path.join(work, project, 'node_modules', orm, 'package.json'), 'utf8'),
    ).version;
    expect(installed).toBe(
      lockedVersion(orm === 'typeorm' ? PROJECTS[project].typeorm : 'sequelize'),
    );
  });

  it('works from CommonJS (require)', async () => {
    const result = await consume(project, 'consumer.cjs', orm);
    expect(result).toEqual({
      ...expected,
      resolved: path.join(
        fs.realpathSync(work),
        project,
        `node_modules/@racesafe/${orm}/dist/index.js`,
      ),
    });
  });

  it('works from an ES module (named imports), with the same error classes as require()', async () => {
    const result = await consume(project, 'consumer.mjs', orm);
    expect(result).toEqual({
      ...expected,
      sameClassAsRequire: true,
      resolved: expect.stringMatching(new RegExp(`node_modules/@racesafe/${orm}/dist/index\\.js$`)),
    });
  });
});

// TypeScript 5.9 (the repository's compiler) and 7 (npm's `latest`, the native port; alias `typescript7`), which
// refuses `moduleResolution: node` (node10): a user's project on either must type-check against the tarballs' declarations.
const compilers = [
  ['TypeScript 5.9', 'typescript'],
  ['TypeScript 7', 'typescript7'],
] as const;

describe.each(
  compilers.flatMap(([label, pkg]) =>
    (['node16', 'bundler'] as const).map((resolution) => [label, resolution, pkg] as const),
  ),
)('a strict %s project, moduleResolution %s', (label, resolution, pkg) => {
  it('is the compiler version it names', () => {
    const { version } = JSON.parse(
      fs.readFileSync(path.join(root, 'node_modules', pkg, 'package.json'), 'utf8'),
    );
    expect(version).toMatch(label === 'TypeScript 7' ? /^7\./ : /^5\.9\./);
  });

  it.each(Object.keys(PROJECTS))(
    'type-checks against the installed declarations (%s)',
    async (project) => {
      const tsc = path.join(root, 'node_modules', pkg, 'bin/tsc');
      const output = await run(process.execPath, [tsc, '-p', `tsconfig.${resolution}.json`], {
        cwd: path.join(work, project),
      }).then(
        ({ stdout }) => stdout,
        (error: { stdout: string }) => error.stdout,
      );
      expect(output).toBe('');
    },
  );
});
