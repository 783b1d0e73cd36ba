// Preloaded into forked race children (`node --require`): compiles .ts exactly as jest does
// here (ts-jest with isolatedModules = ts.transpileModule) and resolves tsconfig `paths`.
// Not tsx: esbuild ignores emitDecoratorMetadata, and TypeORM needs `design:type` for
// `@Column()` without an explicit type, so TypeORM workers would fail under tsx.
const fs = require('fs');
const Module = require('module');
const path = require('path');
const ts = require('typescript');

const root = path.resolve(__dirname, '../..');
const configFile = path.join(root, 'tsconfig.json');
// Only compiler options matter; an empty `include` skips scanning the source tree.
const { config } = ts.readConfigFile(configFile, ts.sys.readFile);
const parsed = ts.parseJsonConfigFileContent({ ...config, include: [], files: [] }, ts.sys, root);
const compilerOptions = {
  ...parsed.options,
  module: ts.ModuleKind.CommonJS,
  noEmit: false,
  sourceMap: false,
  inlineSourceMap: true,
  inlineSources: true,
};

// Exact `paths` entries (`"@racesafe/core": ["./packages/core/src"]`), like jest's moduleNameMapper.
const pathsBase = parsed.options.baseUrl ?? parsed.options.pathsBasePath ?? root;
const aliases = new Map(
  Object.entries(parsed.options.paths ?? {}).map(([name, [target]]) => [name, path.resolve(pathsBase, target)]),
);
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return resolve.call(this, aliases.get(request) ?? request, ...rest);
};

require.extensions['.ts'] = function (module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const { outputText } = ts.transpileModule(source, { compilerOptions, fileName: filename });
  module._compile(outputText, filename);
};
