/** Types, domains, schemas, extensions, roles, publications; DROP of anything; RENAME of anything. */
import { irreversible, keyName, noneStep, sqlStep, type FileContext, type KnownObject, type Step, type Stmt } from './context.js'
import { guardOrIrreversible, relationWord } from './relations.js'
import { nameList, qualified, rangeVarText, signatureType, type Ast } from './sql-text.js'
import { defaultsUsing, dependentsOf, describe, lostWith, refersTo, restoreStatements } from './dependents.js'
import { renameAfterKeyword, renameRelation } from './rewrite.js'
import { domainState } from './settings.js'
import { quoteLiteral } from '../sql/quote.js'

function guardedNoop(before: KnownObject): Step {
  return noneStep(`it already existed (${before.path}:${before.line}), so this create changed nothing`)
}

export function createType(ctx: FileContext, stmt: Stmt): Step {
  const n = stmt.node[stmt.kind]
  const names =
    stmt.kind === 'CompositeTypeStmt'
      ? [n.typevar?.schemaname, n.typevar?.relname].filter(Boolean)
      : stmt.kind === 'CreateDomainStmt'
        ? nameList(n.domainname)
        : stmt.kind === 'DefineStmt'
          ? nameList(n.defnames)
          : nameList(n.typeName)
  const word = stmt.kind === 'CreateDomainStmt' ? 'DOMAIN' : 'TYPE'
  const key = ctx.listKey('type', names)
  const before = ctx.known(key)
  if (before && (stmt.guarded || n.if_not_exists)) return guardedNoop(before)
  ctx.created(key, stmt, { kind: word === 'DOMAIN' ? 'domain' : 'type', ...(word === 'DOMAIN' && { domain: domainState(stmt) }) })
  return sqlStep(`DROP ${word} IF EXISTS ${qualified(ctx.lib, names)}`)
}

export function defineStatement(ctx: FileContext, stmt: Stmt): Step {
  const n = stmt.node.DefineStmt
  if (n.kind === 'OBJECT_TYPE') return createType(ctx, stmt)
  const word = String(n.kind)
    .replace(/^OBJECT_/, '')
    .replace(/_/g, ' ')
  return irreversible(`CREATE ${word}`, `strata does not write the reverse of CREATE ${word}`)
}

export function alterEnum(ctx: FileContext, stmt: Stmt): Step {
  const n = stmt.node.AlterEnumStmt
  const names = nameList(n.typeName)
  if (n.oldVal !== undefined) {
    return sqlStep(`ALTER TYPE ${qualified(ctx.lib, names)} RENAME VALUE ${quoteLiteral(n.newVal)} TO ${quoteLiteral(n.oldVal)}`)
  }
  const line = ctx.createdHere.get(ctx.listKey('type', names))
  if (line !== undefined) return noneStep(`the type goes with its CREATE at line ${line}`)
  return irreversible('ALTER TYPE ... ADD VALUE', 'Postgres cannot remove a value from an enum; recreate the type by hand if you must')
}

/** CREATE SCHEMA and CREATE EXTENSION: when they say IF NOT EXISTS, the object may have been there before. */
/** An object with a plain name and no owner table: CREATE → DROP ... IF EXISTS, unless an earlier file made it and this create is guarded. */
function createNamed(
  ctx: FileContext,
  stmt: Stmt,
  kind: 'schema' | 'extension' | 'role' | 'publication',
  name: string,
  ifNotExists: boolean,
): Step {
  const key = `${kind}:${name}`
  const before = ctx.known(key)
  if (before && (ifNotExists || stmt.guarded)) return guardedNoop(before)
  ctx.created(key, stmt, { kind })
  const note = ifNotExists ? `if the ${kind} was there before this migration, delete this statement` : undefined
  return sqlStep(`DROP ${kind.toUpperCase()} IF EXISTS ${ctx.quote(name)}`, note)
}

export function createSchema(ctx: FileContext, stmt: Stmt): Step {
  const n = stmt.node.CreateSchemaStmt
  if (n.schemaElts?.length)
    return irreversible('CREATE SCHEMA ... CREATE', 'write the reverse of the objects created inside CREATE SCHEMA by hand')
  return createNamed(ctx, stmt, 'schema', n.schemaname ?? n.authrole?.rolename, !!n.if_not_exists)
}

