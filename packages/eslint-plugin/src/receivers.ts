import type { TSESTree } from '@typescript-eslint/utils';
import type { RuleContext } from './rule-context';
import { typedReceiver } from './typed-receivers';

/** Which ORM a receiver belongs to, and the entity or model it reads and writes. */
export interface OrmReceiver {
  orm: 'typeorm' | 'sequelize';
  /** `repository`: a TypeORM Repository; `manager`: an EntityManager (entity class as first argument); `model`: a Sequelize model or TypeORM BaseEntity class. */
  kind: 'repository' | 'manager' | 'model';
  /** The entity or model name when known: two calls on the same name touch the same table. */
  entity: string | undefined;
}

/** `a.b.c` as text for simple member chains and `this`, undefined otherwise. */
export function chainText(node: TSESTree.Node): string | undefined {
  if (node.type === 'Identifier') return node.name;
  if (node.type === 'ThisExpression') return 'this';
  if (node.type === 'MemberExpression' && !node.computed && node.property.type === 'Identifier') {
    const object = chainText(node.object);
    return object === undefined ? undefined : `${object}.${node.property.name}`;
  }
  if (node.type === 'TSNonNullExpression') return chainText(node.expression);
  return undefined;
}

const REPOSITORY_TYPES = new Set(['Repository', 'TreeRepository', 'MongoRepository']);
const MANAGER_TYPES = new Set(['EntityManager', 'MongoEntityManager', 'SqljsEntityManager']);
const REPOSITORY_FACTORIES = new Set([
  'getRepository',
  'getTreeRepository',
  'getMongoRepository',
  'getCustomRepository',
]);

/** The last name of a type reference: `Repository<User>` -> Repository, `typeorm.EntityManager` -> EntityManager. */
function typeName(
  annotation: TSESTree.TypeNode | undefined,
): { name: string; argument: string | undefined } | undefined {
  if (!annotation || annotation.type !== 'TSTypeReference') return undefined;
  const name =
    annotation.typeName.type === 'Identifier'
      ? annotation.typeName.name
      : annotation.typeName.type === 'TSQualifiedName'
        ? annotation.typeName.right.name
        : undefined;
  const first = annotation.typeArguments?.params[0];
  const argument =
    first?.type === 'TSTypeReference' && first.typeName.type === 'Identifier'
      ? first.typeName.name
      : undefined;
  return name === undefined ? undefined : { name, argument };
}

/** What a declaration's type annotation or initializer says a name holds. */
function fromDeclaration(
  annotation: TSESTree.TypeNode | undefined,
  init: TSESTree.Expression | null | undefined,
  decorators: TSESTree.Decorator[],
): OrmReceiver | undefined {
  const type = typeName(annotation);
  if (type && REPOSITORY_TYPES.has(type.name))
    return { orm: 'typeorm', kind: 'repository', entity: type.argument };
  if (type && MANAGER_TYPES.has(type.name))
    return { orm: 'typeorm', kind: 'manager', entity: undefined };
  for (const decorator of decorators) {
    // Nest: @InjectRepository(User) private users: Repository<User>; @InjectModel(User) private users: typeof User.
    const call = decorator.expression;
    if (call.type !== 'CallExpression' || call.callee.type !== 'Identifier') continue;
    const argument = call.arguments[0]?.type === 'Identifier' ? call.arguments[0].name : undefined;
    if (call.callee.name === 'InjectRepository')
      return { orm: 'typeorm', kind: 'repository', entity: argument };
    if (call.callee.name === 'InjectModel')
      return { orm: 'sequelize', kind: 'model', entity: argument };
    if (call.callee.name === 'InjectEntityManager')
      return { orm: 'typeorm', kind: 'manager', entity: undefined };
  }
  return init ? fromExpression(init) : undefined;
}

