import type { TSESLint, TSESTree } from '@typescript-eslint/utils';
import { enclosingFunction } from '../decisions';
import { docsUrl } from '../docs-url';
import { addImports, RACESAFE_MODULE } from '../imports';
import { hasWhere, objectProperty, singleRowRead } from '../orm-calls';
import { chainText, looksLikeModel, ormReceiver, type OrmReceiver } from '../receivers';
import { typedReceiver } from '../typed-receivers';

type MessageIds = 'findOrCreate' | 'upsert' | 'useGetOrCreate' | 'useUpdateOrCreate';

interface Upsert {
  call: TSESTree.CallExpression;
  receiver: OrmReceiver;
  key: string;
  /** Values and conflict paths (after the entity class of an EntityManager call). */
  values: TSESTree.Node | undefined;
  paths: TSESTree.Node | undefined;
}

/** The string literals of `['email']` or `{ conflictPaths: ['email'] }`. */
function conflictPaths(node: TSESTree.Node | undefined): string[] | undefined {
  const list = node?.type === 'ObjectExpression' ? objectProperty(node, 'conflictPaths') : node;
  if (list?.type !== 'ArrayExpression') return undefined;
  const names = list.elements.map((element) =>
    element?.type === 'Literal' && typeof element.value === 'string' ? element.value : undefined,
  );
  return names.every((name) => name !== undefined) ? names : undefined;
}

export const preferGetOrCreate: TSESLint.RuleModule<MessageIds, []> = {
  meta: {
    type: 'suggestion',
    docs: {
      description:
        'Prefer racesafe getOrCreate to Sequelize findOrCreate and to TypeORM upsert used as get-or-create',
      url: docsUrl('prefer-get-or-create'),
    },
    hasSuggestions: true,
    schema: [],
    messages: {
      findOrCreate: [
        'Sequelize findOrCreate: use racesafe getOrCreate instead, because findOrCreate',
        '- on PostgreSQL creates and drops a temporary function around each INSERT (DDL on every call: breaks logical replication, fails on CockroachDB)',
        '- after losing the race re-reads on a second pooled connection while it still holds the first (a small pool stalls)',
        '- opens a transaction even when you gave none',
      ].join('\n'),
      upsert: [
        'TypeORM upsert used as get-or-create (the row is read again at line {{line}}): use racesafe {{replacement}} instead, because upsert',
        '- draws a sequence value on every call, found or not (INSERT ... ON CONFLICT DO UPDATE)',
        '- rewrites a row that was already there (a row lock, a new row version, update triggers) just to return it',
        '- needs a second statement to return the row',
      ].join('\n'),
      useGetOrCreate: 'Use racesafe getOrCreate: {{call}}',
      useUpdateOrCreate: 'Use racesafe updateOrCreate: {{call}}',
    },
  },
  defaultOptions: [],
  create(context) {
    const source = context.sourceCode;
    const upserts: Upsert[] = [];
    const reads: { call: TSESTree.CallExpression; key: string }[] = [];

    function checkFindOrCreate(
      call: TSESTree.CallExpression,
      receiverNode: TSESTree.Expression,
    ): void {
      const receiver = ormReceiver(context, receiverNode);
      const byShape =
        !receiver &&
        typedReceiver(context, receiverNode) === 'unknown' &&
        looksLikeModel(context, receiverNode) &&
        hasWhere(call.arguments);
      if (receiver?.orm !== 'sequelize' && !byShape) return;
      const model = source.getText(receiverNode);
      const replacement = `raceSafe(${model}).getOrCreate`;
      context.report({
        node: call,
        messageId: 'findOrCreate',
        suggest: [
          {
            messageId: 'useGetOrCreate',
            data: { call: `${replacement}(...)` },
            fix: (fixer) => [
              fixer.replaceText(call.callee, replacement),
              ...addImports(fixer, source, RACESAFE_MODULE.sequelize, ['raceSafe']),
            ],
          },
        ],
      });
    }

    function reportUpsert(upsert: Upsert, readCall: TSESTree.CallExpression): void {
      const paths = conflictPaths(upsert.paths);
      const values = upsert.values?.type === 'ObjectExpression' ? upsert.values : undefined;
      const suggest: TSESLint.SuggestionReportDescriptor<MessageIds>[] = [];
      let replacement = 'getOrCreate';
      if (paths && values) {
        const inLookup = (p: TSESTree.ObjectLiteralElement) =>
          p.type === 'Property' &&
          !p.computed &&
          p.key.type === 'Identifier' &&
          paths.includes(p.key.name);
        const lookup = values.properties.filter(inLookup);
        const rest = values.properties.filter((p) => !inLookup(p));
        if (lookup.length === paths.length) {
          const text = (props: TSESTree.ObjectLiteralElement[]) =>
            `{ ${props.map((p) => source.getText(p)).join(', ')} }`;
          const receiverNode = (upsert.call.callee as TSESTree.MemberExpression).object;
          const repo =
            upsert.receiver.kind === 'manager'
              ? `${source.getText(receiverNode)}.getRepository(${upsert.key})`
              : source.getText(receiverNode);
          replacement = rest.length === 0 ? 'getOrCreate' : 'updateOrCreate';
          const call =
            rest.length === 0
              ? `raceSafe(${repo}).getOrCreate(${text(lookup)})`
              : `raceSafe(${repo}).updateOrCreate(${text(lookup)}, { defaults: ${text(rest)} })`;
          suggest.push({
            messageId: rest.length === 0 ? 'useGetOrCreate' : 'useUpdateOrCreate',
            data: { call },
            fix: (fixer) => [
              fixer.replaceText(upsert.call, call),
              ...addImports(fixer, source, RACESAFE_MODULE.typeorm, ['raceSafe']),
            ],
          });
        }
      }
      context.report({
        node: upsert.call,
        messageId: 'upsert',
        data: { line: String(readCall.loc.start.line), replacement },
        suggest,
      });
    }

    return {
      CallExpression(call) {
        const read = singleRowRead(context, call);
        if (read) reads.push({ call, key: read.key });
        const callee = call.callee;
        if (
          callee.type !== 'MemberExpression' ||
          callee.computed ||
          callee.property.type !== 'Identifier'
        )
          return;
        if (callee.property.name === 'findOrCreate') return checkFindOrCreate(call, callee.object);
        if (callee.property.name !== 'upsert') return;
        const receiver = ormReceiver(context, callee.object);
        if (receiver?.orm !== 'typeorm') return;
        if (receiver.kind === 'manager') {
          const entity =
            call.arguments[0]?.type === 'Identifier' ? call.arguments[0].name : undefined;
          if (entity)
            upserts.push({
              call,
              receiver,
              key: entity,
              values: call.arguments[1],
              paths: call.arguments[2],
            });
          return;
        }
        upserts.push({
          call,
          receiver,
          key: receiver.entity ?? chainText(callee.object) ?? '',
          values: call.arguments[0],
          paths: call.arguments[1],
        });
      },
      'Program:exit'() {
        for (const upsert of upserts) {
          // Used as get-or-create: the same function reads the row back afterwards.
          const readBack = reads.find(
            (read) =>
              read.key === upsert.key &&
              read.call.range[0] > upsert.call.range[1] &&
              enclosingFunction(read.call) === enclosingFunction(upsert.call),
          );
          if (readBack) reportUpsert(upsert, readBack.call);
        }
      },
    };
  },
};
