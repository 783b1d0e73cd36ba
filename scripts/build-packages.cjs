// `npm run build`: every workspace package compiled by its own tsconfig.json, as its `build` script
// does (`tsc -p tsconfig.json` after emptying dist/), but in one process: a package's dependencies
// first, and the declarations under node_modules (Node's, TypeORM's, Sequelize's, NestJS's) parsed
// once for all five instead of once per package. Measured on 2 cores: 6.2 s and 10.2 CPU-seconds,
// where `lerna run build` (five tsc processes, plus lerna and npm) took 10.1 s and 17.8; the emitted
// files are byte for byte the same. A package alone still builds with `npm run build -w <package>`.
const fs = require('node:fs');
const path = require('node:path');
// The repository's compiler (5.9), by path: node_modules/.bin/tsc may be TypeScript 7's (install order).
const ts = require('typescript');

const root = path.resolve(__dirname, '..');
const packagesDir = path.join(root, 'packages');

/** The workspace packages, each after the workspace packages it depends on. */
function packagesInBuildOrder() {
  const dirs = require(path.join(root, 'package.json')).workspaces.map((w) => path.join(root, w));
  const byName = new Map(dirs.map((dir) => [require(path.join(dir, 'package.json')).name, dir]));
  const ordered = [];
  const visit = (name, seen = []) => {
    if (ordered.includes(byName.get(name))) return;
    if (seen.includes(name))
      throw new Error(`build: a dependency cycle: ${[...seen, name].join(' -> ')}`);
    const manifest = require(path.join(byName.get(name), 'package.json'));
    const deps = {
      ...manifest.dependencies,
      ...manifest.peerDependencies,
      ...manifest.devDependencies,
    };
    for (const dep of Object.keys(deps).filter((d) => byName.has(d))) visit(dep, [...seen, name]);
    ordered.push(byName.get(name));
  };
  for (const name of byName.keys()) visit(name);
  return ordered;
}

/** A declaration file of an installed package (not one of ours, whose dist/ this run rewrites). */
function isShared(file) {
  return file.includes('/node_modules/') && !fs.realpathSync(file).startsWith(packagesDir);
}

const parsed = new Map();
/** A compiler host whose shared source files are parsed once per run. */
function sharingHost(options) {
  const host = ts.createCompilerHost(options);
  const parse = host.getSourceFile.bind(host);
  host.getSourceFile = (file, languageVersion, ...rest) => {
    if (!isShared(file)) return parse(file, languageVersion, ...rest);
    // The parse depends on the language version and, under node16, on the file's module format.
    const key = `${file}\0${JSON.stringify(languageVersion)}`;
    if (!parsed.has(key)) parsed.set(key, parse(file, languageVersion, ...rest));
    return parsed.get(key);
  };
  return host;
}

/** `tsc -p <dir>/tsconfig.json` after emptying dist/; returns the diagnostics, formatted. */
function build(dir) {
  fs.rmSync(path.join(dir, 'dist'), { recursive: true, force: true });
  const config = ts.getParsedCommandLineOfConfigFile(
    path.join(dir, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  const host = sharingHost(config.options);
  const program = ts.createProgram({ rootNames: config.fileNames, options: config.options, host });
  const emitted = program.emit();
  const diagnostics = [
    ...config.errors,
    ...ts.getPreEmitDiagnostics(program),
    ...emitted.diagnostics,
  ];
  const format = process.stdout.isTTY
    ? ts.formatDiagnosticsWithColorAndContext
    : ts.formatDiagnostics;
  return diagnostics.length === 0 ? '' : format(diagnostics, host);
}

let failed = false;
for (const dir of packagesInBuildOrder()) {
  const errors = build(dir);
  if (errors) {
    failed = true;
    process.stdout.write(`${path.relative(root, dir)}:\n${errors}\n`);
  }
}
process.exitCode = failed ? 1 : 0;
