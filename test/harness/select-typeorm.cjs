// Preloaded into forked race workers: with RACESAFE_TYPEORM=0.3, `require('typeorm')`
// resolves to the npm alias `typeorm03`, mirroring jest's moduleNameMapper.
const Module = require('module');
if (process.env.RACESAFE_TYPEORM === '0.3') {
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (request, ...rest) {
    if (request === 'typeorm' || request.startsWith('typeorm/')) {
      request = 'typeorm03' + request.slice('typeorm'.length);
    }
    return resolve.call(this, request, ...rest);
  };
}
