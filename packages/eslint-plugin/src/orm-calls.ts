import type { TSESTree } from '@typescript-eslint/utils';
import { chainText, looksLikeModel, ormReceiver, type OrmReceiver } from './receivers';
import type { RuleContext } from './rule-context';
import { typedClassName, typedReceiver } from './typed-receivers';

/** A call on a TypeORM repository / manager or a Sequelize model, with what it touches. */
export interface OrmCall {
  call: TSESTree.CallExpression;
  method: string;
  receiver: OrmReceiver;
  /** The receiver as written (`this.users`, `User`): what a suggestion wraps in raceSafe(). */
  receiverText: string;
  /** The entity or model the call reads or writes: same key, same table. */
  key: string;
  /** The arguments after the entity class of an EntityManager call. */
  args: TSESTree.CallExpressionArgument[];
}

const SINGLE_ROW_READS = {
  typeorm: ['findOne', 'findOneBy', 'findOneOrFail', 'findOneByOrFail'],
  sequelize: ['findOne', 'findByPk'],
};
/** Reads whose answer decides a create: a row, a count, a yes/no. */
const DECIDING_READS = {
  typeorm: ['findOne', 'findOneBy', 'exists', 'existsBy', 'exist', 'count', 'countBy'],
  sequelize: ['findOne', 'findByPk', 'count'],
};

/** `{ where: ... }` among the arguments: the options shape of Sequelize and TypeORM finders. */
export function hasWhere(args: TSESTree.CallExpressionArgument[]): boolean {
  return args.some(
    (arg) => arg.type === 'ObjectExpression' && objectProperty(arg, 'where') !== undefined,
  );
}

/** The value of `key` in an object literal, or undefined. */
export function objectProperty(
  node: TSESTree.Node | undefined,
  key: string,
): TSESTree.Node | undefined {
  if (node?.type === 'TSAsExpression' || node?.type === 'TSSatisfiesExpression')
    return objectProperty(node.expression, key);
  if (node?.type !== 'ObjectExpression') return undefined;
  for (const property of node.properties) {
    if (
      property.type === 'Property' &&
      !property.computed &&
      ((property.key.type === 'Identifier' && property.key.name === key) ||
        (property.key.type === 'Literal' && property.key.value === key))
    ) {
      return property.value;
    }
  }
  return undefined;
}

