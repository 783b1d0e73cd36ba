import * as typeorm from 'typeorm';

// The TypeORM suite runs on both majors; this proves each jest project loaded the one it names.
it('runs on the TypeORM major this project names', () => {
  const expectsLegacy = process.env.RACESAFE_TYPEORM === '0.3';
  // 1.x removed the deprecated Connection class (and findByIds) that 0.3 still exports.
  expect('Connection' in typeorm).toBe(expectsLegacy);
});
