import type { TSESLint, TSESTree } from '@typescript-eslint/utils';
import {
  alwaysExits,
  enclosingFunction,
  enclosingTries,
  polarity,
  runsWhen,
  walk,
} from '../decisions';
import { addImports, RACESAFE_MODULE } from '../imports';
import {
  creatingWrite,
  decidingRead,
  initializerOf,
  objectProperty,
  resultName,
  takesLock,
  type OrmCall,
} from '../orm-calls';
import { docsUrl } from '../docs-url';
import { kindFromDecorators, typedColumnKind, type ColumnKind } from '../typed-receivers';

type MessageIds =
  | 'findThenCreate'
  | 'findThenCreateUnbacked'
  | 'useGetOrCreate'
  | 'useGetOrCreateRefusing'
  | 'useUpdateOrCreate';

interface Read {
  read: OrmCall;
  name: string | undefined;
}

/** A unique violation named in a catch clause: the create's race is handled there. */
const UNIQUE_VIOLATION =
  /23505|ER_DUP_ENTRY|\b1062\b|UniqueConstraintError|SQLITE_CONSTRAINT|QueryFailedError|ConflictError|duplicate/i;

/** Looks through `as T`, `!` and `satisfies T` to the value itself. */
function unwrap(node: TSESTree.Node): TSESTree.Node {
  return node.type === 'TSAsExpression' ||
    node.type === 'TSNonNullExpression' ||
    node.type === 'TSSatisfiesExpression'
    ? unwrap(node.expression)
    : node;
}

/** The conditions a read used: `findOneBy(L)`, `findOne({ where: L })`, TypeORM 0.2's `findOne(L)`. */
function whereOf(read: OrmCall): TSESTree.Node | undefined {
  const [first] = read.args;
  if (!first || read.method === 'findByPk') return undefined;
  const where = read.method.endsWith('By')
    ? first
    : (objectProperty(first, 'where') ?? legacyConditions(read, first));
  return where && unwrap(where);
}

/** The plain-keyed properties of an object literal, by name. */
function propertiesOf(node: TSESTree.Node | undefined): Map<string, TSESTree.Node> {
  const properties = new Map<string, TSESTree.Node>();
  if (node?.type !== 'ObjectExpression') return properties;
  for (const p of node.properties)
    if (p.type === 'Property' && !p.computed && p.key.type === 'Identifier')
      properties.set(p.key.name, p.value);
  return properties;
}

/**
 * The key `findByPk(x)` looked up by: the created values' property that writes the same `x`
 * (`Tag.findByPk(name)` ... `Tag.create({ name })`: a primary key named `name`), else `id`.
 */
function primaryKeyOf(
  read: OrmCall,
  values: TSESTree.Node | undefined,
  source: Readonly<TSESLint.SourceCode>,
): string {
  const [first] = read.args;
  const text = first && source.getText(first);
  for (const [key, value] of propertiesOf(values))
    if (source.getText(unwrap(value)) === text) return key;
  return 'id';
}

/** A getOrCreate lookup as source text, and what the suggestion's description adds about it. */
interface LookupForm {
  text: string;
  note: string;
}

interface Lookup {
  /** The getOrCreate lookups the read's conditions can be written as (two when a column's kind is unknown); none when not one object of plain values. */
  forms: LookupForm[];
  /** Its keys, to leave out of the defaults. */
  keys: Set<string>;
  /** A condition no unique constraint can back (a JSON path), as written: the message says what racesafe needs instead. */
  unbacked?: string;
}

/** `{ id: x }` with a plain `x`: a TypeORM relation given by the related row's id, which getOrCreate takes as the join column. */
function isRelationById(value: TSESTree.Node): boolean {
  if (value.type !== 'ObjectExpression' || value.properties.length !== 1) return false;
  const [only] = value.properties;
  return (
    only.type === 'Property' &&
    !only.computed &&
    only.key.type === 'Identifier' &&
    only.key.name === 'id' &&
    isPlain(only.value)
  );
}

