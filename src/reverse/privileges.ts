/**
 * GRANT and REVOKE (of privileges, of roles, by default), COMMENT ON and OWNER TO. A GRANT is undone by
 * the REVOKE of exactly what it gave; a REVOKE only when the files show what was held before (an earlier
 * GRANT, or a privilege Postgres gives PUBLIC by default).
 */
import { irreversible, noneStep, sqlStep, type FileContext, type Step, type Stmt } from './context.js'
import { nameList, sliceText, topLevelIndex, type Ast, type Token } from './sql-text.js'
import { quoteLiteral } from '../sql/quote.js'

const RELATION_TYPES = new Set(['OBJECT_TABLE', 'OBJECT_SEQUENCE', 'OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_FOREIGN_TABLE', 'OBJECT_INDEX'])
const ROUTINE_TYPES = new Set(['OBJECT_FUNCTION', 'OBJECT_PROCEDURE', 'OBJECT_ROUTINE', 'OBJECT_AGGREGATE'])

/** The model key of the object a GRANT, COMMENT or OWNER TO is about. */
export function targetKey(ctx: FileContext, objtype: string, object: Ast): string | undefined {
  if (RELATION_TYPES.has(objtype)) {
    if (object.RangeVar) return ctx.relKey(object.RangeVar)
    const names = nameList(object.List?.items)
    return ctx.relKey({ schemaname: names.length > 1 ? names[names.length - 2] : undefined, relname: names[names.length - 1] })
  }
  if (ROUTINE_TYPES.has(objtype)) return object.ObjectWithArgs ? ctx.objectWithArgsKey(object.ObjectWithArgs) : undefined
  if (objtype === 'OBJECT_TYPE' || objtype === 'OBJECT_DOMAIN')
    return ctx.listKey('type', nameList(object.TypeName?.names ?? object.List?.items))
  if (objtype === 'OBJECT_COLUMN') {
    const names = nameList(object.List?.items)
    const column = names.pop()
    const table = ctx.relKey({ schemaname: names.length > 1 ? names[names.length - 2] : undefined, relname: names[names.length - 1] })
    return ctx.createdHere.has(`column:${table.slice(4)}.${column}`) ? `column:${table.slice(4)}.${column}` : table
  }
  if (['OBJECT_TRIGGER', 'OBJECT_POLICY', 'OBJECT_RULE', 'OBJECT_TABCONSTRAINT'].includes(objtype)) {
    const names = nameList(object.List?.items)
    const name = names.pop()
    const table = names.pop()
    const kind = objtype === 'OBJECT_TABCONSTRAINT' ? 'constraint' : objtype.replace(/^OBJECT_/, '').toLowerCase()
    return `${kind}:${ctx.schemaOf(names.pop())}.${table}.${name}`
  }
  const name = object.String?.sval
  return name
    ? `${objtype
        .replace(/^OBJECT_/, '')
        .replace(/_/g, ' ')
        .toLowerCase()}:${name}`
    : undefined
}

function roleName(spec: Ast): string {
  const r = spec.RoleSpec ?? spec
  return r.roletype === 'ROLESPEC_PUBLIC' ? 'public' : r.roletype === 'ROLESPEC_CSTRING' ? r.rolename : r.roletype
}

/** One string per (object, privilege, grantee): what the model remembers of grants. */
function grantTuples(ctx: FileContext, n: Ast, scope: string): { tuples: string[]; objects: string[] } {
  const objects =
    n.targtype === 'ACL_TARGET_OBJECT'
      ? (n.objects ?? []).map((o: Ast) => targetKey(ctx, n.objtype, o) ?? JSON.stringify(o))
      : [`${n.targtype}:${n.objtype}:${nameList(n.objects).join(',')}`]
  const privileges = n.privileges?.length
    ? n.privileges.map((p: Ast) => `${p.AccessPriv?.priv_name}(${nameList(p.AccessPriv?.cols)})`)
    : ['all']
  const grantees = (n.grantees ?? []).map(roleName)
  const tuples = objects.flatMap((o: string) =>
    privileges.flatMap((p: string) => grantees.map((g: string) => `${scope}|${n.objtype}|${o}|${p}|${g}`)),
  )
  return { tuples, objects: n.targtype === 'ACL_TARGET_OBJECT' ? objects : [] }
}

