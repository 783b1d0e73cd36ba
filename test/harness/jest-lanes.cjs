// `npm test`: lanes side by side, each a sequence of processes whose output lines are prefixed
// with the lane's name. A jest lane has its own servers (its own global setup) and runs one test
// file at a time; which files, jest.config.js decides from RACESAFE_JEST_LANE. By default:
// `races+lint`, the race and fault files (they fork worker processes and keep the cores busy) and
// the lint plugin's tests; `suites`, the ORM packages' other files, which mostly wait on the
// database; `build+checks+tools+fuzz`, `npm run build`, `npm run checks` (type check, lint, format
// check), then the projects of the repository's tooling and of what users install (unit, harness,
// packaging, examples, nestjs: the only files that read a package's dist/) and the ORM packages'
// fuzz files. Three lanes because the suites lane alone uses about a third of the two cores: it
// waits on round trips, one file at a time. It is the lane that ends last, so it starts at once
// (the build goes in the lane that reads dist/) and the fuzz files, about a tenth of its time, run
// in the third lane. Every file of `npx jest` runs in exactly one lane. The exit code is non-zero
// when any lane fails. Extra arguments go to every jest process (`--outputFile=x.json` becomes
// `x.<lane>.json`).
const { spawn } = require('node:child_process');
const readline = require('node:readline');

const jest = require.resolve('jest/bin/jest');
// RACESAFE_JEST_LANES picks others (see jest.config.js):
// `races-typeorm,races-sequelize+lint,suites,build+checks+tools+fuzz`, or `checks,all` for one jest
// process beside the checks (no lane names `build`: the build runs first).
const lanes = (
  process.env.RACESAFE_JEST_LANES ?? 'races+lint,suites,build+checks+tools+fuzz'
).split(',');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
// Parts of a lane that are npm scripts, not jest's (jest.config.js ignores them): run in this order.
const scriptParts = { build: 'build', checks: 'checks:built' };

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

/**
 * The lane's `build` and `checks` first, in that order, when it names them (jest.config.js ignores
 * those parts), then jest for the other parts. A failed build ends the lane: what follows reads dist/.
 */
async function runLane(lane) {
  const started = Date.now();
  const parts = lane.split('+');
  const jestParts = parts.filter((part) => !(part in scriptParts));
  const results = [];
  // `checks:built`: `npm run checks` without rebuilding the lint plugin, which the build just built.
  for (const part of Object.keys(scriptParts).filter((p) => parts.includes(p))) {
    const result = await runPrefixed(lane, npm, ['run', '-s', scriptParts[part]], process.env);
    results.push(result);
    if (part === 'build' && result.code !== 0) return laneResult(lane, started, results);
  }
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
  return laneResult(lane, started, results);
}

function laneResult(lane, started, results) {
  const failed = results.find((r) => r.code !== 0);
  return {
    lane,
    code: failed?.code ?? 0,
    signal: failed?.signal,
    seconds: (Date.now() - started) / 1000,
  };
}

/** `npm run build` before every lane, when no lane builds (the packaging tests read dist/). */
async function buildFirst() {
  if (lanes.some((lane) => lane.split('+').includes('build'))) return true;
  const { code } = await runPrefixed('build', npm, ['run', '-s', 'build'], process.env);
  return code === 0;
}

void buildFirst().then(async (built) => {
  if (!built) return void (process.exitCode = 1);
  const results = await Promise.all(lanes.map(runLane));
  for (const { lane, code, signal, seconds } of results) {
    console.log(
      `jest lane ${lane}: ${code === 0 ? 'passed' : `FAILED (exit ${code}${signal ? `, ${signal}` : ''})`} in ${seconds.toFixed(0)} s`,
    );
  }
  process.exitCode = results.every((r) => r.code === 0) ? 0 : 1;
});