/** A value compared with `=`: not an operator (`In(...)`, `Op.is`), a nested object or an array. */
function isPlain(value: TSESTree.Node): boolean {
  return !['ObjectExpression', 'CallExpression', 'ArrayExpression'].includes(unwrap(value).type);
}

/** Sequelize `{ settings: { gitlab: { url } } }`: plain keys nested in an attribute, a JSON-path match. */
function isJsonPath(value: TSESTree.Node): boolean {
  const object = unwrap(value);
  return (
    object.type === 'ObjectExpression' &&
    object.properties.length > 0 &&
    object.properties.every(
      (p) => p.type === 'Property' && !p.computed && (isPlain(p.value) || isJsonPath(p.value)),
    )
  );
}

/** TypeORM `IsNull()`. */
function isNullOperator(value: TSESTree.Node): boolean {
  const call = unwrap(value);
  return (
    call.type === 'CallExpression' &&
    call.callee.type === 'Identifier' &&
    call.callee.name === 'IsNull' &&
    call.arguments.length === 0
  );
}

/** How the entity class declared in this file declares `property`: the source's own decorators. */
function declaredColumnKind(
  source: Readonly<TSESLint.SourceCode>,
  entity: string,
  property: string,
): ColumnKind {
  for (const node of walk(source.ast)) {
    if (node.type !== 'ClassDeclaration' || node.id?.name !== entity) continue;
    for (const member of node.body.body)
      if (
        member.type === 'PropertyDefinition' &&
        member.key.type === 'Identifier' &&
        member.key.name === property
      )
        return kindFromDecorators(member.decorators.map((d) => source.getText(d)));
  }
  return undefined;
}

/**
 * The lookup a read used: `findOneBy(L)`, `findOne({ where: L })`, `findByPk(id)`. TypeORM
 * `IsNull()` becomes `null` on a plain column and is left out on a `@DeleteDateColumn` (racesafe
 * adds `IS NULL` on it itself, as findOne does); both forms when the column's kind is unknown.
 */
function lookupOf(
  context: Readonly<TSESLint.RuleContext<MessageIds, []>>,
  read: OrmCall,
  values: TSESTree.Node | undefined,
): Lookup {
  const source = context.sourceCode;
  const [first] = read.args;
  if (read.method === 'findByPk' && first) {
    const key = primaryKeyOf(read, values, source);
    return {
      forms: [{ text: `{ ${key}: ${source.getText(first)} }`, note: '' }],
      keys: new Set([key]),
    };
  }
  const where = whereOf(read);
  const keys = new Set(propertiesOf(where).keys());
  if (where?.type !== 'ObjectExpression' || where.properties.length === 0)
    return { forms: [], keys };
  const kept: string[] = [];
  const nullable: string[] = [];
  for (const p of where.properties) {
    // Operators (Op.is, In(...)), other nested objects and spreads have no getOrCreate form.
    if (p.type !== 'Property' || p.computed) return { forms: [], keys };
    const typeorm = read.receiver.orm === 'typeorm';
    if (typeorm && p.key.type === 'Identifier' && isNullOperator(p.value))
      nullable.push(p.key.name);
    else if (isPlain(p.value) || (typeorm && isRelationById(unwrap(p.value))))
      kept.push(source.getText(p));
    else if (!typeorm && isJsonPath(p.value))
      return { forms: [], keys, unbacked: source.getText(p) };
    else return { forms: [], keys };
  }
  if (nullable.length === 0) return { forms: [{ text: source.getText(where), note: '' }], keys };
  return { forms: nullForms(context, read, kept, nullable), keys };
}

const NULLS_NOT_DISTINCT = 'a null lookup value needs a UNIQUE NULLS NOT DISTINCT key';
const SOFT_DELETE = 'racesafe skips soft-deleted rows itself';

