import type { TSESLint } from '@typescript-eslint/utils';

/** The context every racesafe rule receives (no options). */
export type RuleContext = Readonly<TSESLint.RuleContext<string, readonly unknown[]>>;