export function createExtension(ctx: FileContext, stmt: Stmt): Step {
  const n = stmt.node.CreateExtensionStmt
  return createNamed(ctx, stmt, 'extension', n.extname, !!n.if_not_exists)
}

export function createRole(ctx: FileContext, stmt: Stmt): Step {
  return createNamed(ctx, stmt, 'role', stmt.node.CreateRoleStmt.role, false)
}

export function createPublication(ctx: FileContext, stmt: Stmt): Step {
  return createNamed(ctx, stmt, 'publication', stmt.node.CreatePublicationStmt.pubname, false)
}

export function alterPublication(ctx: FileContext, stmt: Stmt): Step {
  const n = stmt.node.AlterPublicationStmt
  const line = ctx.createdHere.get(`publication:${n.pubname}`)
  if (line !== undefined) return noneStep(`the publication goes with its CREATE at line ${line}`)
  const swap = n.action === 'AP_AddObjects' ? ['ADD', 'DROP'] : n.action === 'AP_DropObjects' ? ['DROP', 'ADD'] : undefined
  if (!swap) return irreversible('ALTER PUBLICATION ... SET', 'the publication contents before it are not known from the files')
  const tokens = stmt.source.tokens.between(stmt.start, stmt.end)
  const at = tokens.findIndex((t) => t.word === swap[0])
  if (at < 0) return irreversible('ALTER PUBLICATION', 'strata could not read this statement')
  const rest = stmt.source.text.slice(tokens[at]!.end, stmt.end)
  // DROP TABLE in a publication takes no column list or WHERE clause.
  const objects = swap[1] === 'DROP' ? rest.replace(/\s*\([^)]*\)|\s+WHERE\s+\(.*\)/gis, '') : rest
  return sqlStep(`${stmt.source.text.slice(stmt.start, tokens[at]!.start)}${swap[1]}${objects}`)
}

/** How DROP names each kind of object: the key in the model and the text for notes. */
function dropTarget(ctx: FileContext, removeType: string, object: Ast): string | undefined {
  switch (removeType) {
    case 'OBJECT_TABLE':
    case 'OBJECT_VIEW':
    case 'OBJECT_MATVIEW':
    case 'OBJECT_SEQUENCE':
    case 'OBJECT_INDEX':
    case 'OBJECT_FOREIGN_TABLE': {
      const names = nameList(object.List?.items)
      return `rel:${ctx.schemaOf(names.length > 1 ? names[names.length - 2] : undefined)}.${names[names.length - 1]}`
    }
    case 'OBJECT_TYPE':
    case 'OBJECT_DOMAIN':
      return ctx.listKey('type', nameList(object.TypeName?.names))
    case 'OBJECT_SCHEMA':
    case 'OBJECT_EXTENSION':
    case 'OBJECT_PUBLICATION':
    case 'OBJECT_EVENT_TRIGGER':
      return `${removeType
        .replace(/^OBJECT_/, '')
        .replace(/_/g, ' ')
        .toLowerCase()}:${object.String?.sval}`
    case 'OBJECT_FUNCTION':
    case 'OBJECT_PROCEDURE':
    case 'OBJECT_ROUTINE':
    case 'OBJECT_AGGREGATE':
      return object.ObjectWithArgs ? ctx.objectWithArgsKey(object.ObjectWithArgs) : undefined
    case 'OBJECT_TRIGGER':
    case 'OBJECT_POLICY':
    case 'OBJECT_RULE': {
      const names = nameList(object.List?.items)
      const name = names.pop()!
      const table = names.pop()
      const schema = names.pop()
      return `${removeType.replace(/^OBJECT_/, '').toLowerCase()}:${ctx.schemaOf(schema)}.${table}.${name}`
    }
    default:
      return undefined
  }
}

/** Objects whose rows or values die with them: recreating the definition would not bring them back. */
const HOLDS_DATA = new Set(['table', 'sequence', 'foreign table'])

export function dropObjects(ctx: FileContext, stmt: Stmt): Step {
  const n = stmt.node.DropStmt
  const word =
    n.removeType === 'OBJECT_MATVIEW'
      ? 'MATERIALIZED VIEW'
      : String(n.removeType)
          .replace(/^OBJECT_/, '')
          .replace(/_/g, ' ')
  const what = `DROP ${word}`
  const steps = (n.objects ?? []).map((object: Ast) => {
    const key = dropTarget(ctx, n.removeType, object)
    const step = key
      ? dropOne(ctx, key, what, !!n.missing_ok, n.behavior === 'DROP_CASCADE')
      : irreversible(what, `strata does not reverse ${what}`)
    if (key) ctx.catalog.forget(key)
    return step
  })
  return combine(steps)
}

