import { dialectFor } from '@racesafe/core';
import mysql from 'mysql2/promise';
import { asMysql8ServerUrl, describeAsMysql8, describeOnMysql, mysqlServerUrl } from './database';
import { AS_MYSQL8_VERSION } from './mariadb';

/** Every question the mysql adapter asks the server before a compound statement (`availableSql`), by adapter answer. */
const compoundQuestions = () => {
  const { findOrInsert, updateOrInsert, insertThenSelect, updateThenSelect } = dialectFor('mysql');
  return Object.entries({ findOrInsert, updateOrInsert, insertThenSelect, updateThenSelect }).map(
    ([name, answer]) => [name, answer!.availableSql] as const,
  );
};

/** Each question's `available`, asked on a connection to `url`, with the server's VERSION(). */
async function answers(url: string): Promise<{ version: string; available: [string, number][] }> {
  const connection = await mysql.createConnection({ uri: url });
  try {
    const ask = async (sql: string) =>
      ((await connection.query<mysql.RowDataPacket[]>(sql))[0][0] ?? {}) as Record<string, unknown>;
    const available: [string, number][] = [];
    for (const [name, sql] of compoundQuestions())
      available.push([name, Number((await ask(sql)).available)]);
    return { version: String((await ask('SELECT VERSION() AS v')).v), available };
  } finally {
    await connection.end();
  }
}

// The "as MySQL 8" run is only worth its time if racesafe takes MySQL 8's paths there: the adapter's detection must not call this server MariaDB.
describeAsMysql8("the run's MariaDB reporting MySQL 8's version", () => {
  it(`reports ${AS_MYSQL8_VERSION}, and every compound-statement question of the mysql adapter is answered "not available"`, async () => {
    const { version, available } = await answers(asMysql8ServerUrl()!);
    expect(version).toBe(AS_MYSQL8_VERSION);
    expect(available).toEqual(compoundQuestions().map(([name]) => [name, 0]));
  });
});

describeOnMysql("the run's MariaDB, by the same questions", () => {
  // A RACESAFE_MYSQL_URL server may be a MySQL: only the MariaDB this run started is known to be one.
  (process.env.RACESAFE_MYSQL_URL ? it.skip : it)(
    'is told apart: every compound-statement question is answered "available"',
    async () => {
      const { version, available } = await answers(mysqlServerUrl()!);
      expect(version).toMatch(/MariaDB/);
      expect(available).toEqual(compoundQuestions().map(([name]) => [name, 1]));
    },
  );
});
