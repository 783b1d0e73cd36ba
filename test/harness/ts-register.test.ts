// Issue 21, item 3: race children, the demo and the bench compile TypeScript through
// ts-register.cjs, whose on-disk cache once lived in $TMPDIR keyed without the checkout. A second
// clone then loaded `@racesafe/*` from the first one's tree, and after that tree was deleted,
// failed with "Cannot find module '<deleted clone>/packages/core/src'".
// Each fake checkout here has the real loader and tsconfig files, its own `@racesafe/core`
// source, and a node_modules of its own that links only the compiler.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');

function fakeCheckout(parent: string, name: string, marker: string): string {
  const checkout = path.join(parent, name);
  for (const file of [
    'tsconfig.json',
    'tsconfig.base.json',
    'test/harness/ts-register.cjs',
    'test/harness/ts-compile.cjs',
  ]) {
    fs.mkdirSync(path.dirname(path.join(checkout, file)), { recursive: true });
    fs.copyFileSync(path.join(root, file), path.join(checkout, file));
  }
  writeMarker(checkout, marker);
  fs.mkdirSync(path.join(checkout, 'node_modules'));
  fs.symlinkSync(
    fs.realpathSync(path.join(root, 'node_modules/typescript')),
    path.join(checkout, 'node_modules/typescript'),
    'dir',
  );
  return checkout;
}

function writeMarker(checkout: string, marker: string): void {
  const source = path.join(checkout, 'packages/core/src/index.ts');
  fs.mkdirSync(path.dirname(source), { recursive: true });
  fs.writeFileSync(source, `export const checkout: string = ${JSON.stringify(marker)};\n`);
}

/** What `require('@racesafe/core').checkout` gives in a child started as race children are. */
function loadedIn(checkout: string): string {
  const result = spawnSync(
    process.execPath,
    [
      '--require',
      path.join(checkout, 'test/harness/ts-register.cjs'),
      '-e',
      "process.stdout.write(require('@racesafe/core').checkout)",
    ],
    { cwd: os.tmpdir(), encoding: 'utf8', timeout: 60_000 },
  );
  if (result.status !== 0)
    throw new Error(`child in ${checkout} exited ${result.status}: ${result.stderr}`);
  return result.stdout;
}

describe('ts-register: every checkout compiles and runs its own sources', () => {
  let parent: string;
  beforeEach(() => {
    parent = fs.mkdtempSync(path.join(os.tmpdir(), 'racesafe-checkouts-'));
  });
  afterEach(() => fs.rmSync(parent, { recursive: true, force: true }));

  test('two checkouts with different sources each load their own @racesafe/core, in any order', () => {
    const first = fakeCheckout(parent, 'first', 'first clone');
    const second = fakeCheckout(parent, 'second', 'second clone');
    expect([loadedIn(first), loadedIn(second), loadedIn(first), loadedIn(second)]).toEqual([
      'first clone',
      'second clone',
      'first clone',
      'second clone',
    ]);
  });

  test('a checkout deleted after a run does not break another, and a moved one runs from where it is', () => {
    const deleted = fakeCheckout(parent, 'deleted', 'deleted clone');
    const kept = fakeCheckout(parent, 'kept', 'kept clone');
    expect(loadedIn(deleted)).toBe('deleted clone');
    fs.rmSync(deleted, { recursive: true });
    expect(loadedIn(kept)).toBe('kept clone');

    const moved = path.join(parent, 'moved');
    fs.renameSync(kept, moved);
    writeMarker(moved, 'moved clone');
    expect(loadedIn(moved)).toBe('moved clone');
  });

  test('the cache lives in the checkout, never in a directory that checkouts share', () => {
    const checkout = fakeCheckout(parent, 'own', 'own clone');
    loadedIn(checkout);
    expect(
      fs.readdirSync(path.join(checkout, 'node_modules/.cache/racesafe-ts')).length,
    ).toBeGreaterThan(0);
  });
});
