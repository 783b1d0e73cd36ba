import { useTestDatabase } from '../harness/database';
import { schemaSql, truncateSql } from '../schema/tables';
import { StatementLog } from '../support/statement-log';
import type { OpenTestOrm, TestOrm } from './orm';

/**
 * Per test file: a fresh database with the shared schema, one TestOrm on it whose
 * statements land in `log`, and tables emptied before each test.
 */
export function useTestOrm(open: OpenTestOrm, seed?: (orm: TestOrm) => Promise<void>) {
  const db = useTestDatabase(schemaSql);
  const log = new StatementLog();
  let orm: TestOrm | undefined;
  beforeAll(async () => {
    orm = await open(db.url(), { onQuery: log.record });
  });
  afterAll(() => orm?.close());
  beforeEach(async () => {
    await orm!.query(truncateSql);
    await seed?.(orm!);
    log.clear();
  });
  return { db, log, orm: () => orm! };
}
