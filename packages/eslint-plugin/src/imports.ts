import type { TSESLint, TSESTree } from '@typescript-eslint/utils';

/** The racesafe package a suggestion imports from, per ORM. */
export const RACESAFE_MODULE = {
  typeorm: '@racesafe/typeorm',
  sequelize: '@racesafe/sequelize',
} as const;

/**
 * Fixes that make `names` importable from `source` in an ES module: added to an existing
 * `import { ... } from source`, or a new import after the last one. Nothing for names already
 * imported, and nothing in a CommonJS file (the suggestion's message names the import).
 */
export function addImports(
  fixer: TSESLint.RuleFixer,
  sourceCode: Readonly<TSESLint.SourceCode>,
  source: string,
  names: string[],
): TSESLint.RuleFix[] {
  const program = sourceCode.ast;
  const imports = program.body.filter(
    (statement): statement is TSESTree.ImportDeclaration => statement.type === 'ImportDeclaration',
  );
  if (imports.length === 0 && program.sourceType !== 'module') return [];
  const imported = new Set(
    imports.flatMap((declaration) =>
      declaration.specifiers.map((specifier) => specifier.local.name),
    ),
  );
  const missing = names.filter((name) => !imported.has(name));
  if (missing.length === 0) return [];
  const existing = imports.find(
    (declaration) =>
      declaration.source.value === source &&
      declaration.importKind !== 'type' &&
      declaration.specifiers.some((s) => s.type === 'ImportSpecifier'),
  );
  if (existing) {
    const last = existing.specifiers[existing.specifiers.length - 1];
    return [fixer.insertTextAfter(last, `, ${missing.join(', ')}`)];
  }
  const statement = `import { ${missing.join(', ')} } from '${source}';`;
  const after = imports[imports.length - 1];
  return [
    after
      ? fixer.insertTextAfter(after, `\n${statement}`)
      : fixer.insertTextBeforeRange([0, 0], `${statement}\n`),
  ];
}
