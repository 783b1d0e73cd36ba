// Runs one rule's cases twice: with type information (typescript-eslint's project service on a
// fixture tsconfig that resolves the installed typeorm, sequelize and sequelize-typescript) and
// without it (the parser alone). A case marked `typedOnly` is a finding only the type checker can
// make: without types it must lint clean, so the syntactic mode reports fewer findings, never others.
import path from 'node:path';
import { RuleTester } from '@typescript-eslint/rule-tester';
import type { TSESLint } from '@typescript-eslint/utils';

RuleTester.afterAll = afterAll;
RuleTester.describe = describe;
RuleTester.it = it;
RuleTester.itOnly = it.only;

const fixtures = path.join(__dirname, 'fixtures');

/** Entities and models every case may use, declared the way applications declare them. */
export const HEADER = `import { BaseEntity, Column, DataSource, Entity, EntityManager, PrimaryGeneratedColumn, Repository } from 'typeorm';
import { Model, ModelStatic, Op } from 'sequelize';
import { Column as SColumn, Model as STModel, Table } from 'sequelize-typescript';
@Entity() class User { @PrimaryGeneratedColumn() id!: number; @Column() email!: string; @Column() name!: string; @Column() logins!: number; }
@Entity() class Product { @PrimaryGeneratedColumn() id!: number; @Column() sku!: string; @Column() stock!: number; }
@Entity() class Tag extends BaseEntity { @PrimaryGeneratedColumn() id!: number; @Column() name!: string; @Column() uses!: number; }
class Page extends Model { declare id: number; declare path: string; declare views: number; }
class Item extends Model { declare id: number; declare sku: string; declare stock: number; }
@Table class Account extends STModel { @SColumn declare email: string; @SColumn declare balance: number; }
declare const dataSource: DataSource;
declare function InjectRepository(entity: unknown): ParameterDecorator;
`;

/** HEADER with the import lines a suggestion adds after the last import, and names it appends to typeorm's import. */
export function withImports(lines: string[], typeormNames: string[] = []): string {
  const typeorm = typeormNames.length
    ? HEADER.replace(' Repository }', ` Repository, ${typeormNames.join(', ')} }`)
    : HEADER;
  const anchor = "from 'sequelize-typescript';";
  return typeorm.replace(anchor, [anchor, ...lines].join('\n'));
}

export interface Case {
  /** What the case shows (the test's name). */
  name: string;
  code: string;
  /** Findings (invalid cases); each with one suggestion unless `suggestions` says otherwise. */
  errors?: number;
  /** The code after applying the first finding's suggestion, when the case pins it down. */
  output?: string;
  /** The header after the suggestion (imports added): see withImports. */
  outputHeader?: string;
  /** The messageId of that suggestion. */
  suggestionId?: string;
  suggestions?: number;
  /** Every suggestion of the first finding, in order, each with the code after it (after the header) and its description's data. */
  suggestionOutputs?: { messageId: string; output: string; data?: Record<string, string> }[];
  /** The first finding's message data, when the case pins its text down. */
  data?: Record<string, string>;
  /** Found with type information only; clean without it. */
  typedOnly?: boolean;
  messageId?: string;
}

// `as never`: under the repository's moduleResolution node, RuleTesterConfig's flat-config part does not resolve.
const typed = new RuleTester({
  languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: fixtures } },
});
const syntactic = new RuleTester();

/** Runs `valid` and `invalid` cases in both modes; every invalid case is also a finding of the syntactic mode unless typedOnly. */
export function runRule(
  name: string,
  rule: TSESLint.RuleModule<string, []>,
  messageId: string,
  cases: { valid: Case[]; invalid: Case[] },
): void {
  const invalid = (c: Case) => ({
    name: c.name,
    code: HEADER + c.code,
    filename: path.join(fixtures, 'file.ts'),
    errors: Array.from({ length: c.errors ?? 1 }, (_, i) => ({
      messageId: (c.messageId ?? messageId) as never,
      ...(i === 0 && c.data ? { data: c.data } : {}),
      suggestions:
        i === 0 && c.suggestionOutputs
          ? c.suggestionOutputs.map((s) => ({
              messageId: s.messageId as never,
              output: (c.outputHeader ?? HEADER) + s.output,
              ...(s.data ? { data: s.data } : {}),
            }))
          : i === 0 && c.output !== undefined
            ? [
                {
                  messageId: c.suggestionId as never,
                  output: (c.outputHeader ?? HEADER) + c.output,
                },
              ]
            : (c.suggestions ?? 1),
    })),
  });
  const valid = (c: Case) => ({
    name: c.name,
    code: HEADER + c.code,
    filename: path.join(fixtures, 'file.ts'),
  });
  describe(`${name} with type information`, () => {
    typed.run(name, rule, {
      valid: cases.valid.map(valid),
      invalid: cases.invalid.map(invalid) as never,
    });
  });
  describe(`${name} without type information`, () => {
    syntactic.run(name, rule, {
      valid: [...cases.valid, ...cases.invalid.filter((c) => c.typedOnly)].map(valid),
      invalid: cases.invalid.filter((c) => !c.typedOnly).map(invalid) as never,
    });
  });
}
