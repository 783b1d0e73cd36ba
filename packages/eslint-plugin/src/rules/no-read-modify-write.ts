import type { TSESLint, TSESTree } from '@typescript-eslint/utils';
import type * as ts from 'typescript';
import { alwaysExits, enclosingFunction, walk } from '../decisions';
import { docsUrl } from '../docs-url';
import { addImports, RACESAFE_MODULE } from '../imports';
import { resultName, singleRowRead, takesLock, type OrmCall } from '../orm-calls';
import { chainText, ormReceiver } from '../receivers';
import type { RuleContext } from '../rule-context';

type MessageIds = 'readModifyWrite' | 'useAtomicUpdate' | 'useGuardedAtomicUpdate';

/** A row read in this function: its changes are computed from a snapshot others may have changed since. */
interface Row {
  name: string;
  read: OrmCall;
}

/** `F('n').plus(k)`: the arithmetic moved into SQL. */
interface Change {
  field: string;
  method: 'plus' | 'minus' | 'times' | 'div';
  amount: string;
}

const OPERATORS: Record<string, Change['method']> = {
  '+': 'plus',
  '-': 'minus',
  '*': 'times',
  '/': 'div',
};
const COMMUTATIVE = new Set(['+', '*']);
const TYPE_FLAGS_NUMBER_LIKE = 296 | 2112; // NumberLike | BigIntLike
const TYPE_FLAGS_NULLISH = 32768 | 65536; // Undefined | Null

/** `row.field` for a row this function read; the field name, else undefined. */
function rowField(node: TSESTree.Node, row: Row): string | undefined {
  if (node.type === 'ChainExpression') return rowField(node.expression, row);
  if (node.type !== 'MemberExpression' || node.computed || node.property.type !== 'Identifier')
    return undefined;
  return node.object.type === 'Identifier' && node.object.name === row.name
    ? node.property.name
    : undefined;
}

/** number, a branded number (`CreationOptional<number>` is `number & {...}`), or `number | null`. */
function numeric(type: ts.Type): boolean {
  if (type.flags & TYPE_FLAGS_NUMBER_LIKE) return true;
  if (type.isIntersection()) return type.types.some(numeric);
  if (type.isUnion())
    return type.types.filter((t) => (t.flags & TYPE_FLAGS_NULLISH) === 0).every(numeric);
  return false;
}

/** Names that hold text more often than numbers: without types, `+` on them is taken for concatenation. */
const TEXT_NAMES =
  /(name|text|label|title|desc|description|message|note|suffix|prefix|str|string|html|body|content|path|url|comment|line|log|word|char)s?$/i;

/** Whether an operand could be a string (then `+` concatenates and no F applies). */
function stringLike(context: RuleContext, node: TSESTree.Node): boolean {
  if (
    (node.type === 'Literal' && typeof node.value === 'string') ||
    node.type === 'TemplateLiteral'
  )
    return true;
  const services = context.sourceCode.parserServices;
  if (services?.program && services.esTreeNodeToTSNodeMap) {
    const type = services.program
      .getTypeChecker()
      .getTypeAtLocation(services.esTreeNodeToTSNodeMap.get(node));
    if ((type.flags & 1) === 0) return !numeric(type);
  }
  if (node.type === 'Literal') return typeof node.value !== 'number';
  const last = /([A-Za-z0-9_$]+)\W*$/.exec(context.sourceCode.getText(node))?.[1] ?? '';
  return TEXT_NAMES.test(last);
}

/** `value` computed from `row.field` itself: `row.field + k`, `k + row.field`, `row.field - k`. */
function changeOf(
  context: RuleContext,
  field: string,
  value: TSESTree.Node,
  row: Row,
): Change | undefined {
  if (value.type !== 'BinaryExpression' || !(value.operator in OPERATORS)) return undefined;
  const source = context.sourceCode;
  const method = OPERATORS[value.operator];
  const text = (node: TSESTree.Node) =>
    value.operator === '+' &&
    (stringLike(context, node) ||
      stringLike(context, value.left === node ? value.right : value.left));
  if (rowField(value.left, row) === field && !text(value.left))
    return { field, method, amount: source.getText(value.right) };
  if (COMMUTATIVE.has(value.operator) && rowField(value.right, row) === field && !text(value.right))
    return { field, method, amount: source.getText(value.left) };
  return undefined;
}