/** The lookups for `IsNull()` conditions: `null` on plain columns, left out on the `@DeleteDateColumn`. */
function nullForms(
  context: Readonly<TSESLint.RuleContext<MessageIds, []>>,
  read: OrmCall,
  kept: string[],
  nullable: string[],
): LookupForm[] {
  const kinds = nullable.map(
    (name) =>
      typedColumnKind(context, read.call, name) ??
      declaredColumnKind(context.sourceCode, read.key, name),
  );
  const form = (deleted: string | undefined, note: string): LookupForm => {
    const parts = [...kept, ...nullable.filter((n) => n !== deleted).map((n) => `${n}: null`)];
    return { text: `{ ${parts.join(', ')} }`, note };
  };
  const deleted = nullable.find((_, i) => kinds[i] === 'deleteDate');
  const unknown = nullable.filter((_, i) => kinds[i] === undefined);
  const plainNote = (n: number) => (n > 0 ? ` (${NULLS_NOT_DISTINCT})` : '');
  if (deleted !== undefined || unknown.length === 0)
    return [
      form(
        deleted,
        deleted === undefined
          ? plainNote(nullable.length)
          : ` (${deleted} left out: ${SOFT_DELETE}${nullable.length > 1 ? `; ${NULLS_NOT_DISTINCT}` : ''})`,
      ),
    ];
  // The kind decides the lookup and nothing here tells it: both forms, each saying when it holds.
  const [maybe] = unknown;
  return [
    form(undefined, `, if ${maybe} is a plain column (${NULLS_NOT_DISTINCT})`),
    form(maybe, `, if ${maybe} is a @DeleteDateColumn (${SOFT_DELETE})`),
  ];
}

const FIND_OPTIONS = new Set([
  'where',
  'select',
  'relations',
  'order',
  'lock',
  'withDeleted',
  'cache',
  'loadEagerRelations',
  'transaction',
  'include',
  'attributes',
  'rejectOnEmpty',
  'paranoid',
  'raw',
  'skip',
  'take',
  'join',
]);

/** TypeORM 0.2's `findOne({ email })`: an object of plain conditions, no find options. */
function legacyConditions(read: OrmCall, node: TSESTree.Node): TSESTree.Node | undefined {
  const first = unwrap(node);
  if (read.receiver.orm !== 'typeorm' || first.type !== 'ObjectExpression') return undefined;
  const keys = first.properties.map((p) =>
    p.type === 'Property' && p.key.type === 'Identifier' ? p.key.name : undefined,
  );
  return keys.every((key) => key !== undefined && !FIND_OPTIONS.has(key)) ? first : undefined;
}

/** The values a create writes, as written: `{ name }`, `dto`, the values `repo.create(...)` was given. */
function writtenValues(
  context: Readonly<TSESLint.RuleContext<MessageIds, []>>,
  write: OrmCall,
  decided: TSESTree.Node,
): TSESTree.Node | undefined {
  let value: TSESTree.Node | undefined =
    write.method === 'save' && write.args.length === 0 ? builtArgument(write.call) : write.args[0];
  // Built in the not-found branch and saved after it: the values it was built from.
  if (decided !== write.call) value = decided;
  // const user = repo.create(values); ... repo.save(user): the values it was built from.
  if (value?.type === 'Identifier') value = initializerOf(context, value) ?? value;
  // save(new Customer(input)): an entity whose constructor takes its values (TypeORM's DeepPartial pattern).
  if (
    value?.type === 'NewExpression' &&
    value.callee.type === 'Identifier' &&
    value.callee.name === write.key &&
    value.arguments.length === 1
  )
    value = value.arguments[0];
  // repo.save(repo.create(values)) / manager.save(manager.create(User, values)): the values.
  if (
    value?.type === 'CallExpression' &&
    value.callee.type === 'MemberExpression' &&
    value.callee.property.type === 'Identifier' &&
    ['create', 'build'].includes(value.callee.property.name)
  ) {
    value = value.arguments[value.arguments.length - 1];
  }
  return value && unwrap(value);
}