/** What every role gets without a GRANT: EXECUTE on routines, USAGE on types and languages. */
function publicByDefault(tuple: string): boolean {
  const [scope, objtype, , privilege, grantee] = tuple.split('|')
  if (grantee !== 'public' || (scope !== 'object' && !scope!.startsWith('default-global:'))) return false
  const priv = privilege!.replace(/\(.*\)$/, '')
  if (ROUTINE_TYPES.has(objtype!)) return priv === 'execute' || priv === 'all' || priv === 'undefined'
  return (
    (objtype === 'OBJECT_TYPE' || objtype === 'OBJECT_DOMAIN' || objtype === 'OBJECT_LANGUAGE') &&
    (priv === 'usage' || priv === 'all' || priv === 'undefined')
  )
}

export function grant(ctx: FileContext, stmt: Stmt): Step {
  const n = stmt.node.GrantStmt
  const { tuples, objects } = grantTuples(ctx, n, 'object')
  // Remembered to grant again when the object is made again (a view dropped and restored loses its grants).
  if (objects.length === 1) {
    const history = ctx.catalog.privileges.get(objects[0]!) ?? []
    history.push(stmt.text)
    ctx.catalog.privileges.set(objects[0]!, history)
  }
  const covered = objects.length > 0 && objects.every((k) => ctx.coveredBy(k) !== undefined)
  return grantOrRevoke(ctx, stmt, !!n.is_grant, tuples, covered, 0)
}

export function alterDefaultPrivileges(ctx: FileContext, stmt: Stmt): Step {
  const n = stmt.node.AlterDefaultPrivilegesStmt
  const option = (name: string) => (n.options ?? []).map((o: Ast) => o.DefElem).find((d: Ast) => d?.defname === name)
  const schemas = nameList(option('schemas')?.arg?.List?.items)
  const roles = (option('roles')?.arg?.List?.items ?? []).map(roleName)
  const scope = schemas.length ? `default:${roles.join(',')}:${schemas.join(',')}` : `default-global:${roles.join(',')}`
  const { tuples } = grantTuples(ctx, n.action, scope)
  const tokens = stmt.source.tokens.between(stmt.start, stmt.end)
  const at = tokens.findIndex((t) => t.word === 'GRANT' || t.word === 'REVOKE')
  // IN SCHEMA defaults only add to the global ones: revoking one that no file granted changes nothing.
  if (!n.action.is_grant && schemas.length && tuples.every((t) => !ctx.catalog.grants.has(t))) {
    return noneStep('a schema-level REVOKE removes only schema-level defaults, and no earlier file granted these')
  }
  return grantOrRevoke(ctx, stmt, !!n.action.is_grant, tuples, false, at)
}

export function grantRole(ctx: FileContext, stmt: Stmt): Step {
  const n = stmt.node.GrantRoleStmt
  const granted = (n.granted_roles ?? []).map((r: Ast) => r.AccessPriv?.priv_name)
  const grantees = (n.grantee_roles ?? []).map(roleName)
  const tuples = granted.flatMap((r: string) => grantees.map((g: string) => `role|${r}|${g}`))
  return grantOrRevoke(ctx, stmt, !!n.is_grant, tuples, false, 0)
}

function grantOrRevoke(ctx: FileContext, stmt: Stmt, isGrant: boolean, tuples: string[], covered: boolean, at: number): Step {
  const grants = ctx.catalog.grants
  const tokens = stmt.source.tokens.between(stmt.start, stmt.end)
  if (isGrant) {
    const already = tuples.length > 0 && tuples.every((t) => grants.has(t))
    for (const t of tuples) grants.add(t)
    if (covered) return noneStep('the privileges go with the objects this file created')
    if (already) return noneStep('an earlier file had already granted these privileges')
    const revoke = swapped(stmt, tokens, at, 'REVOKE')
    return revoke ? sqlStep(revoke) : irreversible('GRANT', 'strata could not read this statement')
  }
  const restorable = tuples.every((t) => grants.has(t) || publicByDefault(t))
  for (const t of tuples) grants.delete(t)
  if (covered) return noneStep('the privileges go with the objects this file created')
  if (!restorable) return irreversible('REVOKE', 'the privileges held before it are not known from the files')
  const regrant = swapped(stmt, tokens, at, 'GRANT')
  return regrant ? sqlStep(regrant) : irreversible('REVOKE', 'strata could not read this statement')
}