/** Which ORM this file uses, from its imports and requires, for receivers recognised by name only. */
function fileOrm(context: RuleContext): 'typeorm' | 'sequelize' | undefined {
  const text = context.sourceCode.text;
  if (/['"](sequelize|sequelize-typescript|@nestjs\/sequelize)['"]/.test(text)) return 'sequelize';
  if (/['"](typeorm|@nestjs\/typeorm)['"]/.test(text)) return 'typeorm';
  return undefined;
}

/** `receiver.method(...)` split into its parts, or undefined for any other call. */
function memberCall(
  call: TSESTree.CallExpression,
): { receiverNode: TSESTree.Expression; method: string } | undefined {
  const callee = call.callee.type === 'ChainExpression' ? call.callee.expression : call.callee;
  if (
    callee.type !== 'MemberExpression' ||
    callee.computed ||
    callee.property.type !== 'Identifier'
  )
    return undefined;
  return { receiverNode: callee.object, method: callee.property.name };
}

/** The entity class name passed first to an EntityManager call (`manager.findOneBy(User, ...)`). */
function managerEntity(args: TSESTree.CallExpressionArgument[]): string | undefined {
  const first = args[0];
  return first?.type === 'Identifier' && /^[A-Z]/.test(first.name) ? first.name : undefined;
}

/** Builds the OrmCall for a classified receiver. */
function describe(
  call: TSESTree.CallExpression,
  method: string,
  receiverNode: TSESTree.Expression,
  receiver: OrmReceiver,
  receiverText: string,
): OrmCall | undefined {
  if (receiver.kind === 'manager') {
    const entity = managerEntity(call.arguments);
    return entity === undefined
      ? undefined
      : {
          call,
          method,
          receiver: { ...receiver, entity },
          receiverText,
          key: entity,
          args: call.arguments.slice(1),
        };
  }
  return {
    call,
    method,
    receiver,
    receiverText,
    key: receiver.entity ?? receiverText,
    args: call.arguments,
  };
}

/**
 * The receiver as written: `this.users`, `User`, or a repository got in place that names its
 * entity (`this.connection.getRepository(ctx, User).findOne(...)`); undefined for anything else.
 */
function receiverTextOf(context: RuleContext, node: TSESTree.Expression): string | undefined {
  const chain = chainText(node);
  if (chain !== undefined || node.type !== 'CallExpression') return chain;
  const receiver = ormReceiver(context, node);
  return receiver?.kind === 'repository' && receiver.entity
    ? context.sourceCode.getText(node)
    : undefined;
}

/**
 * A read that decides whether to create (TypeORM findOne*, exists*, count*; Sequelize findOne,
 * findByPk, count). Without type information a model is recognised by name only with a
 * Sequelize-shaped call (`findByPk`, or `{ where }` options).
 */
export function decidingRead(
  context: RuleContext,
  call: TSESTree.CallExpression,
  methods = DECIDING_READS,
): OrmCall | undefined {
  const parts = memberCall(call);
  const receiverText = parts && receiverTextOf(context, parts.receiverNode);
  if (!parts || receiverText === undefined) return undefined;
  const receiver = ormReceiver(context, parts.receiverNode);
  if (receiver)
    return methods[receiver.orm].includes(parts.method)
      ? describe(call, parts.method, parts.receiverNode, receiver, receiverText)
      : undefined;
  // Recognised by name: only when nothing typed contradicts it and the call itself looks like an ORM finder.
  if (
    typedReceiver(context, parts.receiverNode) !== 'unknown' ||
    !looksLikeModel(context, parts.receiverNode)
  )
    return undefined;
  const orm = fileOrm(context) ?? 'sequelize';
  const shaped =
    parts.method === 'findByPk' ||
    ([...methods.typeorm, ...methods.sequelize].includes(parts.method) && hasWhere(call.arguments));
  if (!shaped || !methods[orm].includes(parts.method)) return undefined;
  return describe(
    call,
    parts.method,
    parts.receiverNode,
    { orm, kind: 'model', entity: receiverText },
    receiverText,
  );
}

/** A read of one row: its result is a snapshot that read-modify-write code changes. */
export function singleRowRead(
  context: RuleContext,
  call: TSESTree.CallExpression,
): OrmCall | undefined {
  return decidingRead(context, call, SINGLE_ROW_READS);
}

/** What a variable was initialised with, looking through `await`. */
export function initializerOf(
  context: RuleContext,
  node: TSESTree.Identifier,
): TSESTree.Expression | undefined {
  for (
    let scope: ReturnType<RuleContext['sourceCode']['getScope']> | null =
      context.sourceCode.getScope(node);
    scope;
    scope = scope.upper
  ) {
    const variable = scope.set.get(node.name);
    if (!variable) continue;
    const def = variable.defs[0]?.node as TSESTree.Node | undefined;
    if (def?.type !== 'VariableDeclarator' || !def.init) return undefined;
    return def.init.type === 'AwaitExpression' ? def.init.argument : def.init;
  }
  return undefined;
}

/** The entity a value being saved belongs to: `new User()`, `repo.create(...)`, `manager.create(User, ...)`, or its type. */
export function builtEntity(context: RuleContext, value: TSESTree.Node): string | undefined {
  const init =
    value.type === 'Identifier' ? initializerOf(context, value) : (value as TSESTree.Expression);
  if (init?.type === 'NewExpression' && init.callee.type === 'Identifier') return init.callee.name;
  if (init?.type === 'CallExpression') {
    const parts = memberCall(init);
    if (parts && (parts.method === 'create' || parts.method === 'build')) {
      const receiver = ormReceiver(context, parts.receiverNode);
      if (receiver?.kind === 'manager') return managerEntity(init.arguments);
      if (receiver) return receiver.entity ?? chainText(parts.receiverNode);
      if (looksLikeModel(context, parts.receiverNode)) return chainText(parts.receiverNode);
    }
  }
  return typedClassName(context, value);
}

/** A write that creates a row: TypeORM save / insert, Sequelize create, build(...).save(), new Model(...).save(). */
export function creatingWrite(
  context: RuleContext,
  call: TSESTree.CallExpression,
): OrmCall | undefined {
  const parts = memberCall(call);
  if (!parts) return undefined;
  const receiverText = receiverTextOf(context, parts.receiverNode);
  // instance.save(): a row built from a model class (Sequelize build / new, TypeORM BaseEntity create / new).
  if (parts.method === 'save') {
    const target = parts.receiverNode;
    const built =
      target.type === 'CallExpression' ||
      target.type === 'NewExpression' ||
      target.type === 'Identifier'
        ? builtFromModel(context, target)
        : undefined;
    if (built)
      return {
        call,
        method: 'save',
        receiver: built,
        receiverText: built.entity ?? '',
        key: built.entity ?? '',
        args: [],
      };
  }
  if (receiverText === undefined) return undefined;
  const receiver = ormReceiver(context, parts.receiverNode);
  if (receiver?.orm === 'typeorm' && (parts.method === 'save' || parts.method === 'insert')) {
    if (receiver.kind === 'manager') {
      // manager.save(User, values) or manager.save(entity): the entity from the class or from how the value was built.
      const entity =
        call.arguments.length >= 2
          ? managerEntity(call.arguments)
          : call.arguments[0]
            ? builtEntity(context, call.arguments[0])
            : undefined;
      const args = call.arguments.length >= 2 ? call.arguments.slice(1) : call.arguments;
      return entity === undefined
        ? undefined
        : {
            call,
            method: parts.method,
            receiver: { ...receiver, entity },
            receiverText,
            key: entity,
            args,
          };
    }
    return describe(call, parts.method, parts.receiverNode, receiver, receiverText);
  }
  if (receiver?.orm === 'sequelize' && parts.method === 'create')
    return describe(call, parts.method, parts.receiverNode, receiver, receiverText);
  if (
    !receiver &&
    typedReceiver(context, parts.receiverNode) === 'unknown' &&
    parts.method === 'create' &&
    looksLikeModel(context, parts.receiverNode) &&
    call.parent.type === 'AwaitExpression'
  ) {
    return describe(
      call,
      parts.method,
      parts.receiverNode,
      { orm: fileOrm(context) ?? 'sequelize', kind: 'model', entity: receiverText },
      receiverText,
    );
  }
  return undefined;
}

/** `Model.build(...)`, `new Model(...)`, TypeORM `Entity.create(...)`, or a variable holding one: the model it builds. */
function builtFromModel(context: RuleContext, node: TSESTree.Expression): OrmReceiver | undefined {
  const init = node.type === 'Identifier' ? initializerOf(context, node) : node;
  if (!init) return undefined;
  const classNode =
    init.type === 'NewExpression'
      ? init.callee
      : init.type === 'CallExpression'
        ? memberCall(init)?.receiverNode
        : undefined;
  const method = init.type === 'CallExpression' ? memberCall(init)?.method : 'new';
  if (!classNode || (method !== 'new' && method !== 'build' && method !== 'create'))
    return undefined;
  const receiver = ormReceiver(context, classNode);
  if (receiver?.kind !== 'model') return undefined;
  // Sequelize's create() already inserted the row; only build / new leave the INSERT to save().
  if (receiver.orm === 'sequelize' && method === 'create') return undefined;
  return { ...receiver, entity: receiver.entity ?? chainText(classNode) };
}

/** A read that holds a row lock (`lock: { mode: 'pessimistic_write' }`, Sequelize `lock: true`). */
export function takesLock(read: OrmCall): boolean {
  return read.args.some((arg) => {
    const lock = objectProperty(arg, 'lock');
    if (!lock) return false;
    const mode = objectProperty(lock, 'mode');
    // TypeORM's optimistic "lock" checks a version number and takes no row lock.
    return (
      !(mode?.type === 'Literal' && mode.value === 'optimistic') &&
      !(lock.type === 'Literal' && lock.value === false)
    );
  });
}

/** `const x = await read` / `x = await read`: the name the read's result is kept in. */
export function resultName(call: TSESTree.CallExpression): string | undefined {
  let node: TSESTree.Node = call;
  if (node.parent?.type === 'AwaitExpression') node = node.parent;
  const parent = node.parent;
  if (
    parent?.type === 'VariableDeclarator' &&
    parent.init === node &&
    parent.id.type === 'Identifier'
  )
    return parent.id.name;
  if (
    parent?.type === 'AssignmentExpression' &&
    parent.right === node &&
    parent.left.type === 'Identifier'
  )
    return parent.left.name;
  return undefined;
}
