// A CommonJS program using a package installed from its npm pack tarball:
//   node consumer.cjs <typeorm|sequelize> <postgres url> <tag>
// prints one JSON line (see scenario.cjs) with how the package was resolved.
'use strict';
require('reflect-metadata');
const { run } = require('./scenario.cjs');

const [orm, url, tag] = process.argv.slice(2);
const racesafe = require(`@racesafe/${orm}`);
run(orm, url, tag, { racesafe, orm: require(orm) }).then(
  (result) =>
    process.stdout.write(
      `${JSON.stringify({ ...result, resolved: require.resolve(`@racesafe/${orm}`) })}\n`,
    ),
  (error) => {
    console.error(error);
    process.exitCode = 1;
  },
);
