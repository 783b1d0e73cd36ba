// An ES module program using the packages installed from their npm pack tarballs, with
// named imports (Node reads them from the CommonJS build):
//   node consumer.mjs <typeorm|sequelize> <postgres url> <tag>
import 'reflect-metadata';
import { createRequire } from 'node:module';
import {
  ConflictError as TypeormConflictError,
  F,
  raceSafe,
  RaceSafeError,
} from '@racesafe/typeorm';
import * as typeorm from 'typeorm';
import scenario from './scenario.cjs';

const [orm, url, tag] = process.argv.slice(2);
const require = createRequire(import.meta.url);
let modules;
if (orm === 'typeorm') {
  modules = {
    racesafe: { raceSafe, F, ConflictError: TypeormConflictError, RaceSafeError },
    orm: typeorm,
  };
} else {
  const {
    RaceSafeModel,
    F: SequelizeF,
    ConflictError,
    RaceSafeError: SequelizeRaceSafeError,
  } = await import('@racesafe/sequelize');
  modules = {
    racesafe: {
      RaceSafeModel,
      F: SequelizeF,
      ConflictError,
      RaceSafeError: SequelizeRaceSafeError,
    },
    orm: (await import('sequelize')).default,
  };
}
try {
  const result = await scenario.run(orm, url, tag, modules);
  // One class, whichever way it is loaded: no dual-package copy of the errors.
  const sameClassAsRequire =
    modules.racesafe.ConflictError === require(`@racesafe/${orm}`).ConflictError;
  process.stdout.write(
    `${JSON.stringify({ ...result, sameClassAsRequire, resolved: import.meta.resolve(`@racesafe/${orm}`) })}\n`,
  );
} catch (error) {
  console.error(error);
  process.exitCode = 1;
}
