// npm run fuzz -- --seed S --runs N [--db PostgreSQL|MariaDB|SQLite] [--projects typeorm-1,typeorm-0.3,sequelize] [jest args]:
// the differential fuzz properties (test/integration/fuzz.suite.ts) for both packages, N runs per operation and table, from
// seed S: 9 properties (4 operations on documents, 5 on counters), so 9 x N generated cases per database and jest project.
const { spawnSync } = require('node:child_process');

const args = process.argv.slice(2);
const take = (name) => {
  const i = args.indexOf(name);
  if (i === -1) return undefined;
  const [, value] = args.splice(i, 2);
  return value;
};
const seed = take('--seed') ?? String(Date.now() % 2 ** 31);
const runs = take('--runs') ?? '100';
const db = take('--db');
const env = {
  ...process.env,
  RACESAFE_FUZZ_SEED: seed,
  RACESAFE_FUZZ_RUNS: runs,
  RACESAFE_FUZZ_REPORT: '1',
};
console.log(`fuzz: seed ${seed}, ${runs} runs per operation and table`);
// The test path before the project options: after `--selectProjects a b` jest would read it as one more project name and run every file.
const projects = (take('--projects') ?? 'typeorm-1,typeorm-0.3,sequelize').split(',');
const jest = [
  'jest',
  '/fuzz\\.test\\.ts$',
  ...projects.map((p) => `--selectProjects=${p}`),
  '--testTimeout',
  String(2 ** 31 - 1),
  ...(db ? ['-t', `on ${db}`] : []),
  ...args,
];
const { status } = spawnSync('npx', jest, { stdio: 'inherit', env });
process.exit(status ?? 1);