/** The values a create writes, as source text, without the lookup's keys: `{ name }`, `dto`. */
function defaultsOf(
  values: TSESTree.Node | undefined,
  lookup: Lookup,
  source: Readonly<TSESLint.SourceCode>,
): string | undefined {
  if (!values) return undefined;
  if (values.type !== 'ObjectExpression')
    return values.type === 'Identifier' ? values.name : undefined;
  const kept = values.properties.filter(
    (p) =>
      !(
        p.type === 'Property' &&
        !p.computed &&
        p.key.type === 'Identifier' &&
        lookup.keys.has(p.key.name)
      ),
  );
  return kept.length === 0 ? undefined : `{ ${kept.map((p) => source.getText(p)).join(', ')} }`;
}

/** `null`, `{ [Op.is]: null }`, TypeORM `IsNull()`: a condition only a NULL column meets. */
function matchesOnlyNull(node: TSESTree.Node): boolean {
  const value = unwrap(node);
  if (value.type === 'Literal') return value.value === null;
  if (value.type === 'CallExpression')
    return (
      value.callee.type === 'Identifier' &&
      value.callee.name === 'IsNull' &&
      value.arguments.length === 0
    );
  if (value.type !== 'ObjectExpression' || value.properties.length !== 1) return false;
  const [only] = value.properties;
  return (
    only.type === 'Property' &&
    only.computed &&
    only.key.type === 'MemberExpression' &&
    only.key.property.type === 'Identifier' &&
    only.key.property.name === 'is' &&
    matchesOnlyNull(only.value)
  );
}

const isNullish = (node: TSESTree.Node) =>
  (node.type === 'Literal' && node.value === null) ||
  (node.type === 'Identifier' && node.name === 'undefined');

/**
 * Whether the create writes a row the read could never have found: a lookup column that must
 * be NULL written with a value (`token IS NULL` looked for, a token written), or one literal
 * looked for and another written. The read chose between two different rows, not get or create.
 */
function createsOtherRow(read: OrmCall, values: TSESTree.Node | undefined): boolean {
  const written = propertiesOf(values);
  for (const [key, condition] of propertiesOf(whereOf(read))) {
    const value = written.get(key);
    if (!value) continue;
    const wrote = unwrap(value);
    if (matchesOnlyNull(condition) && !isNullish(wrote)) return true;
    const looked = unwrap(condition);
    if (
      looked.type === 'Literal' &&
      wrote.type === 'Literal' &&
      !('regex' in looked) &&
      looked.value !== wrote.value
    )
      return true;
  }
  return false;
}

/** `Model.build(values).save()`: the values. */
function builtArgument(call: TSESTree.CallExpression): TSESTree.Node | undefined {
  const callee = call.callee;
  if (callee.type !== 'MemberExpression' || callee.object.type !== 'CallExpression')
    return undefined;
  return callee.object.arguments[0];
}

/** `raceSafe(repo).getOrCreate(lookup, { defaults })` (or updateOrCreate) or the Sequelize form, as an expression. */
function racesafeCall(
  read: OrmCall,
  lookup: string,
  defaults: string | undefined,
  method = 'getOrCreate',
  transaction?: string,
): string {
  const receiver =
    read.receiver.kind === 'manager'
      ? `${read.receiverText}.getRepository(${read.key})`
      : read.receiverText;
  if (read.receiver.orm === 'sequelize') {
    const inTransaction =
      transaction === undefined
        ? ''
        : transaction === 'transaction'
          ? ', transaction'
          : `, transaction: ${transaction}`;
    return `raceSafe(${receiver}).${method}({ where: ${lookup}${defaults ? `, defaults: ${defaults}` : ''}${inTransaction} })`;
  }
  return `raceSafe(${receiver}).${method}(${lookup}${defaults ? `, { defaults: ${defaults} }` : ''})`;
}

