import type { TSESTree } from '@typescript-eslint/utils';
import type * as ts from 'typescript';
import type { OrmReceiver } from './receivers';
import type { RuleContext } from './rule-context';

// typescript's enum values, without loading typescript at runtime (it is the parser's to load).
const TYPE_FLAGS_ANY_OR_UNKNOWN = 1 | 2;
const SIGNATURE_KIND_CONSTRUCT = 1;

/** A declaration in the installed typeorm (typeorm03 and other aliases too) or sequelize / sequelize-typescript. */
const LIBRARY = {
  typeorm: /[\\/]node_modules[\\/]typeorm[^\\/]*[\\/]/,
  sequelize: /[\\/]node_modules[\\/]sequelize(-typescript)?[\\/]/,
};

function declaredIn(symbol: ts.Symbol | undefined, library: RegExp): boolean {
  return (
    symbol?.declarations?.some((declaration) =>
      library.test(declaration.getSourceFile().fileName),
    ) ?? false
  );
}

/** The type itself, its intersection members and its base classes, with their type references. */
function hierarchy(checker: ts.TypeChecker, type: ts.Type): ts.Type[] {
  const found: ts.Type[] = [];
  const visit = (t: ts.Type, depth: number) => {
    if (depth > 8 || found.includes(t)) return;
    found.push(t);
    if (t.isUnionOrIntersection()) for (const member of t.types) visit(member, depth + 1);
    const target = (t as ts.TypeReference).target;
    if (target && target !== t) visit(target, depth + 1);
    if (t.isClassOrInterface()) for (const base of checker.getBaseTypes(t)) visit(base, depth + 1);
  };
  visit(type, 0);
  return found;
}

/** The member of `type`'s hierarchy that is one of `names` declared in `library`. */
function findNamed(
  checker: ts.TypeChecker,
  type: ts.Type,
  names: string[],
  library: RegExp,
): ts.Type | undefined {
  return hierarchy(checker, type).find((t) => {
    const symbol = t.getSymbol();
    return symbol !== undefined && names.includes(symbol.getName()) && declaredIn(symbol, library);
  });
}

/** `User` for `Repository<User>` (or a class extending it). */
function entityArgument(checker: ts.TypeChecker, type: ts.Type): string | undefined {
  for (const t of hierarchy(checker, type)) {
    const reference = t as ts.TypeReference;
    if (reference.target && reference.target.getSymbol()?.getName().endsWith('Repository')) {
      const argument = checker.getTypeArguments(reference)[0];
      const name = argument?.getSymbol()?.getName();
      if (name && name !== 'Entity') return name;
    }
  }
  return undefined;
}

/**
 * The name of an application's own class; undefined for the libraries' own (`Model` of a
 * `sequelize.define(...)` model): every such model would share the name, the receiver's text tells them apart.
 */
function ownName(symbol: ts.Symbol | undefined): string | undefined {
  if (!symbol || declaredIn(symbol, LIBRARY.sequelize) || declaredIn(symbol, LIBRARY.typeorm))
    return undefined;
  return symbol.getName();
}

/** A class whose instances extend Sequelize's Model (or TypeORM's BaseEntity): `typeof User`, `ModelStatic<User>`. */
function modelClass(checker: ts.TypeChecker, type: ts.Type): OrmReceiver | undefined {
  for (const signature of checker.getSignaturesOfType(type, SIGNATURE_KIND_CONSTRUCT)) {
    const instance = signature.getReturnType();
    const entity = ownName(instance.getSymbol());
    if (findNamed(checker, instance, ['Model'], LIBRARY.sequelize))
      return { orm: 'sequelize', kind: 'model', entity };
    if (findNamed(checker, instance, ['BaseEntity'], LIBRARY.typeorm))
      return { orm: 'typeorm', kind: 'model', entity };
  }
  return undefined;
}

/**
 * The receiver as the type checker sees it: a TypeORM Repository (custom and extended ones
 * included) or EntityManager, a Sequelize model class (sequelize-typescript too) or a TypeORM
 * BaseEntity class; `undefined` when the type is known and is none of them; `'unknown'` when
 * the file has no type information or the type did not resolve (`any`).
 */
export function typedReceiver(
  context: RuleContext,
  node: TSESTree.Node,
): OrmReceiver | undefined | 'unknown' {
  const services = context.sourceCode.parserServices;
  if (!services?.program || !services.esTreeNodeToTSNodeMap) return 'unknown';
  const checker = services.program.getTypeChecker();
  const type = checker.getTypeAtLocation(services.esTreeNodeToTSNodeMap.get(node));
  if (type.flags & TYPE_FLAGS_ANY_OR_UNKNOWN) return 'unknown';
  if (
    findNamed(checker, type, ['Repository', 'TreeRepository', 'MongoRepository'], LIBRARY.typeorm)
  ) {
    return { orm: 'typeorm', kind: 'repository', entity: entityArgument(checker, type) };
  }
  if (findNamed(checker, type, ['EntityManager', 'MongoEntityManager'], LIBRARY.typeorm))
    return { orm: 'typeorm', kind: 'manager', entity: undefined };
  return modelClass(checker, type);
}

/** The class name of an expression's type (`User` for a `User` instance), when type information exists. */
export function typedClassName(context: RuleContext, node: TSESTree.Node): string | undefined {
  const services = context.sourceCode.parserServices;
  if (!services?.program || !services.esTreeNodeToTSNodeMap) return undefined;
  const type = services.program
    .getTypeChecker()
    .getTypeAtLocation(services.esTreeNodeToTSNodeMap.get(node));
  if (type.flags & TYPE_FLAGS_ANY_OR_UNKNOWN) return undefined;
  return ownName(type.getSymbol());
}

/** How an entity declares a column: TypeORM's `@DeleteDateColumn`, another `@...Column`, or unknown. */
export type ColumnKind = 'deleteDate' | 'column' | undefined;

/** The kind of a column from the decorators written on it (`@DeleteDateColumn()`, `@Column(...)`). */
export function kindFromDecorators(decorators: string[]): ColumnKind {
  if (decorators.some((d) => /^@\s*DeleteDateColumn\b/.test(d))) return 'deleteDate';
  return decorators.some((d) => /^@\s*\w*Column\b/.test(d)) ? 'column' : undefined;
}

/**
 * How the entity a read returns declares `property`, from the property's declaration in source
 * (a `.d.ts` keeps no decorators: unknown there, and without type information).
 */
export function typedColumnKind(
  context: RuleContext,
  read: TSESTree.Node,
  property: string,
): ColumnKind {
  const services = context.sourceCode.parserServices;
  if (!services?.program || !services.esTreeNodeToTSNodeMap) return undefined;
  const checker = services.program.getTypeChecker();
  const returned = checker.getTypeAtLocation(services.esTreeNodeToTSNodeMap.get(read));
  const entity = checker.getNonNullableType(checker.getAwaitedType(returned) ?? returned);
  const declarations = checker.getPropertyOfType(entity, property)?.declarations ?? [];
  // A property's text starts with its decorators (they are its modifiers), before its name.
  const decorators = declarations.flatMap((d) => {
    const name = (d as ts.NamedDeclaration).name;
    const head = name ? d.getText().slice(0, name.getStart() - d.getStart()) : '';
    return head.match(/@\s*[\w.]+/g) ?? [];
  });
  return kindFromDecorators(decorators);
}
