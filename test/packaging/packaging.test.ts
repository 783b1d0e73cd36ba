import { execFileSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');

// What a CommonJS project gets from the BUILT packages (npm test builds them first):
// a plain `require`, outside jest's module mapping.
it.each(['@racesafe/typeorm', '@racesafe/sequelize'])(
  '%s loads with require() from dist and exports the public API',
  (name) => {
    const script = `const m = require(${JSON.stringify(name)}); process.stdout.write(JSON.stringify({ main: require.resolve(${JSON.stringify(name)}), exports: Object.keys(m).sort() }))`;
    const { main, exports } = JSON.parse(
      execFileSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8' }),
    );
    expect(main).toMatch(/dist[\\/]index\.js$/);
    expect(exports).toEqual(
      expect.arrayContaining([
        'getOrCreate',
        'updateOrCreate',
        'atomicUpdate',
        'raceSafe',
        'F',
        'RaceSafeError',
        'InvalidFieldError',
        'UniqueLookupRequiredError',
        'MultipleRowsError',
        'ConflictError',
        'LockNotAvailableError',
        'RetryableError',
        'ConnectionLostError',
        'IndeterminateError',
      ]),
    );
  },
);