export function dropRoles(ctx: FileContext, stmt: Stmt): Step {
  const n = stmt.node.DropRoleStmt
  const steps = (n.roles ?? []).map((r: Ast) => {
    const key = `role:${r.RoleSpec?.rolename}`
    const step = dropOne(ctx, key, 'DROP ROLE', !!n.missing_ok, false)
    ctx.catalog.forget(key)
    return step
  })
  return combine(steps)
}

function combine(steps: Step[]): Step {
  const stop = steps.find((s) => s.kind === 'irreversible')
  if (stop) return steps.length === 1 ? stop : { ...stop, guardKey: undefined }
  // The last object's restore first (it may depend on the ones before it), each restore in its own order.
  const sql = [...steps].reverse().flatMap((s) => (s.kind === 'sql' ? s.sql : []))
  if (sql.length)
    return sqlStep(
      sql,
      steps
        .map((s) => (s.kind === 'sql' ? s.note : undefined))
        .filter(Boolean)
        .join('; ') || undefined,
    )
  return steps[0] ?? noneStep('nothing to undo')
}

function dropOne(ctx: FileContext, key: string, what: string, missingOk: boolean, cascade: boolean): Step {
  const line = ctx.createdHere.get(key)
  if (line !== undefined) return noneStep(`${keyName(key)} was created at line ${line} of this file`)
  const known = ctx.known(key)
  if (!known) {
    const why = `what it dropped is not known from the files${cascade ? ', and CASCADE may have dropped more' : ''}`
    return missingOk && !cascade ? guardOrIrreversible(key, what, why) : irreversible(what, why)
  }
  if (HOLDS_DATA.has(known.kind)) {
    const why = `the ${known.kind === 'sequence' ? 'current value' : 'rows'} of ${keyName(key)} are gone; restore them from a backup or write the reverse by hand`
    return known.kind === 'table' ? { kind: 'irreversible', what, why, prefill: tableHistory(ctx, key, known) } : irreversible(what, why)
  }
  if (!known.text) return irreversible(what, `the definition of ${keyName(key)} is not known from the files`)
  const restored = `restores ${keyName(key)} as ${known.path}:${known.line} made it`
  if (!cascade) return sqlStep(restoreStatements(ctx, key), restored)
  // CASCADE dropped what depends on it: the history knows how each was made, so make them again after it.
  const dependents = dependentsOf(ctx, key)
  const lost = lostWith(ctx, dependents)
  if (lost) return irreversible(`${what} ... CASCADE`, `CASCADE also dropped what depends on ${keyName(key)}, and ${lost}`)
  const sql = [...restoreStatements(ctx, key), ...defaultsUsing(ctx, key), ...dependents.flatMap((d) => restoreStatements(ctx, d))]
  for (const dependent of dependents) ctx.catalog.forget(dependent)
  const also = dependents.length ? `; and what CASCADE dropped with it: ${dependents.map(describe).join(', ')}` : ''
  return sqlStep(sql, restored + also)
}

/** A dropped table as the history made it, for the person who writes its reverse: its CREATE, what later changed it, its indexes, triggers, policies, comments and grants. */
function tableHistory(ctx: FileContext, key: string, table: KnownObject): { note: string; sql: string[] } | undefined {
  if (!table.text) return undefined
  const parts = [...ctx.catalog.objects.values()].filter(
    (part) => part.table === key && part.text && ['index', 'trigger', 'policy', 'rule'].includes(part.kind) && part.text !== table.text,
  )
  return {
    note: `${keyName(key)} as the history made it (${table.path}:${table.line} and the files after it); it comes back empty: load its rows from a backup after it`,
    sql: [
      table.text,
      ...(table.alterations ?? []),
      ...parts.map((part) => part.text),
      ...(ctx.catalog.commentTexts.get(key)?.values() ?? []),
      ...(ctx.catalog.privileges.get(key) ?? []),
    ],
  }
}

