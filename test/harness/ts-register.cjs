// Preloaded into forked race children, the demo and the bench (`node --require`): compiles .ts
// exactly as jest does here (ts-compile.cjs, shared with jest-transform.cjs and its cache) and
// resolves tsconfig `paths`.
const Module = require('module');
const fs = require('fs');
const { aliases, compile } = require('./ts-compile.cjs');

const aliasMap = new Map(aliases);
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return resolve.call(this, aliasMap.get(request) ?? request, ...rest);
};

require.extensions['.ts'] = function (module, filename) {
  module._compile(compile(filename, fs.readFileSync(filename, 'utf8')), filename);
};
