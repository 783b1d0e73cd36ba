// `npm test`'s jest step: two jest processes side by side, each with its own servers (its own
// global setup) and one test file at a time. Lane `races+lint` runs the race and fault files,
// which fork worker processes and keep the cores busy, and the lint plugin's tests (ESLint, no
// database); lane `suites` runs everything else, single process files that mostly wait on the
// database (measured alone: 72% of a core). The split keeps the two lanes about as long. Every file of `npx jest` runs
// in exactly one lane (jest.config.js, RACESAFE_JEST_LANE). Output lines are prefixed with their
// lane; the exit code is non-zero when either lane fails. Extra arguments go to both jest processes
// (`--outputFile=x.json` becomes `x.races+lint.json` and `x.suites.json`).
const { spawn } = require('node:child_process');
const readline = require('node:readline');

const jest = require.resolve('jest/bin/jest');
// RACESAFE_JEST_LANES picks others: `races-typeorm,races-sequelize+lint,suites` (see jest.config.js),
// or `all` for one jest process as before.
const lanes = (process.env.RACESAFE_JEST_LANES ?? 'races+lint,suites').split(',');

function runLane(lane) {
  const args = process.argv
    .slice(2)
    .map((arg) =>
      arg.startsWith('--outputFile=') ? arg.replace(/(\.json)?$/, `.${lane}$1`) : arg,
    );
  const child = spawn(process.execPath, [jest, ...args], {
    // Both: jest.config.js reads which lanes run beside this one (where the lint tests go).
    env: { ...process.env, RACESAFE_JEST_LANES: lanes.join(','), RACESAFE_JEST_LANE: lane },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const [stream, out] of [
    [child.stdout, process.stdout],
    [child.stderr, process.stderr],
  ]) {
    readline
      .createInterface({ input: stream })
      .on('line', (line) => out.write(`[${lane}] ${line}\n`));
  }
  const started = Date.now();
  return new Promise((resolve) => {
    child.on('close', (code, signal) =>
      resolve({ lane, code: code ?? 1, signal, seconds: (Date.now() - started) / 1000 }),
    );
    for (const name of ['SIGINT', 'SIGTERM']) process.once(name, () => child.kill(name));
  });
}

void Promise.all(lanes.map(runLane)).then((results) => {
  for (const { lane, code, signal, seconds } of results) {
    console.log(
      `jest lane ${lane}: ${code === 0 ? 'passed' : `FAILED (exit ${code}${signal ? `, ${signal}` : ''})`} in ${seconds.toFixed(0)} s`,
    );
  }
  process.exitCode = results.every((r) => r.code === 0) ? 0 : 1;
});