/** The Sequelize transaction the create or the read ran in (`{ transaction }`), as source text: getOrCreate runs in it too. */
function transactionOf(
  write: OrmCall,
  read: OrmCall,
  source: Readonly<TSESLint.SourceCode>,
): string | undefined {
  if (read.receiver.orm !== 'sequelize') return undefined;
  const options = [write.args[1], read.args[read.method === 'findByPk' ? 1 : 0]];
  for (const option of options) {
    const transaction = objectProperty(option, 'transaction');
    if (transaction) return source.getText(transaction);
  }
  return undefined;
}

/** The branch that runs when the read found the row: the other side of the deciding `if`, or the body of `if (found) return`. */
function foundBranch(
  decided: TSESTree.Node,
  read: Read,
  exit: TSESTree.IfStatement | undefined,
): TSESTree.Node | undefined {
  if (exit) return exit.consequent;
  let child: TSESTree.Node = decided;
  for (
    let parent = decided.parent;
    parent && child !== enclosingFunction(read.read.call);
    child = parent, parent = parent.parent
  ) {
    if (parent.type !== 'IfStatement' || child === parent.test) continue;
    const inAlternate = child === parent.alternate;
    const p = polarity(parent.test, read.name, read.read.call);
    if (p) {
      // On the found side of this `if`: no found branch to look at.
      if ((p === 'found') !== inAlternate) return undefined;
      const other = inAlternate ? parent.consequent : parent.alternate;
      if (other) return other;
      continue;
    }
    // `if (found && changed) { update } else if (!found) { create }`: that consequent runs only on a found row.
    if (inAlternate && requiresFound(parent.test, read)) return parent.consequent;
  }
  return undefined;
}

/** Whether `test` can be true only when the read found the row: `found`, `found && more`. */
function requiresFound(test: TSESTree.Node, read: Read): boolean {
  if (polarity(test, read.name, read.read.call) === 'found') return true;
  return (
    test.type === 'LogicalExpression' &&
    test.operator === '&&' &&
    (requiresFound(test.left, read) || requiresFound(test.right, read))
  );
}

/**
 * Whether the found path changes what the create writes on the found row (`found.value = ...`,
 * `found.update({ value })` with `value` among the created values): update-or-create code. A
 * found path that changes other columns only (restoring a soft-deleted row) is get-or-create.
 */
function updatesFoundRow(
  branch: TSESTree.Node | undefined,
  read: Read,
  created: TSESTree.Node | undefined,
): boolean {
  if (!read.name || !branch) return false;
  const values = created?.type === 'ObjectExpression' ? propertiesOf(created) : undefined;
  // Unknown created values (`dto`) or unknown changes (`found.update(dto)`): any change counts.
  const counts = (name: string | undefined) =>
    values === undefined || name === undefined || values.has(name);
  const onRow = (n: TSESTree.Node) => n.type === 'Identifier' && n.name === read.name;
  const readsRow = (value: TSESTree.Node) => [...walk(value)].some(onRow);
  let assigned = false;
  let saved = false;
  for (const node of walk(branch)) {
    if (
      node.type === 'AssignmentExpression' &&
      node.left.type === 'MemberExpression' &&
      onRow(node.left.object)
    ) {
      assigned = true;
      const name =
        !node.left.computed && node.left.property.type === 'Identifier'
          ? node.left.property.name
          : undefined;
      // `found.n += k` changes the row from its own value: updateOrCreate's defaults would overwrite it.
      if (node.operator === '=' && !readsRow(node.right) && counts(name)) return true;
    }
    if (
      node.type !== 'CallExpression' ||
      node.callee.type !== 'MemberExpression' ||
      node.callee.property.type !== 'Identifier'
    )
      continue;
    const method = node.callee.property.name;
    if (method === 'update' && onRow(node.callee.object)) {
      const [changes] = node.arguments;
      const names =
        changes?.type === 'ObjectExpression'
          ? [...propertiesOf(changes)].filter(([, value]) => !readsRow(value)).map(([key]) => key)
          : [undefined];
      if (names.some(counts)) return true;
    }
    if (method === 'save' && (onRow(node.callee.object) || node.arguments.some(onRow)))
      saved = true;
  }
  // Saved with no change seen (`Object.assign(found, dto)`, a helper): changed in ways not shown here.
  return saved && !assigned;
}