/** `row.n += k`, `row.n = row.n - k`, `row.n++`: the change, if the node is one. */
function mutationOf(context: RuleContext, node: TSESTree.Node, row: Row): Change | undefined {
  if (node.type === 'UpdateExpression') {
    const field = rowField(node.argument, row);
    return field
      ? { field, method: node.operator === '++' ? 'plus' : 'minus', amount: '1' }
      : undefined;
  }
  if (node.type !== 'AssignmentExpression') return undefined;
  const field = rowField(node.left, row);
  if (!field) return undefined;
  if (node.operator === '=') return changeOf(context, field, node.right, row);
  const method = OPERATORS[node.operator.slice(0, -1)];
  if (
    !method ||
    (method === 'plus' && (stringLike(context, node.left) || stringLike(context, node.right)))
  )
    return undefined;
  return { field, method, amount: context.sourceCode.getText(node.right) };
}

/** `{ n: row.n + 1, name }` -> the changes in it, by property. */
function changesInValues(
  context: RuleContext,
  values: TSESTree.Node | undefined,
  rows: Row[],
): Map<TSESTree.Property, Change> {
  const changes = new Map<TSESTree.Property, Change>();
  if (values?.type !== 'ObjectExpression') return changes;
  for (const property of values.properties) {
    if (property.type !== 'Property' || property.computed || property.key.type !== 'Identifier')
      continue;
    for (const row of rows) {
      const change = changeOf(context, property.key.name, property.value, row);
      if (change) changes.set(property, change);
    }
  }
  return changes;
}

const fExpression = (change: Change) => `F('${change.field}').${change.method}(${change.amount})`;

/** `if (row.stock >= q)` around the change, or `if (row.stock < q) return` before it: the guard's amount. */
function guardAmount(
  context: RuleContext,
  node: TSESTree.Node,
  row: Row,
  change: Change,
): string | undefined {
  if (change.method !== 'minus') return undefined;
  const source = context.sourceCode;
  const compares = (test: TSESTree.Node, operator: string): string | undefined => {
    if (test.type !== 'BinaryExpression') return undefined;
    if (test.operator === operator && rowField(test.left, row) === change.field)
      return source.getText(test.right);
    const mirrored = operator === '>=' ? '<=' : '>';
    if (test.operator === mirrored && rowField(test.right, row) === change.field)
      return source.getText(test.left);
    return undefined;
  };
  const boundary = enclosingFunction(row.read.call);
  let child: TSESTree.Node = node;
  for (
    let parent = node.parent;
    parent && child !== boundary;
    child = parent, parent = parent.parent
  ) {
    if (parent.type === 'IfStatement' && child === parent.consequent) {
      const amount = compares(parent.test, '>=');
      if (amount) return amount;
    }
    if (parent.type === 'BlockStatement') {
      for (const sibling of parent.body.slice(
        0,
        parent.body.indexOf(child as TSESTree.Statement),
      )) {
        if (sibling.type !== 'IfStatement' || sibling.alternate || !alwaysExits(sibling.consequent))
          continue;
        const amount = compares(sibling.test, '<');
        if (amount) return amount;
      }
    }
  }
  return undefined;
}

/** The save that writes the changed row back: `row.save()`, `repo.save(row)`, `manager.save(row)`. */
function saveOf(
  context: RuleContext,
  row: Row,
  after: TSESTree.Node,
): TSESTree.CallExpression | undefined {
  for (const node of walk(enclosingFunction(row.read.call))) {
    if (
      node.type !== 'CallExpression' ||
      node.range[0] < after.range[1] ||
      node.callee.type !== 'MemberExpression' ||
      node.callee.property.type !== 'Identifier'
    )
      continue;
    if (node.callee.property.name !== 'save') continue;
    if (node.callee.object.type === 'Identifier' && node.callee.object.name === row.name)
      return node;
    const saved = node.arguments[node.arguments.length - 1];
    if (
      saved?.type === 'Identifier' &&
      saved.name === row.name &&
      (ormReceiver(context, node.callee.object) ||
        chainText(node.callee.object) === row.read.receiverText)
    )
      return node;
  }
  return undefined;
}