/** What an expression evaluates to, from its own shape: `ds.getRepository(User)`, `ds.manager`. */
function fromExpression(node: TSESTree.Expression): OrmReceiver | undefined {
  if (node.type === 'AwaitExpression') return fromExpression(node.argument);
  if (node.type === 'TSAsExpression' || node.type === 'TSNonNullExpression')
    return fromExpression(node.expression);
  if (
    node.type === 'CallExpression' &&
    node.callee.type === 'MemberExpression' &&
    node.callee.property.type === 'Identifier'
  ) {
    const method = node.callee.property.name;
    // getRepository(User), and wrappers that take a context first: getRepository(ctx, User).
    const argument = [...node.arguments]
      .reverse()
      .find(
        (arg): arg is TSESTree.Identifier => arg.type === 'Identifier' && /^[A-Z]/.test(arg.name),
      )?.name;
    if (REPOSITORY_FACTORIES.has(method))
      return { orm: 'typeorm', kind: 'repository', entity: argument };
    // racesafe's own raceSafe(repo) and TypeORM's withRepository(repo) keep the repository.
    if (method === 'withRepository' && node.arguments[0])
      return fromExpression(node.arguments[0] as TSESTree.Expression);
  }
  if (node.type === 'CallExpression' && node.callee.type === 'Identifier') {
    if (node.callee.name === 'getManager')
      return { orm: 'typeorm', kind: 'manager', entity: undefined };
    if (REPOSITORY_FACTORIES.has(node.callee.name))
      return {
        orm: 'typeorm',
        kind: 'repository',
        entity: node.arguments[0]?.type === 'Identifier' ? node.arguments[0].name : undefined,
      };
    if (node.callee.name === 'raceSafe' && node.arguments[0])
      return fromExpression(node.arguments[0] as TSESTree.Expression);
  }
  if (
    node.type === 'MemberExpression' &&
    !node.computed &&
    node.property.type === 'Identifier' &&
    node.property.name === 'manager'
  ) {
    return { orm: 'typeorm', kind: 'manager', entity: undefined };
  }
  return undefined;
}

/** The class, variable or parameter that `name` refers to, looked up through the scopes. */
function definitionOf(
  context: RuleContext,
  at: TSESTree.Node,
  name: string,
): TSESTree.Node | undefined {
  for (
    let scope: ReturnType<RuleContext['sourceCode']['getScope']> | null =
      context.sourceCode.getScope(at);
    scope;
    scope = scope.upper
  ) {
    const variable = scope.set.get(name);
    if (variable) return variable.defs[0]?.node;
  }
  return undefined;
}

/** A class declared in this file extending Model (Sequelize, sequelize-typescript) or BaseEntity (TypeORM). */
function modelClass(
  context: RuleContext,
  node: TSESTree.Node | undefined,
): OrmReceiver | undefined {
  if (
    !node ||
    (node.type !== 'ClassDeclaration' && node.type !== 'ClassExpression') ||
    !node.superClass
  )
    return undefined;
  const base = importedName(context, node.superClass) ?? chainText(node.superClass);
  const name = node.id?.name;
  if (base === 'Model' || base === 'RaceSafeModel' || base?.endsWith('.Model'))
    return { orm: 'sequelize', kind: 'model', entity: name };
  if (base === 'BaseEntity' || base?.endsWith('.BaseEntity'))
    return { orm: 'typeorm', kind: 'model', entity: name };
  return undefined;
}

/** `Model` for `import { Model as Base } from 'sequelize-typescript'`; undefined for anything but an import. */
function importedName(context: RuleContext, node: TSESTree.Node): string | undefined {
  if (node.type !== 'Identifier') return undefined;
  const definition = definitionOf(context, node, node.name);
  return definition?.type === 'ImportSpecifier' && definition.imported.type === 'Identifier'
    ? definition.imported.name
    : undefined;
}

/** `this.x`: the class property or constructor parameter property named x of the enclosing class. */
function thisProperty(node: TSESTree.MemberExpression): OrmReceiver | undefined {
  if (node.object.type !== 'ThisExpression' || node.property.type !== 'Identifier')
    return undefined;
  const name = node.property.name;
  let klass: TSESTree.Node | undefined = node.parent;
  while (klass && klass.type !== 'ClassBody') klass = klass.parent;
  if (!klass) return undefined;
  for (const member of klass.body) {
    if (
      member.type === 'PropertyDefinition' &&
      member.key.type === 'Identifier' &&
      member.key.name === name
    ) {
      return fromDeclaration(
        member.typeAnnotation?.typeAnnotation,
        member.value,
        member.decorators,
      );
    }
    if (member.type === 'MethodDefinition' && member.kind === 'constructor') {
      for (const param of member.value.params) {
        if (
          param.type === 'TSParameterProperty' &&
          param.parameter.type === 'Identifier' &&
          param.parameter.name === name
        ) {
          return fromDeclaration(
            param.parameter.typeAnnotation?.typeAnnotation,
            undefined,
            param.decorators,
          );
        }
      }
    }
  }
  return undefined;
}

