// jest's transformer for .ts: the compile of ts-compile.cjs, whose on-disk cache jest's projects,
// its lanes and the race children share. ts-jest kept one cache per jest project (five of them
// here), so a clean clone compiled each file up to five times. Jest reads the inline source map.
const { compile, compileKey } = require('./ts-compile.cjs');

module.exports = {
  getCacheKey: (source, filename) => compileKey(filename, source),
  process: (source, filename) => ({ code: compile(filename, source) }),
};
