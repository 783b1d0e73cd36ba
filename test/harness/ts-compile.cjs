// Compiles the repository's TypeScript for jest (jest-transform.cjs) and for every process started
// with ts-register.cjs (race children, the demo, the bench): ts.transpileModule with tsconfig.json's
// options, one file at a time as isolatedModules allows, to CommonJS with an inline source map.
// Not tsx: esbuild ignores emitDecoratorMetadata, and TypeORM needs `design:type` for
// `@Column()` without an explicit type, so TypeORM workers would fail under tsx.
//
// Loading the compiler costs ~200 ms of CPU per process, and each of jest's projects would compile
// the same file again, so results (the parsed tsconfig and each compiled file) are cached on disk
// and `typescript` is only required on a miss: a clean clone's `npm test` compiles each file once.
// The cache belongs to this checkout: it lives in the checkout's own node_modules/.cache and
// every key holds the checkout's path, because the parsed config holds absolute alias targets
// and a second clone (or a moved one) must never load `@racesafe/*` from another tree.
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '../..');
const cacheDir = path.join(root, 'node_modules', '.cache', 'racesafe-ts');
const sha1 = (...parts) => crypto.createHash('sha1').update(parts.join('\0')).digest('hex');
// Anything that changes the output: the checkout, compiler version, tsconfig files, this file.
const configKey = sha1(
  root,
  require('typescript/package.json').version,
  ...['tsconfig.json', 'tsconfig.base.json'].map((f) =>
    fs.readFileSync(path.join(root, f), 'utf8'),
  ),
  fs.readFileSync(__filename, 'utf8'),
);

function cached(key, compute) {
  const file = path.join(cacheDir, key);
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    const text = compute();
    // Processes start in parallel: write aside, then rename, so no one reads half a file.
    fs.mkdirSync(cacheDir, { recursive: true });
    const temp = `${file}.${process.pid}`;
    fs.writeFileSync(temp, text);
    fs.renameSync(temp, file);
    return text;
  }
}

const { compilerOptions, aliases } = JSON.parse(
  cached(`config-${configKey}.json`, () => {
    const ts = require('typescript');
    const { config } = ts.readConfigFile(path.join(root, 'tsconfig.json'), ts.sys.readFile);
    // Only compiler options matter; an empty `include` skips scanning the source tree.
    const { options } = ts.parseJsonConfigFileContent(
      { ...config, include: [], files: [] },
      ts.sys,
      root,
    );
    const base = options.baseUrl ?? options.pathsBasePath ?? root;
    return JSON.stringify({
      compilerOptions: {
        ...options,
        module: ts.ModuleKind.CommonJS,
        noEmit: false,
        sourceMap: false,
        inlineSourceMap: true,
        inlineSources: false,
      },
      // Exact entries (`"@racesafe/core": ["./packages/core/src"]`), like jest's moduleNameMapper.
      aliases: Object.entries(options.paths ?? {}).map(([name, [target]]) => [
        name,
        path.resolve(base, target),
      ]),
    });
  }),
);

/** The key of `source` compiled as `filename` (jest's cache key too). */
const compileKey = (filename, source) => sha1(configKey, filename, source);

/** `source` (the text of `filename`) as CommonJS with an inline source map, from the cache when there. */
function compile(filename, source) {
  return cached(`${compileKey(filename, source)}.js`, () => {
    const ts = require('typescript');
    return ts.transpileModule(source, { compilerOptions, fileName: filename }).outputText;
  });
}

module.exports = { aliases, compile, compileKey };
