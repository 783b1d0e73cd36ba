// Runs the npm scripts named on the command line side by side (`npm test`'s typecheck, lint and
// format check: each is one single-threaded process, so two cores finish them in about the time
// of the longest). Each script's output is printed whole when it ends; the exit code is non-zero
// when any of them fails.
const { spawn } = require('node:child_process');

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function runScript(name) {
  const started = Date.now();
  const child = spawn(npm, ['run', '-s', name], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = [];
  child.stdout.on('data', (chunk) => output.push(chunk));
  child.stderr.on('data', (chunk) => output.push(chunk));
  return new Promise((resolve) => {
    child.on('close', (code) => {
      const seconds = ((Date.now() - started) / 1000).toFixed(0);
      process.stdout.write(Buffer.concat(output));
      console.log(
        `npm run ${name}: ${code === 0 ? 'passed' : `FAILED (exit ${code})`} in ${seconds} s`,
      );
      resolve(code === 0);
    });
  });
}

void Promise.all(process.argv.slice(2).map(runScript)).then((passed) => {
  process.exitCode = passed.every(Boolean) ? 0 : 1;
});
