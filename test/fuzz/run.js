// npm run fuzz -- --seed S --runs N [--db PostgreSQL|MariaDB|SQLite] [jest args]: the differential fuzz
// properties (test/integration/fuzz.suite.ts) for both packages, N runs per operation and table, from seed S.
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
const env = { ...process.env, RACESAFE_FUZZ_SEED: seed, RACESAFE_FUZZ_RUNS: runs, RACESAFE_FUZZ_REPORT: '1' };
console.log(`fuzz: seed ${seed}, ${runs} runs per operation and table`);
const jest = ['jest', '--selectProjects', 'typeorm-1', 'typeorm-0.3', 'sequelize', '--testTimeout', String(2 ** 31 - 1), '/fuzz\\.test\\.ts$', ...(db ? ['-t', `on ${db}`] : []), ...args];
const { status } = spawnSync('npx', jest, { stdio: 'inherit', env });
process.exit(status ?? 1);
