// Tells forked race workers to load TypeORM 0.3 (see test/harness/select-typeorm.cjs).
process.env.RACESAFE_TYPEORM = '0.3';
