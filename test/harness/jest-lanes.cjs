// `npm test`'s step after the build: lanes side by side, each a sequence of processes whose output
// lines are prefixed with the lane's name. A jest lane has its own servers (its own global setup)
// and runs one test file at a time; which files, jest.config.js decides from RACESAFE_JEST_LANE.
// By default: `races+lint`, the race and fault files (they fork worker processes and keep the
// cores busy) and the lint plugin's tests; `suites`, the ORM packages' other files, which mostly
// wait on the database; `checks+tools+fuzz`, `npm run checks` (type check, lint, format check) and
// then the projects of the repository's tooling and of what users install (unit, harness, packaging,
// examples, nestjs), and the ORM packages' fuzz files. Three lanes because the suites lane alone uses
// about a third of the two cores: it waits on round trips, one file at a time. It ended last in
// every clean clone (35-80 s after the next lane, 90-110 s after the third), with a core idle
// meanwhile, so its fuzz files (about a tenth of its time) run in the third lane. Every file of
// `npx jest` runs in exactly one lane.
// The exit code is non-zero when any lane fails. Extra arguments go to every jest process
// (`--outputFile=x.json` becomes `x.<lane>.json`).
const { spawn } = require('node:child_process');
const readline = require('node:readline');

const jest = require.resolve('jest/bin/jest');
// RACESAFE_JEST_LANES picks others: `races-typeorm,races-sequelize+lint,suites,checks+tools+fuzz`
// (see jest.config.js), or `checks,all` for one jest process beside the checks.
const lanes = (process.env.RACESAFE_JEST_LANES ?? 'races+lint,suites,checks+tools+fuzz').split(',');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** One process of a lane, its output prefixed; resolves with its exit code. */
function runPrefixed(lane, command, args, env) {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const [stream, out] of [
    [child.stdout, process.stdout],
    [child.stderr, process.stderr],
  ]) {
    readline
      .createInterface({ input: stream })
      .on('line', (line) => out.write(`[${lane}] ${line}\n`));
  }
  return new Promise((resolve) => {
    child.on('close', (code, signal) => resolve({ code: code ?? 1, signal }));
    for (const name of ['SIGINT', 'SIGTERM']) process.once(name, () => child.kill(name));
  });
}

/** `checks` first when the lane names it (jest.config.js ignores that part), then jest for the other parts. */
async function runLane(lane) {
  const started = Date.now();
  const parts = lane.split('+');
  const jestParts = parts.filter((part) => part !== 'checks');
  const results = [];
  // `checks:built`: `npm run checks` without rebuilding the lint plugin, which npm test built
  // already (a rebuild empties its dist/ while the other lanes' tests read it).
  if (parts.includes('checks'))
    results.push(await runPrefixed(lane, npm, ['run', '-s', 'checks:built'], process.env));
  if (jestParts.length > 0) {
    const args = process.argv
      .slice(2)
      .map((arg) =>
        arg.startsWith('--outputFile=') ? arg.replace(/(\.json)?$/, `.${lane}$1`) : arg,
      );
    // Every lane: jest.config.js reads which lanes run beside this one (where lint and tools go).
    const env = {
      ...process.env,
      RACESAFE_JEST_LANES: lanes.join(','),
      RACESAFE_JEST_LANE: jestParts.join('+'),
    };
    results.push(await runPrefixed(lane, process.execPath, [jest, ...args], env));
  }
  const failed = results.find((r) => r.code !== 0);
  return {
    lane,
    code: failed?.code ?? 0,
    signal: failed?.signal,
    seconds: (Date.now() - started) / 1000,
  };
}

void Promise.all(lanes.map(runLane)).then((results) => {
  for (const { lane, code, signal, seconds } of results) {
    console.log(
      `jest lane ${lane}: ${code === 0 ? 'passed' : `FAILED (exit ${code}${signal ? `, ${signal}` : ''})`} in ${seconds.toFixed(0)} s`,
    );
  }
  process.exitCode = results.every((r) => r.code === 0) ? 0 : 1;
});