/** A callback parameter of `x.transaction(async (manager) => ...)` whose calls pass an entity class first (TypeORM). */
function transactionManager(
  definition: TSESTree.Node | undefined,
  name: string,
): OrmReceiver | undefined {
  if (
    !definition ||
    (definition.type !== 'ArrowFunctionExpression' && definition.type !== 'FunctionExpression')
  )
    return undefined;
  const call = definition.parent;
  if (
    call?.type !== 'CallExpression' ||
    call.callee.type !== 'MemberExpression' ||
    call.callee.property.type !== 'Identifier' ||
    call.callee.property.name !== 'transaction'
  )
    return undefined;
  const first = definition.params[0];
  return first?.type === 'Identifier' && first.name === name
    ? { orm: 'typeorm', kind: 'manager', entity: undefined }
    : undefined;
}

/** Classifies a receiver from the source alone (no type information): declarations, decorators, initializers. */
export function syntacticReceiver(
  context: RuleContext,
  node: TSESTree.Node,
): OrmReceiver | undefined {
  if (node.type === 'TSNonNullExpression') return syntacticReceiver(context, node.expression);
  const direct = fromExpression(node as TSESTree.Expression);
  if (direct) return direct;
  if (node.type === 'MemberExpression') return thisProperty(node);
  if (node.type !== 'Identifier') return undefined;
  const definition = definitionOf(context, node, node.name);
  if (!definition) return undefined;
  if (definition.type === 'VariableDeclarator') {
    const declared =
      definition.id.type === 'Identifier'
        ? definition.id.typeAnnotation?.typeAnnotation
        : undefined;
    return (
      fromDeclaration(declared, definition.init, []) ??
      modelClass(context, definition.init ?? undefined)
    );
  }
  const asModel = modelClass(context, definition);
  if (asModel) return asModel;
  const manager = transactionManager(definition, node.name);
  if (manager) return manager;
  // A parameter: `repo: Repository<User>` / `manager: EntityManager`.
  if ('params' in definition) {
    for (const param of definition.params) {
      const target = param.type === 'TSParameterProperty' ? param.parameter : param;
      if (target.type === 'Identifier' && target.name === node.name)
        return fromDeclaration(target.typeAnnotation?.typeAnnotation, undefined, []);
    }
  }
  return undefined;
}

/**
 * PascalCase `User`, `models.User`, `db.User`: how Sequelize models are referred to, when the
 * name is imported or required (a class or value declared in this file that is not a model is not one).
 */
export function looksLikeModel(context: RuleContext, node: TSESTree.Node): boolean {
  const text = chainText(node);
  const last = text?.split('.').pop();
  if (
    last === undefined ||
    text === undefined ||
    !/^[A-Z][A-Za-z0-9]*$/.test(last) ||
    text.startsWith('this.')
  )
    return false;
  if (node.type !== 'Identifier') return true;
  const definition = definitionOf(context, node, node.name);
  if (
    !definition ||
    definition.type === 'ImportSpecifier' ||
    definition.type === 'ImportDefaultSpecifier' ||
    definition.type === 'ImportNamespaceSpecifier'
  )
    return true;
  // const { User } = require('./models') / = db / = sequelize.models; const User = require('./user') / sequelize.define(...)
  if (definition.type === 'VariableDeclarator') {
    if (definition.id.type === 'ObjectPattern') return true;
    return (
      definition.init?.type === 'CallExpression' &&
      /^(require|define)$/.test(calleeName(definition.init) ?? '')
    );
  }
  return false;
}

function calleeName(call: TSESTree.CallExpression): string | undefined {
  if (call.callee.type === 'Identifier') return call.callee.name;
  return call.callee.type === 'MemberExpression' && call.callee.property.type === 'Identifier'
    ? call.callee.property.name
    : undefined;
}

/**
 * The ORM receiver of `node`: from the type checker when the file has type information and the
 * type resolved, else from the source. `undefined` for anything that is not known to be an ORM object.
 */
export function ormReceiver(context: RuleContext, node: TSESTree.Node): OrmReceiver | undefined {
  const typed = typedReceiver(context, node);
  if (typed !== 'unknown') return typed;
  return syntacticReceiver(context, node);
}
