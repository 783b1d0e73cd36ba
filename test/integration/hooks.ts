// What the test models' hooks do, written once so that both packages' hooks (Sequelize
// hooks and validators, TypeORM entity listeners and a subscriber) store the same rows and
// the shared suite (hooks.suite.ts) expects the same from both.

/** One hook call as observed, in order. */
export interface HookCall {
  event: string;
  email?: string | null;
  id?: number;
}

/** Every hook call since the last reset; the shared suite clears it before each test. */
export const hookCalls: HookCall[] = [];

/** A hook's own error, passed through unchanged by racesafe. */
export class HookRefusal extends Error {
  override name = 'HookRefusal';
}

/** What an application's password hashing would store (deterministic, so tests can compare). */
export const hashed = (password: string): string => `hashed:${password}`;

interface AccountValues {
  email: string;
  password?: string | null;
  name?: string | null;
  slug?: string | null;
  note?: string | null;
}

/** The before-hooks of the Account model, as an application writes them; `name` steers the odd cases. */
export const hookBehaviour = {
  beforeCreate(account: AccountValues): void {
    hookCalls.push({ event: 'beforeCreate', email: account.email });
    if (account.name === 'throw in beforeCreate')
      throw new HookRefusal('beforeCreate refused the row');
    if (account.name === 'lowercase email') account.email = account.email.toLowerCase();
    if (account.password) account.password = hashed(account.password);
    account.slug = account.name ? account.name.toLowerCase().replace(/\W+/g, '-') : null;
  },
  beforeUpdate(account: AccountValues): void {
    hookCalls.push({ event: 'beforeUpdate', email: account.email });
    if (account.name === 'throw in beforeUpdate')
      throw new HookRefusal('beforeUpdate refused the change');
    if (account.password && !account.password.startsWith('hashed:'))
      account.password = hashed(account.password);
    account.note = `updated by hook`;
  },
};
