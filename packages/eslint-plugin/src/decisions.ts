import type { TSESTree } from '@typescript-eslint/utils';

/** Whether a condition being true means the row was found (`found`, `count > 0`) or not (`!found`, `=== null`). */
type Polarity = 'found' | 'missing';

const FUNCTIONS = new Set(['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression']);

/** The innermost function around `node`, or the Program. */
export function enclosingFunction(node: TSESTree.Node): TSESTree.Node {
  let current = node.parent;
  while (current && !FUNCTIONS.has(current.type) && current.type !== 'Program')
    current = current.parent;
  return current ?? node;
}

/** `found`, `found.id`, `found?.id`, `await read`, the read call itself: what stands for the read's result in a test. */
function isResult(node: TSESTree.Node, name: string | undefined, read: TSESTree.Node): boolean {
  if (node === read) return true;
  if (node.type === 'AwaitExpression') return isResult(node.argument, name, read);
  if (node.type === 'ChainExpression') return isResult(node.expression, name, read);
  if (node.type === 'Identifier') return node.name === name;
  if (
    node.type === 'MemberExpression' &&
    !node.computed &&
    node.property.type === 'Identifier' &&
    node.property.name !== 'length'
  )
    return isResult(node.object, name, read);
  if (
    node.type === 'CallExpression' &&
    node.callee.type === 'Identifier' &&
    node.callee.name === 'Boolean' &&
    node.arguments[0]
  )
    return isResult(node.arguments[0], name, read);
  return false;
}

const isNullish = (node: TSESTree.Node) =>
  (node.type === 'Literal' && node.value === null) ||
  (node.type === 'Identifier' && node.name === 'undefined');
const isZero = (node: TSESTree.Node) => node.type === 'Literal' && node.value === 0;
const isOne = (node: TSESTree.Node) => node.type === 'Literal' && node.value === 1;
const flip = (p: Polarity | undefined): Polarity | undefined =>
  p === 'found' ? 'missing' : p === 'missing' ? 'found' : undefined;

/** What `test` being true says about the read: found, missing, or nothing certain (undefined). */
export function polarity(
  test: TSESTree.Node,
  name: string | undefined,
  read: TSESTree.Node,
): Polarity | undefined {
  if (isResult(test, name, read)) return 'found';
  if (test.type === 'UnaryExpression' && test.operator === '!')
    return flip(polarity(test.argument, name, read));
  if (test.type !== 'BinaryExpression') return undefined;
  const [subject, other, operator] = isResult(test.left, name, read)
    ? [test.left, test.right, test.operator]
    : isResult(test.right, name, read)
      ? [test.right, test.left, mirror(test.operator)]
      : [undefined, undefined, undefined];
  if (!subject || !other || !operator) return undefined;
  if (isNullish(other) || isZero(other)) {
    if (operator === '===' || operator === '==') return 'missing';
    if (operator === '!==' || operator === '!=' || (operator === '>' && isZero(other)))
      return 'found';
  }
  if (isOne(other) && operator === '>=') return 'found';
  if (isOne(other) && operator === '<') return 'missing';
  return undefined;
}

function mirror(operator: string): string {
  return (
    ({ '<': '>', '>': '<', '<=': '>=', '>=': '<=' } as Record<string, string>)[operator] ?? operator
  );
}

/** A statement after which control never reaches the next one. */
export function alwaysExits(statement: TSESTree.Statement): boolean {
  switch (statement.type) {
    case 'ReturnStatement':
    case 'ThrowStatement':
    case 'ContinueStatement':
    case 'BreakStatement':
      return true;
    case 'BlockStatement':
      return statement.body.length > 0 && alwaysExits(statement.body[statement.body.length - 1]);
    case 'IfStatement':
      return (
        statement.alternate !== null &&
        alwaysExits(statement.consequent) &&
        alwaysExits(statement.alternate)
      );
    default:
      return false;
  }
}

/**
 * Whether `node` runs only when the read found nothing: inside the "missing" branch of an
 * `if`, `?:`, `||` or `??` on the read's result, or after an `if (found) return / throw`.
 * `found` when it runs only when the row was found (an update), undefined when neither is certain.
 */
export function runsWhen(
  node: TSESTree.Node,
  name: string | undefined,
  read: TSESTree.Node,
): Polarity | undefined {
  const boundary = enclosingFunction(read);
  let child: TSESTree.Node = node;
  for (
    let parent = node.parent;
    parent && child !== boundary;
    child = parent, parent = parent.parent
  ) {
    if (parent.type === 'IfStatement' || parent.type === 'ConditionalExpression') {
      const p = child === parent.test ? undefined : polarity(parent.test, name, read);
      if (p) return child === parent.consequent ? p : flip(p);
    }
    if (
      parent.type === 'LogicalExpression' &&
      child === parent.right &&
      (parent.operator === '||' || parent.operator === '??') &&
      isResult(parent.left, name, read)
    )
      return 'missing';
    if (parent.type === 'LogicalExpression' && child === parent.right && parent.operator === '&&') {
      const p = polarity(parent.left, name, read);
      if (p) return p;
    }
    if (
      parent.type === 'BlockStatement' ||
      parent.type === 'Program' ||
      parent.type === 'SwitchCase'
    ) {
      const body = (
        parent.type === 'SwitchCase' ? parent.consequent : parent.body
      ) as TSESTree.Node[];
      for (const sibling of body.slice(0, body.indexOf(child)).reverse()) {
        if (sibling.type !== 'IfStatement' || sibling.alternate || !alwaysExits(sibling.consequent))
          continue;
        const p = polarity(sibling.test, name, read);
        if (p) return flip(p);
      }
    }
    if (FUNCTIONS.has(parent.type) && parent !== boundary) return undefined; // a callback: runs who knows when
  }
  return undefined;
}

/** Whether a property value of an AST node is itself a node (child nodes carry a string `type`). */
function isNode(value: unknown): value is TSESTree.Node {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { type?: unknown }).type === 'string'
  );
}

/** Every node under `root` (children before siblings), for the few searches a rule needs. */
export function* walk(root: TSESTree.Node): Generator<TSESTree.Node> {
  yield root;
  for (const key of Object.keys(root) as (keyof typeof root)[]) {
    if (key === 'parent') continue;
    const value = root[key] as unknown;
    if (Array.isArray(value)) {
      for (const item of value as unknown[]) if (isNode(item)) yield* walk(item);
    } else if (isNode(value)) yield* walk(value);
  }
}

/** The try statements whose block (not handler) contains `node`, innermost first, up to `boundary`. */
export function enclosingTries(
  node: TSESTree.Node,
  boundary: TSESTree.Node,
): TSESTree.TryStatement[] {
  const tries: TSESTree.TryStatement[] = [];
  let child: TSESTree.Node = node;
  for (
    let parent = node.parent;
    parent && child !== boundary;
    child = parent, parent = parent.parent
  ) {
    if (parent.type === 'TryStatement' && child === parent.block) tries.push(parent);
  }
  return tries;
}
