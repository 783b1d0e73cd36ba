// Signup with TypeORM: getOrCreate an account by email, safely under concurrency.
//
//   npm run example:signup
//
// Shows: created vs existing; twenty simultaneous signups of one email making one row;
// ConflictError when the username (another unique constraint) is taken; and the advice
// RetryableError gives inside REPEATABLE READ transactions: retry the whole transaction.
import 'reflect-metadata';
import type { EntityManager } from 'typeorm';
import { ConflictError, type RaceSafeRepository, RetryableError } from '@racesafe/typeorm';
import { runExample } from './run-example';

// #region readme-typeorm
import { Column, DataSource, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { raceSafe } from '@racesafe/typeorm';

@Entity({ name: 'accounts' })
export class Account {
  @PrimaryGeneratedColumn() id!: number;
  @Column({ type: 'text' }) email!: string; // UNIQUE in the table: racesafe requires it
  @Column({ type: 'text', nullable: true }) username!: string | null; // UNIQUE too
  @Column({ type: 'text' }) name!: string;
}

export function signUp(
  dataSource: DataSource,
  email: string,
  name: string,
): Promise<[Account, boolean]> {
  const accounts = raceSafe(dataSource.getRepository(Account));
  return accounts.getOrCreate({ email }, { defaults: { name } }); // [account, created]
}
// #endregion

// #region readme-typeorm-setup
import pg from 'pg';
import { pgWithErrorListener } from '@racesafe/typeorm';

// pg with an 'error' listener on every client: a session the server ends (failover, restart) cannot crash the process.
export const openDataSource = (url: string) =>
  new DataSource({ type: 'postgres', url, driver: pgWithErrorListener(pg), entities: [Account] });
// #endregion

/** The table, with the unique constraints racesafe relies on. */
export const accountsSql = `
CREATE TABLE IF NOT EXISTS accounts (
  id serial PRIMARY KEY,
  email text NOT NULL CONSTRAINT accounts_email_key UNIQUE,
  username text CONSTRAINT accounts_username_key UNIQUE,
  name text NOT NULL
)`;

// #region readme-conflict
/** A signup form: the email finds or creates the account; a taken username is the user's problem. */
export async function register(
  accounts: RaceSafeRepository<Account>,
  email: string,
  username: string,
  name: string,
): Promise<string> {
  try {
    const [account, created] = await accounts.getOrCreate(
      { email },
      { defaults: { username, name } },
    );
    return created ? `welcome, ${account.name}` : `${email} already has an account: log in instead`;
  } catch (error) {
    // Another unique constraint than the lookup's fired: nothing was found, nothing created.
    if (error instanceof ConflictError)
      return `username "${username}" is taken (${error.constraint})`;
    throw error;
  }
}
// #endregion

// #region readme-retry
/**
 * Runs `work` in a REPEATABLE READ transaction and runs the whole transaction again when
 * racesafe throws RetryableError (a deadlock, a serialization failure, or a row created
 * by a concurrent caller that this snapshot cannot see). Retries belong here, at the
 * outermost transaction: racesafe cannot retry a transaction it does not own.
 */
export async function inTransactionWithRetry<T>(
  dataSource: DataSource,
  work: (manager: EntityManager) => Promise<T>,
  attempts = 5,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await dataSource.transaction('REPEATABLE READ', work);
    } catch (error) {
      if (!(error instanceof RetryableError) || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * 2 ** attempt)); // jittered backoff
    }
  }
}
// #endregion

export async function main(url: string): Promise<void> {
  const dataSource = await openDataSource(url).initialize();
  try {
    await dataSource.query(accountsSql);
    const accounts = raceSafe(dataSource.getRepository(Account));

    // 1. The first signup creates the account; the second finds it and leaves it as it was.
    const [first, firstCreated] = await signUp(dataSource, 'ann@example.com', 'Ann');
    const [again, againCreated] = await signUp(dataSource, 'ann@example.com', 'Ann Again');
    console.log(
      `signup ann@example.com: created=${firstCreated} id=${first.id} name=${first.name}`,
    );
    console.log(
      `signup ann@example.com again: created=${againCreated} id=${again.id} name=${again.name}`,
    );

    // 2. A double-clicked submit button, times twenty: all at once, one row.
    const racers = 20;
    const results = await Promise.all(
      Array.from({ length: racers }, (_, i) => signUp(dataSource, 'bob@example.com', `Bob #${i}`)),
    );
    const ids = new Set(results.map(([account]) => account.id));
    const createdCount = results.filter(([, created]) => created).length;
    const rows = await accounts.countBy({ email: 'bob@example.com' });
    console.log(
      `${racers} simultaneous signups of bob@example.com: ${createdCount} created, ${racers - createdCount} found, ${ids.size} id, ${rows} row`,
    );

    // 3. Another unique constraint than the lookup's: ConflictError names it.
    console.log(await register(accounts, 'cat@example.com', 'cat', 'Cat'));
    console.log(await register(accounts, 'cat@example.com', 'cat', 'Cat'));
    console.log(await register(accounts, 'kitten@example.com', 'cat', 'Kitten'));

    // 4. Inside REPEATABLE READ transactions a loser cannot see the winner's row in its
    //    snapshot: racesafe throws RetryableError and the whole transaction runs again.
    let attemptsMade = 0;
    const inTransactions = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        inTransactionWithRetry(dataSource, (manager) => {
          attemptsMade += 1;
          return manager
            .withRepository(accounts)
            .getOrCreate({ email: 'dan@example.com' }, { defaults: { name: `Dan #${i}` } });
        }),
      ),
    );
    const danCreated = inTransactions.filter(([, created]) => created).length;
    console.log(
      `8 signups of dan@example.com in REPEATABLE READ transactions: ${danCreated} created, ${8 - danCreated} found, ` +
        `${attemptsMade - 8} transaction(s) retried after RetryableError`,
    );
  } finally {
    await dataSource.destroy();
  }
}

if (require.main === module) runExample('signup', main);