/** The statement of an `if (found) ...` that exits on the found path, if the create follows one. */
function foundExit(write: TSESTree.Node, read: Read): TSESTree.IfStatement | undefined {
  const boundary = enclosingFunction(read.read.call);
  let child: TSESTree.Node = write;
  for (
    let parent = write.parent;
    parent && child !== boundary;
    child = parent, parent = parent.parent
  ) {
    if (parent.type !== 'BlockStatement') continue;
    for (const sibling of parent.body
      .slice(0, parent.body.indexOf(child as TSESTree.Statement))
      .reverse()) {
      if (
        sibling.type === 'IfStatement' &&
        !sibling.alternate &&
        alwaysExits(sibling.consequent) &&
        polarity(sibling.test, read.name, read.read.call) === 'found'
      )
        return sibling;
    }
  }
  return undefined;
}

/** Whether the exiting branch refuses (throws) instead of handing back the found row. */
function refuses(exit: TSESTree.IfStatement | undefined): boolean {
  if (!exit) return false;
  const only =
    exit.consequent.type === 'BlockStatement' && exit.consequent.body.length === 1
      ? exit.consequent.body[0]
      : exit.consequent;
  return only.type === 'ThrowStatement';
}

/** Whether a catch around the create handles the unique violation, or reads the entity again. */
function handledByCatch(
  context: Readonly<TSESLint.RuleContext<MessageIds, []>>,
  write: OrmCall,
  read: Read,
): boolean {
  return enclosingTries(write.call, enclosingFunction(read.read.call)).some((statement) => {
    if (!statement.handler) return false;
    if (UNIQUE_VIOLATION.test(context.sourceCode.getText(statement.handler))) return true;
    return [...walk(statement.handler.body)].some(
      (node) => node.type === 'CallExpression' && decidingRead(context, node)?.key === write.key,
    );
  });
}

/** Where a saved value was built in the "not found" branch: `if (!user) user = repo.create(...)`, later `repo.save(user)`. */
function buildSites(write: OrmCall, boundary: TSESTree.Node): TSESTree.Node[] {
  const saved = write.args[write.args.length - 1];
  if (saved?.type !== 'Identifier') return [];
  return [...walk(boundary)]
    .filter(
      (node): node is TSESTree.AssignmentExpression =>
        node.type === 'AssignmentExpression' &&
        node.left.type === 'Identifier' &&
        node.left.name === saved.name &&
        (node.right.type === 'CallExpression' || node.right.type === 'NewExpression'),
    )
    .map((node) => node.right);
}

/** Whether the write saves the found row itself (an update, not a create). */
function savesFoundRow(write: OrmCall, name: string | undefined): boolean {
  if (!name) return false;
  return write.args.some((arg) =>
    [...walk(arg)].some((node) => node.type === 'Identifier' && node.name === name),
  );
}

/**
 * Whether a TypeORM save writes a row that exists already, so it updates: a property of another
 * row (`admin.user`, loaded with it), or what an earlier save or insert returned.
 */
function savesExistingRow(
  context: Readonly<TSESLint.RuleContext<MessageIds, []>>,
  write: OrmCall,
): boolean {
  if (write.receiver.orm !== 'typeorm' || write.method !== 'save' || !write.args[0]) return false;
  const saved = unwrap(write.args[0]);
  if (saved.type === 'MemberExpression') return true;
  if (saved.type !== 'Identifier') return false;
  const init = initializerOf(context, saved);
  return (
    init?.parent?.type === 'AwaitExpression' &&
    init.type === 'CallExpression' &&
    init.callee.type === 'MemberExpression' &&
    init.callee.property.type === 'Identifier' &&
    ['save', 'insert'].includes(init.callee.property.name)
  );
}

