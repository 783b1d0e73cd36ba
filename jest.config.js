// One jest run covers the pure unit tests and each package against a real PostgreSQL.
// The TypeORM suite runs twice: once on TypeORM 1.x and once on 0.3 (npm alias `typeorm03`).
const racesafeSources = {
  '^@racesafe/(core|typeorm|sequelize|nestjs)$': '<rootDir>/packages/$1/src',
  '^@racesafe/nestjs/(typeorm|sequelize)$': '<rootDir>/packages/nestjs/src/$1',
};
// jest's cache in the checkout, as the compile cache is: a clean clone starts cold, as CI does.
const cacheDirectory = '<rootDir>/node_modules/.cache/jest';
const base = {
  rootDir: __dirname,
  cacheDirectory,
  testEnvironment: 'node',
  // One compile, cached once per checkout, for every project and lane (and the race children).
  transform: { '^.+\\.ts$': '<rootDir>/test/harness/jest-transform.cjs' },
  moduleNameMapper: racesafeSources,
  setupFiles: ['reflect-metadata'],
  // A statement sent on a pg client still executing one fails the test (issue 8).
  setupFilesAfterEnv: ['<rootDir>/test/harness/no-concurrent-queries.ts'],
};

// `npm test` runs jest in lanes side by side (test/harness/jest-lanes.cjs), each with its own
// servers and one test file at a time. RACESAFE_JEST_LANE names the parts a lane runs, joined by
// `+`: `races`, the race and fault files (they fork worker processes); `races-typeorm` /
// `races-sequelize`, only those of one package; `lint`, the lint plugin's project (ESLint runs on
// fixtures and on this repository, no database); `tools`, the projects of the repository's own
// tooling and of what users install (unit, harness, packaging, examples, nestjs); `fuzz`, the ORM
// packages' fuzz files (the differential runs against the ORMs' own writes); `suites`, every other
// file (and `lint`, `tools` and `fuzz` too, unless a lane of the run, RACESAFE_JEST_LANES, takes
// them). Unset or `all`: every file, as one run.
const lane = process.env.RACESAFE_JEST_LANE;
const raceFiles = '/(race|faults)[^/]*\\.test\\.ts$';
const lintProjects = ['eslint-plugin'];
const toolProjects = ['unit', 'harness', 'packaging', 'examples', 'nestjs'];
const partsOfRun = (process.env.RACESAFE_JEST_LANES ?? '').split(/[,+]/);
const lintApart = partsOfRun.includes('lint');
const toolsApart = partsOfRun.includes('tools');
const fuzzApart = partsOfRun.includes('fuzz');
const fuzzFiles = '/fuzz\\.test\\.ts$';

/** `project` with `pattern` in place of its testMatch's `**\/*.test.ts`. */
const onlyFiles = (project, pattern) => ({
  ...project,
  testMatch: project.testMatch.map((match) => match.replace('**/*.test.ts', pattern)),
});

function inPart(project, part) {
  const ownsRaces = project.testMatch.some((pattern) => pattern.includes('/packages/'));
  const isLint = lintProjects.includes(project.displayName);
  const isTool = toolProjects.includes(project.displayName);
  if (part === 'lint') return isLint ? [project] : [];
  if (part === 'tools') return isTool ? [project] : [];
  const isOrm = ownsRaces && !isLint && !isTool;
  if (part === 'fuzz') return isOrm ? [onlyFiles(project, 'fuzz.test.ts')] : [];
  if (part === 'suites') {
    if ((isLint && lintApart) || (isTool && toolsApart)) return [];
    return [
      ownsRaces
        ? {
            ...project,
            testPathIgnorePatterns: [
              ...(project.testPathIgnorePatterns ?? ['/node_modules/']),
              raceFiles,
              ...(isOrm && fuzzApart ? [fuzzFiles] : []),
            ],
          }
        : project,
    ];
  }
  const orm = part.replace(/^races-?/, '');
  if (!ownsRaces || isLint || !project.displayName.startsWith(orm)) return [];
  return [onlyFiles(project, '{race,faults}*.test.ts')];
}

function inLane(project) {
  return lane.split('+').flatMap((part) => inPart(project, part));
}

const config = {
  globalSetup: '<rootDir>/test/harness/jest-global-setup.ts',
  globalTeardown: '<rootDir>/test/harness/jest-global-teardown.ts',
  // Race tests fork their own worker processes: one test file at a time keeps 2 cores honest.
  maxWorkers: 1,
  testTimeout: 120_000,
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...base, displayName: 'harness', testMatch: ['<rootDir>/test/harness/**/*.test.ts'] },
    { ...base, displayName: 'packaging', testMatch: ['<rootDir>/test/packaging/**/*.test.ts'] },
    { ...base, displayName: 'examples', testMatch: ['<rootDir>/test/examples/**/*.test.ts'] },
    {
      ...base,
      displayName: 'typeorm-1',
      testMatch: ['<rootDir>/packages/typeorm/test/**/*.test.ts'],
    },
    {
      ...base,
      displayName: 'typeorm-0.3',
      testMatch: ['<rootDir>/packages/typeorm/test/**/*.test.ts'],
      // The races on MariaDB, SQLite and through PgBouncer, and the fault races, exercise the databases
      // through the same gateway code as TypeORM 1.x runs them; on 0.3 they run on PostgreSQL only
      // (race.test.ts), with every integration suite on every database. Keeps npm test under 20 minutes.
      testPathIgnorePatterns: [
        '/node_modules/',
        '/race-(mariadb|sqlite|pgbouncer)\\.test\\.ts$',
        '/faults-(race|mariadb|sqlite)\\.test\\.ts$',
      ],
      moduleNameMapper: {
        ...racesafeSources,
        '^typeorm$': 'typeorm03',
        '^typeorm/(.*)$': 'typeorm03/$1',
      },
      setupFiles: ['reflect-metadata', '<rootDir>/test/harness/typeorm-0.3-env.ts'],
    },
    {
      ...base,
      displayName: 'sequelize',
      testMatch: ['<rootDir>/packages/sequelize/test/**/*.test.ts'],
    },
    // The lint plugin's RuleTester suites and its runs on this repository's files: no database.
    {
      rootDir: __dirname,
      cacheDirectory,
      testEnvironment: 'node',
      transform: base.transform,
      displayName: 'eslint-plugin',
      testMatch: ['<rootDir>/packages/eslint-plugin/test/**/*.test.ts'],
    },
    // NestJS 11 apps (CommonJS) started with Test.createTestingModule: @nestjs/typeorm, @nestjs/sequelize with sequelize-typescript, the CLS transaction libraries.
    // TypeORM there is 0.3 (the npm alias typeorm03), as a NestJS 11 app with @nestjs/typeorm 11 has it.
    {
      ...base,
      displayName: 'nestjs',
      testMatch: ['<rootDir>/packages/nestjs/test/**/*.test.ts'],
      moduleNameMapper: {
        ...racesafeSources,
        '^typeorm$': 'typeorm03',
        '^typeorm/(.*)$': 'typeorm03/$1',
      },
    },
  ],
};

module.exports =
  lane && lane !== 'all' ? { ...config, projects: config.projects.flatMap(inLane) } : config;