/** RENAME a TO b becomes RENAME b TO a; the model follows the new name. */
export function rename(ctx: FileContext, stmt: Stmt): Step {
  const n = stmt.node.RenameStmt
  const q = ctx.quote
  const newRel = { ...n.relation, relname: n.newname }
  switch (n.renameType) {
    case 'OBJECT_TABLE':
    case 'OBJECT_VIEW':
    case 'OBJECT_MATVIEW':
    case 'OBJECT_INDEX':
    case 'OBJECT_SEQUENCE':
    case 'OBJECT_FOREIGN_TABLE': {
      const from = ctx.relKey(n.relation)
      ctx.known(from)?.alterations?.push(stmt.text)
      followRename(ctx, n.renameType, from, n.relation.relname, n.newname)
      moveKey(ctx, from, ctx.relKey(newRel))
      return sqlStep(
        `ALTER ${relationWord(n.renameType)} ${n.missing_ok ? 'IF EXISTS ' : ''}${rangeVarText(ctx.lib, newRel)} RENAME TO ${q(n.relation.relname)}`,
      )
    }
    case 'OBJECT_COLUMN': {
      const tableKey = ctx.relKey(n.relation)
      const columns = ctx.tableColumns(tableKey)
      const state = columns?.get(n.subname)
      if (columns && state) {
        columns.delete(n.subname)
        columns.set(n.newname, state)
      }
      forgetTextsNaming(ctx, tableKey, n.subname)
      ctx.known(tableKey)?.alterations?.push(stmt.text)
      return sqlStep(
        `ALTER ${relationWord(n.relationType)} ${rangeVarText(ctx.lib, n.relation)} RENAME COLUMN ${q(n.newname)} TO ${q(n.subname)}`,
      )
    }
    case 'OBJECT_TABCONSTRAINT': {
      const from = ctx.onTableKey('constraint', n.relation, n.subname)
      const constraint = ctx.known(from)
      // The statement that made it must name it as it is called now, to make it again after a later DROP CONSTRAINT.
      if (constraint?.text)
        ctx.catalog.objects.set(from, {
          ...constraint,
          text: renameAfterKeyword(ctx.lib, constraint.text, 'CONSTRAINT', n.subname, n.newname) ?? '',
        })
      ctx.known(ctx.relKey(n.relation))?.alterations?.push(stmt.text)
      moveKey(ctx, from, ctx.onTableKey('constraint', n.relation, n.newname))
      return sqlStep(`ALTER TABLE ${rangeVarText(ctx.lib, n.relation)} RENAME CONSTRAINT ${q(n.newname)} TO ${q(n.subname)}`)
    }
    case 'OBJECT_TRIGGER':
    case 'OBJECT_POLICY':
    case 'OBJECT_RULE': {
      const kind = n.renameType.replace(/^OBJECT_/, '').toLowerCase()
      moveKey(ctx, ctx.onTableKey(kind, n.relation, n.subname), ctx.onTableKey(kind, n.relation, n.newname))
      return sqlStep(`ALTER ${kind.toUpperCase()} ${q(n.newname)} ON ${rangeVarText(ctx.lib, n.relation)} RENAME TO ${q(n.subname)}`)
    }
    case 'OBJECT_TYPE':
    case 'OBJECT_DOMAIN': {
      const names = nameList(n.object?.List?.items ?? n.object?.TypeName?.names)
      const renamed = [...names.slice(0, -1), n.newname]
      moveKey(ctx, ctx.listKey('type', names), ctx.listKey('type', renamed))
      return sqlStep(
        `ALTER ${n.renameType === 'OBJECT_DOMAIN' ? 'DOMAIN' : 'TYPE'} ${qualified(ctx.lib, renamed)} RENAME TO ${q(names[names.length - 1]!)}`,
      )
    }
    case 'OBJECT_SCHEMA':
      return sqlStep(`ALTER SCHEMA ${q(n.newname)} RENAME TO ${q(n.subname)}`)
    case 'OBJECT_ROLE':
      return sqlStep(`ALTER ROLE ${q(n.newname)} RENAME TO ${q(n.subname)}`)
    case 'OBJECT_ATTRIBUTE':
      return sqlStep(`ALTER TYPE ${rangeVarText(ctx.lib, n.relation)} RENAME ATTRIBUTE ${q(n.newname)} TO ${q(n.subname)}`)
    case 'OBJECT_FUNCTION':
    case 'OBJECT_PROCEDURE': {
      const owa = n.object?.ObjectWithArgs
      const names = nameList(owa?.objname)
      const renamed = [...names.slice(0, -1), n.newname]
      const args = (owa?.objargs ?? []).map((t: Ast) => signatureType(ctx.lib, t.TypeName ?? t)).join(', ')
      const oldKey = ctx.objectWithArgsKey(owa)
      moveKey(ctx, oldKey, oldKey.replace(/\.[^.(]*\(/, `.${n.newname}(`))
      const word = n.renameType === 'OBJECT_PROCEDURE' ? 'PROCEDURE' : 'FUNCTION'
      return sqlStep(`ALTER ${word} ${qualified(ctx.lib, renamed)}(${args}) RENAME TO ${q(names[names.length - 1]!)}`)
    }
    default:
      return irreversible(`ALTER ${String(n.renameType).replace(/^OBJECT_/, '')} ... RENAME`, 'strata does not reverse this kind of rename')
  }
}

/**
 * After a rename, the statements that made objects must say the new name, or restoring them later would make
 * the wrong thing: an index or sequence its own CREATE; a table the objects on it and the views that read it
 * (Postgres follows the rename in its catalog). A text that cannot be rewritten is forgotten: restoring it
 * then becomes a refusal rather than a wrong statement.
 */
function followRename(ctx: FileContext, type: string, key: string, oldName: string, newName: string): void {
  const object = ctx.known(key)
  if (type === 'OBJECT_INDEX' && object?.text) setText(ctx, key, renameAfterKeyword(ctx.lib, object.text, 'INDEX', oldName, newName))
  if (type === 'OBJECT_SEQUENCE') renameSequence(ctx, key, oldName, newName)
  if (type !== 'OBJECT_TABLE' && type !== 'OBJECT_VIEW' && type !== 'OBJECT_MATVIEW' && type !== 'OBJECT_FOREIGN_TABLE') return
  const schema = key.slice(4, key.length - oldName.length - 1)
  for (const [other, candidate] of ctx.catalog.objects) {
    if (other === key || !candidate.text || !mentions(candidate.text, oldName)) continue
    if (candidate.table === key || ['view', 'materialized view', 'policy', 'trigger', 'rule', 'constraint'].includes(candidate.kind))
      setText(ctx, other, renameRelation(ctx.lib, candidate.text, { schema, name: oldName }, newName, ctx.defaultSchema))
  }
}

/** A renamed sequence: its CREATE, and the column defaults that call nextval() on it. */
function renameSequence(ctx: FileContext, key: string, oldName: string, newName: string): void {
  const object = ctx.known(key)
  if (object?.text) setText(ctx, key, renameAfterKeyword(ctx.lib, object.text, 'SEQUENCE', oldName, newName))
  const quotedOld = new RegExp(`'((?:[^'.]+\\.)?)${ctx.quote(oldName).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}'`, 'g')
  for (const table of ctx.catalog.objects.values()) {
    for (const column of table.columns?.values() ?? []) {
      if (column.default?.includes('nextval')) column.default = column.default.replace(quotedOld, `'$1${ctx.quote(newName)}'`)
    }
  }
}

function setText(ctx: FileContext, key: string, text: string | undefined): void {
  const object = ctx.known(key)
  if (object) ctx.catalog.objects.set(key, { ...object, text: text ?? '' })
}

function mentions(text: string, name: string): boolean {
  return new RegExp(`(^|[^A-Za-z0-9_$])"?${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"?($|[^A-Za-z0-9_$])`, 'i').test(text)
}

/**
 * After a column rename, the statements that made a table's indexes, constraints, triggers and policies, and the
 * views that read the table, may still name the old column: restoring them from that text would fail or be
 * wrong, so it is forgotten.
 */
function forgetTextsNaming(ctx: FileContext, tableKey: string, oldName: string): void {
  for (const [key, object] of ctx.catalog.objects) {
    if (!object.text || !mentions(object.text, oldName)) continue
    const reads = object.kind === 'view' || object.kind === 'materialized view' ? refersTo(ctx, object, tableKey) : false
    if (object.table === tableKey || reads) ctx.catalog.objects.set(key, { ...object, text: '' })
  }
}

function moveKey(ctx: FileContext, from: string, to: string): void {
  ctx.catalog.rename(from, to)
  const line = ctx.createdHere.get(from)
  if (line === undefined) return
  ctx.createdHere.delete(from)
  ctx.createdHere.set(to, line)
}