/** Decorators of hooks that run right after the row's own INSERT (sequelize-typescript, TypeORM). */
const CREATE_HOOKS = /^(AfterCreate|BeforeCreate|AfterInsert|BeforeInsert|AfterSave|BeforeSave)$/;

/**
 * Whether `fn` is a create hook: the row it runs for is not committed yet, so no other
 * transaction can create rows that refer to it, and a find-then-create keyed by it cannot race.
 */
function inCreateHook(fn: TSESTree.Node): boolean {
  const method = fn.parent;
  if (method?.type !== 'MethodDefinition') return false;
  return method.decorators.some((d) => {
    const callee = d.expression.type === 'CallExpression' ? d.expression.callee : d.expression;
    return callee.type === 'Identifier' && CREATE_HOOKS.test(callee.name);
  });
}

export const noFindThenCreate: TSESLint.RuleModule<MessageIds, []> = {
  meta: {
    type: 'problem',
    docs: {
      description:
        'Disallow a read that decides whether to create, followed by the create: concurrent callers both find nothing and both insert',
      url: docsUrl('no-find-then-create'),
    },
    hasSuggestions: true,
    schema: [],
    messages: {
      findThenCreate:
        '{{read}} (line {{line}}) decides whether to {{write}} {{entity}}: two concurrent callers both find nothing and both insert (a duplicate, or a unique violation that aborts a PostgreSQL transaction). Use racesafe getOrCreate, which lets the unique constraint decide.',
      findThenCreateUnbacked:
        "{{read}} (line {{line}}) decides whether to {{write}} {{entity}}: two concurrent callers both find nothing and both insert. Its lookup matches `{{condition}}` inside a JSON value, which no unique constraint can back, so no racesafe call replaces it as written: store that value in a column of its own with a unique constraint on the lookup's columns, then create through raceSafe({{receiver}}).getOrCreate on them.",
      useGetOrCreate: 'Create through racesafe{{note}}: {{call}}',
      useGetOrCreateRefusing:
        'Create through racesafe and refuse when the row already existed{{note}}: {{call}}',
      useUpdateOrCreate:
        "Update or create through racesafe (a concurrent creator's row gets these values){{note}}: {{call}}",
    },
  },
  defaultOptions: [],
  create(context) {
    const reads: Read[] = [];
    const writes: OrmCall[] = [];
    return {
      CallExpression(call) {
        const read = decidingRead(context, call);
        if (read) reads.push({ read, name: resultName(call) });
        const write = creatingWrite(context, call);
        if (write) writes.push(write);
      },
      'Program:exit'() {
        for (const write of writes) {
          const boundary = enclosingFunction(write.call);
          if (inCreateHook(boundary) || savesExistingRow(context, write)) continue;
          const candidates = reads.filter(
            ({ read }) =>
              read.key === write.key &&
              read.call.range[1] <= write.call.range[0] &&
              enclosingFunction(read.call) === boundary,
          );
          for (const read of candidates.reverse()) {
            const builds = buildSites(write, boundary);
            if (takesLock(read.read) || (builds.length === 0 && savesFoundRow(write, read.name)))
              continue;
            const decided = [write.call, ...builds].find(
              (node) => runsWhen(node, read.name, read.read.call) === 'missing',
            );
            if (
              !decided ||
              handledByCatch(context, write, read) ||
              createsOtherRow(read.read, writtenValues(context, write, decided))
            )
              continue;
            report(write, read, decided);
            break;
          }
        }
      },
    };

    function report(write: OrmCall, read: Read, decided: TSESTree.Node): void {
      const source = context.sourceCode;
      const values = writtenValues(context, write, decided);
      const found = lookupOf(context, read.read, values);
      const defaults = defaultsOf(values, found, source);
      const exit = foundExit(write.call, read);
      const updates = updatesFoundRow(foundBranch(decided, read, exit), read, values);
      const suggest = found.forms.flatMap((form) =>
        suggestion(write, read, decided, exit, form, defaults, updates),
      );
      const data = {
        read: `${read.read.receiverText}.${read.read.method}()`,
        line: String(read.read.call.loc.start.line),
        write: write.method,
        entity: read.read.key,
      };
      if (found.unbacked)
        context.report({
          node: write.call,
          messageId: 'findThenCreateUnbacked',
          data: { ...data, condition: found.unbacked, receiver: read.read.receiverText },
        });
      else context.report({ node: write.call, messageId: 'findThenCreate', data, suggest });
    }

    /** The racesafe call replacing the create, with one form of the lookup. */
    function suggestion(
      write: OrmCall,
      read: Read,
      decided: TSESTree.Node,
      exit: TSESTree.IfStatement | undefined,
      { text: lookup, note }: LookupForm,
      defaults: string | undefined,
      updates: boolean,
    ): TSESLint.SuggestionReportDescriptor<MessageIds>[] {
      const source = context.sourceCode;
      const transaction = transactionOf(write, read.read, source);
      const call = racesafeCall(read.read, lookup, defaults, 'getOrCreate', transaction);
      const importFix = (fixer: TSESLint.RuleFixer) =>
        addImports(fixer, source, RACESAFE_MODULE[read.read.receiver.orm], ['raceSafe']);
      const target = decided.parent?.type === 'AwaitExpression' ? decided.parent : decided;
      if (defaults && updates && !refuses(exit)) {
        // The found path updates the row: updateOrCreate updates a concurrent creator's row instead of losing these values.
        const upsert = racesafeCall(read.read, lookup, defaults, 'updateOrCreate', transaction);
        return [
          {
            messageId: 'useUpdateOrCreate',
            data: { call: upsert, note },
            fix: (fixer) => [
              fixer.replaceText(target, `(await ${upsert})[0]`),
              ...importFix(fixer),
            ],
          },
        ];
      }
      if (!refuses(exit))
        // The create path becomes getOrCreate: a concurrent creator's row is returned instead of a duplicate.
        return [
          {
            messageId: 'useGetOrCreate',
            data: { call, note },
            fix: (fixer) => [fixer.replaceText(target, `(await ${call})[0]`), ...importFix(fixer)],
          },
        ];
      const statement = exit && decided === write.call && refusingStatement(write, call, exit);
      if (!statement) return [];
      return [
        {
          messageId: 'useGetOrCreateRefusing',
          data: { call, note },
          fix: (fixer) => [fixer.replaceText(statement.node, statement.text), ...importFix(fixer)],
        },
      ];
    }

    /** `const [row, created] = await getOrCreate(...); if (!created) throw ...;` in place of the create statement. */
    function refusingStatement(
      write: OrmCall,
      call: string,
      exit: TSESTree.IfStatement,
    ): { node: TSESTree.Node; text: string } | undefined {
      const source = context.sourceCode;
      const expression: TSESTree.Node =
        write.call.parent?.type === 'AwaitExpression' ? write.call.parent : write.call;
      const statement =
        expression.parent?.type === 'VariableDeclarator'
          ? expression.parent.parent
          : expression.parent;
      if (!statement) return undefined;
      const indent = ' '.repeat(statement.loc.start.column);
      const refusal = source.getText(exit.consequent);
      const head = (names: string) =>
        `const [${names}] = await ${call};\n${indent}if (!created) ${refusal}`;
      if (statement.type === 'ExpressionStatement')
        return { node: statement, text: head(', created') };
      if (statement.type === 'ReturnStatement')
        return { node: statement, text: `${head('row, created')}\n${indent}return row;` };
      if (
        statement.type === 'VariableDeclaration' &&
        statement.declarations.length === 1 &&
        statement.declarations[0].id.type === 'Identifier'
      ) {
        return { node: statement, text: head(`${statement.declarations[0].id.name}, created`) };
      }
      return undefined;
    }
  },
};