/** Another property of the row assigned in the function: the save writes more than the counter. */
function otherChanges(row: Row, except: TSESTree.Node): boolean {
  return [...walk(enclosingFunction(row.read.call))].some(
    (node) =>
      node !== except &&
      node.type === 'AssignmentExpression' &&
      node.left.type === 'MemberExpression' &&
      node.left.object.type === 'Identifier' &&
      node.left.object.name === row.name,
  );
}

/** A change of the row in its own statement: `row.a += x;`. */
interface Changed {
  statement: TSESTree.ExpressionStatement;
  change: Change;
}

/**
 * Every assignment to the row's fields in the function, when each is a change from its own
 * value in a statement of its own before the save (`a += x; b -= y;`): one atomicUpdate can
 * write them all. Undefined when any other assignment to the row is there.
 */
function allChanges(
  context: RuleContext,
  row: Row,
  save: TSESTree.CallExpression,
): Changed[] | undefined {
  const found: Changed[] = [];
  for (const node of walk(enclosingFunction(row.read.call))) {
    const target =
      node.type === 'AssignmentExpression'
        ? node.left
        : node.type === 'UpdateExpression'
          ? node.argument
          : undefined;
    if (!target || !rowField(target, row)) continue;
    const change = mutationOf(context, node, row);
    if (!change || node.parent?.type !== 'ExpressionStatement' || node.range[0] > save.range[0])
      return undefined;
    // One field twice, or changes in different blocks (one of them conditional): no single UPDATE says it.
    if (
      found.some(
        (c) => c.change.field === change.field || c.statement.parent !== node.parent?.parent,
      )
    )
      return undefined;
    found.push({ statement: node.parent, change });
  }
  return found;
}

/** The repository (TypeORM) or model (Sequelize) to call atomicUpdate on. */
function target(read: OrmCall): string {
  return read.receiver.kind === 'manager'
    ? `${read.receiverText}.getRepository(${read.key})`
    : read.receiverText;
}

/** The atomicUpdate call for `changes` to the row, guarded by `stock >= amount` when given. */
function atomicUpdateCall(
  read: OrmCall,
  row: string,
  values: string,
  guard: { field: string; amount: string } | undefined,
): string {
  if (read.receiver.orm === 'sequelize') {
    const where = guard
      ? `{ id: ${row}.id, ${guard.field}: { [Op.gte]: ${guard.amount} } }`
      : `{ id: ${row}.id }`;
    return `raceSafe(${target(read)}).atomicUpdate(${values}, { where: ${where} })`;
  }
  const where = guard
    ? `{ id: ${row}.id, ${guard.field}: MoreThanOrEqual(${guard.amount}) }`
    : `{ id: ${row}.id }`;
  return `raceSafe(${target(read)}).atomicUpdate(${where}, ${values})`;
}