/** GRANT x ON y TO z  <->  REVOKE x ON y FROM z, copied from the source so names keep their spelling. */
function swapped(stmt: Stmt, tokens: Token[], at: number, to: 'GRANT' | 'REVOKE'): string | undefined {
  const text = stmt.source.text
  const prefix = text.slice(stmt.start, tokens[at]!.start)
  let from = at + 1
  let withOption = ''
  if (to === 'GRANT' && tokens[from + 1]?.word === 'OPTION' && tokens[from + 2]?.word === 'FOR') {
    withOption = ` WITH ${tokens[from]!.word} OPTION`
    from += 3
  }
  const pivot = topLevelIndex(tokens, to === 'REVOKE' ? 'TO' : 'FROM', from)
  if (pivot < 0) return undefined
  let end = pivot + 1
  const stops = new Set(['WITH', 'GRANTED', 'CASCADE', 'RESTRICT'])
  while (end < tokens.length && !(tokens[end]!.keyword && stops.has(tokens[end]!.word))) end++
  const what = sliceText(text, tokens.slice(from, pivot))
  const who = sliceText(text, tokens.slice(pivot + 1, end))
  return to === 'REVOKE' ? `${prefix}REVOKE ${what} FROM ${who}` : `${prefix}GRANT ${what} TO ${who}${withOption}`
}

export function comment(ctx: FileContext, stmt: Stmt): Step {
  const n = stmt.node.CommentStmt
  const key = targetKey(ctx, n.objtype, n.object)
  const memo = `${n.objtype}|${JSON.stringify(n.object, (k, v) => (k === 'location' ? undefined : v))}`
  const previous = ctx.catalog.comments.get(memo)
  if (n.comment === undefined) ctx.catalog.comments.delete(memo)
  else ctx.catalog.comments.set(memo, n.comment)
  rememberComment(ctx, n, key, memo, stmt.text)
  const line = key === undefined ? undefined : ctx.coveredBy(key)
  if (line !== undefined) return noneStep(`the comment goes with the object created at line ${line}`)
  const tokens = stmt.source.tokens.between(stmt.start, stmt.end)
  let is = -1
  for (let i = topLevelIndex(tokens, 'IS'); i >= 0; i = topLevelIndex(tokens, 'IS', i + 1)) is = i
  if (is < 0) return irreversible('COMMENT ON', 'strata could not read this statement')
  // No earlier file set a comment: there was none (a comment is never there unless someone wrote it).
  return sqlStep(`${stmt.source.text.slice(stmt.start, tokens[is]!.start)}IS ${previous === undefined ? 'NULL' : quoteLiteral(previous)}`)
}

/** COMMENT statements by the object they belong to (a column's comment by its table), to say them again when it is made again. */
function rememberComment(ctx: FileContext, n: Ast, key: string | undefined, memo: string, text: string): void {
  let owner = key
  if (n.objtype === 'OBJECT_COLUMN') {
    const names = nameList(n.object?.List?.items)
    names.pop()
    owner = ctx.relKey({ schemaname: names.length > 1 ? names[names.length - 2] : undefined, relname: names[names.length - 1] })
  }
  if (!owner) return
  const comments = ctx.catalog.commentTexts.get(owner) ?? new Map<string, string>()
  comments.delete(memo) // the latest comment, said last
  if (n.comment !== undefined) comments.set(memo, text)
  ctx.catalog.commentTexts.set(owner, comments)
}

export function alterOwner(ctx: FileContext, stmt: Stmt): Step {
  const n = stmt.node.AlterOwnerStmt
  const key = targetKey(ctx, n.objectType, n.object)
  const line = key === undefined ? undefined : ctx.coveredBy(key)
  if (line !== undefined) return noneStep(`the object goes with its CREATE at line ${line}`)
  return irreversible('ALTER ... OWNER TO', 'the previous owner is not known from the files')
}