export const noReadModifyWrite: TSESLint.RuleModule<MessageIds, []> = {
  meta: {
    type: 'problem',
    docs: {
      description:
        'Disallow changing a column from its own read value and writing it back: concurrent callers overwrite each other',
      url: docsUrl('no-read-modify-write'),
    },
    hasSuggestions: true,
    schema: [],
    messages: {
      readModifyWrite:
        "{{row}}.{{field}} is computed from the value read at line {{line}} and written back: concurrent callers read the same value and overwrite each other's change (a lost update). Use racesafe atomicUpdate with {{f}}, which computes it in the UPDATE.",
      useAtomicUpdate: 'Compute it in SQL: {{call}}',
      useGuardedAtomicUpdate:
        'Compute it in SQL, the guard in the WHERE clause (0 rows changed: not enough left): {{call}}',
    },
  },
  defaultOptions: [],
  create(context) {
    const rows: Row[] = [];
    const source = context.sourceCode;
    const rowsAt = (node: TSESTree.Node) =>
      rows.filter(
        (row) =>
          row.read.call.range[1] <= node.range[0] &&
          enclosingFunction(row.read.call) === enclosingFunction(node) &&
          !takesLock(row.read),
      );

    function imports(
      fixer: TSESLint.RuleFixer,
      read: OrmCall,
      guarded: boolean,
    ): TSESLint.RuleFix[] {
      const fixes = addImports(fixer, source, RACESAFE_MODULE[read.receiver.orm], [
        'F',
        'raceSafe',
      ]);
      if (guarded)
        fixes.push(
          ...addImports(fixer, source, read.receiver.orm, [
            read.receiver.orm === 'typeorm' ? 'MoreThanOrEqual' : 'Op',
          ]),
        );
      return fixes;
    }

    function reportMutation(node: TSESTree.Node, row: Row, change: Change): void {
      const save = saveOf(context, row, node);
      if (!save) return;
      const amount = guardAmount(context, node, row, change);
      const guard = amount === undefined ? undefined : { field: change.field, amount };
      const call = atomicUpdateCall(
        row.read,
        row.name,
        `{ ${change.field}: ${fExpression(change)} }`,
        guard,
      );
      const suggest: TSESLint.SuggestionReportDescriptor<MessageIds>[] = [];
      const statement = node.parent;
      // TypeORM's save() writes every column that differs from the database, the stale counter too: it goes, when it saved nothing else.
      let saveStatement =
        save.parent?.type === 'AwaitExpression' ? save.parent.parent : save.parent;
      // `row = await repo.save(row)`: save() returns the same entity, so the statement goes as a whole.
      if (
        saveStatement?.type === 'AssignmentExpression' &&
        saveStatement.left.type === 'Identifier' &&
        saveStatement.left.name === row.name
      )
        saveStatement = saveStatement.parent;
      const typeormSaveAlone =
        row.read.receiver.orm === 'typeorm' &&
        saveStatement?.type === 'ExpressionStatement' &&
        !otherChanges(row, node);
      if (
        statement?.type === 'ExpressionStatement' &&
        (row.read.receiver.orm === 'sequelize' || typeormSaveAlone)
      ) {
        suggest.push({
          messageId: guard ? 'useGuardedAtomicUpdate' : 'useAtomicUpdate',
          data: { call },
          fix: (fixer) => [
            fixer.replaceText(statement, `await ${call};`),
            ...(typeormSaveAlone && saveStatement
              ? [
                  fixer.removeRange([
                    source.getTokenBefore(saveStatement)!.range[1],
                    saveStatement.range[1],
                  ]),
                ]
              : []),
            ...imports(fixer, row.read, guard !== undefined),
          ],
        });
      }
      // TypeORM, several counters changed and saved together: one atomicUpdate for all of them, the save gone.
      const together =
        suggest.length === 0 &&
        row.read.receiver.orm === 'typeorm' &&
        saveStatement?.type === 'ExpressionStatement'
          ? allChanges(context, row, save)
          : undefined;
      if (together && together.length > 1 && saveStatement) {
        const values = `{ ${together.map((c) => `${c.change.field}: ${fExpression(c.change)}`).join(', ')} }`;
        const combined = atomicUpdateCall(row.read, row.name, values, undefined);
        const remove = (statement: TSESTree.Node) => (fixer: TSESLint.RuleFixer) =>
          fixer.removeRange([source.getTokenBefore(statement)!.range[1], statement.range[1]]);
        suggest.push({
          messageId: 'useAtomicUpdate',
          data: { call: combined },
          fix: (fixer) => [
            fixer.replaceText(together[0].statement, `await ${combined};`),
            ...together.slice(1).map((c) => remove(c.statement)(fixer)),
            remove(saveStatement)(fixer),
            ...imports(fixer, row.read, false),
          ],
        });
      }
      context.report({
        node,
        messageId: 'readModifyWrite',
        data: {
          row: row.name,
          field: change.field,
          line: String(row.read.call.loc.start.line),
          f: fExpression(change),
        },
        suggest,
      });
    }

    function checkMutation(node: TSESTree.AssignmentExpression | TSESTree.UpdateExpression): void {
      for (const row of rowsAt(node)) {
        const change = mutationOf(context, node, row);
        if (change) return reportMutation(node, row, change);
      }
    }

    /** `row.update({ n: row.n + 1 })`, `Model.update({ n: row.n - q }, opts)`, `repo.update(id, { n: row.n + 1 })`. */
    function checkUpdate(call: TSESTree.CallExpression): void {
      if (
        call.callee.type !== 'MemberExpression' ||
        call.callee.property.type !== 'Identifier' ||
        call.callee.property.name !== 'update'
      )
        return;
      const available = rowsAt(call);
      if (available.length === 0) return;
      const receiverNode = call.callee.object;
      const ownRow =
        receiverNode.type === 'Identifier'
          ? available.find((row) => row.name === receiverNode.name)
          : undefined;
      const receiver = ownRow ? undefined : ormReceiver(context, receiverNode);
      const sameModel = available.find((row) => row.read.receiverText === chainText(receiverNode));
      if (!ownRow && !receiver && !sameModel) return;
      const orm = ownRow?.read.receiver.orm ?? receiver?.orm ?? sameModel!.read.receiver.orm;
      const manager = receiver?.kind === 'manager';
      const valuesIndex = ownRow || orm === 'sequelize' ? 0 : manager ? 2 : 1;
      const values = call.arguments[valuesIndex];
      const changes = changesInValues(context, values, available);
      const [first] = changes.values();
      if (!first) return;
      const row =
        ownRow ??
        available.find((r) =>
          [...walk(values)].some((n) => n.type === 'Identifier' && n.name === r.name),
        )!;
      let valuesText = source.getText(values);
      for (const [property, change] of [...changes].sort(([a], [b]) => b.range[0] - a.range[0])) {
        const start = property.value.range[0] - values.range[0];
        valuesText = `${valuesText.slice(0, start)}${fExpression(change)}${valuesText.slice(property.value.range[1] - values.range[0])}`;
      }
      let replacement: string | undefined;
      const amount = changes.size === 1 ? guardAmount(context, call, row, first) : undefined;
      const guard = amount === undefined ? undefined : { field: first.field, amount };
      if (ownRow) replacement = atomicUpdateCall(row.read, row.name, valuesText, guard);
      else if (orm === 'sequelize')
        replacement = `raceSafe(${source.getText(receiverNode)}).atomicUpdate(${valuesText}${call.arguments[1] ? `, ${source.getText(call.arguments[1])}` : ''})`;
      else {
        const criteria = call.arguments[manager ? 1 : 0];
        const where =
          criteria?.type === 'ObjectExpression'
            ? source.getText(criteria)
            : criteria
              ? `{ id: ${source.getText(criteria)} }`
              : undefined;
        const repo = manager
          ? `${source.getText(receiverNode)}.getRepository(${source.getText(call.arguments[0])})`
          : source.getText(receiverNode);
        replacement = where ? `raceSafe(${repo}).atomicUpdate(${where}, ${valuesText})` : undefined;
      }
      const suggest: TSESLint.SuggestionReportDescriptor<MessageIds>[] = replacement
        ? [
            {
              messageId: guard && ownRow ? 'useGuardedAtomicUpdate' : 'useAtomicUpdate',
              data: { call: replacement },
              fix: (fixer) => [
                fixer.replaceText(call, replacement),
                ...imports(
                  fixer,
                  { ...row.read, receiver: { ...row.read.receiver, orm } },
                  guard !== undefined && ownRow !== undefined,
                ),
              ],
            },
          ]
        : [];
      context.report({
        node: call,
        messageId: 'readModifyWrite',
        data: {
          row: row.name,
          field: first.field,
          line: String(row.read.call.loc.start.line),
          f: fExpression(first),
        },
        suggest,
      });
    }

    return {
      CallExpression(call) {
        const read = singleRowRead(context, call);
        const name = read && resultName(call);
        if (read && name) rows.push({ name, read });
        checkUpdate(call);
      },
      AssignmentExpression: checkMutation,
      UpdateExpression: checkMutation,
    };
  },
};
