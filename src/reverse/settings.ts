/**
 * Settings with a known previous value: storage parameters (fillfactor, autovacuum_*), column statistics targets,
 * REPLICA IDENTITY, CLUSTER ON, a varchar widened, and ALTER DOMAIN on a domain the history created. Each is
 * undone by setting it back to what the history shows it was (or to Postgres's default when no file set it).
 */
import {
  irreversible,
  noneStep,
  sqlStep,
  type ColumnState,
  type DomainState,
  type FileContext,
  type KnownObject,
  type Step,
  type Stmt,
} from './context.js'
import { expressionAfter, nameList, qualified, sliceText, type Ast } from './sql-text.js'
import { quoteLiteral } from '../sql/quote.js'

/** `WITH (fillfactor = 70, toast.autovacuum_enabled = false)` as a map of name to the value as Postgres takes it back. */
export function storageOptions(options: Ast[] | undefined): Map<string, string> {
  const map = new Map<string, string>()
  for (const option of options ?? []) {
    const def = option.DefElem
    if (!def) continue
    map.set(optionName(def), optionValue(def.arg))
  }
  return map
}

function optionName(def: Ast): string {
  return def.defnamespace ? `${def.defnamespace}.${def.defname}` : def.defname
}

function optionValue(arg: Ast | undefined): string {
  if (!arg) return 'true'
  const raw = arg.Integer ? String(arg.Integer.ival ?? 0) : arg.Float ? arg.Float.fval : (arg.String?.sval ?? arg.Boolean?.boolval ?? '')
  return /^[A-Za-z0-9_.+-]+$/.test(String(raw)) ? String(raw) : quoteLiteral(String(raw))
}

/**
 * The type of a column as strata can write it back, for the types whose widening it undoes:
 * `varchar(20)`, `varchar`, `text`; undefined for any other.
 */
export function typeText(typeName: Ast | undefined): string | undefined {
  const name = nameList(typeName?.names).pop()
  if (typeName?.arrayBounds?.length) return undefined
  if (name === 'text') return 'text'
  if (name !== 'varchar') return undefined
  const length = typeName?.typmods?.[0]?.A_Const?.ival?.ival
  return length === undefined ? 'varchar' : `varchar(${length})`
}

/** varchar(n) -> text, varchar, or varchar(m >= n): no value changes, so going back is only a tighter check. */
function widens(from: string | undefined, to: string | undefined): boolean {
  if (!from || !to || from === to || from === 'text') return false
  const limit = (type: string) => (type === 'text' || type === 'varchar' ? Infinity : Number(/\((\d+)\)/.exec(type)?.[1]))
  return limit(to) >= limit(from)
}

/** The reverse of one ALTER TABLE / ALTER INDEX command that changes a setting; undefined for other commands. */
export function reverseSetting(
  ctx: FileContext,
  relation: KnownObject | undefined,
  column: ColumnState | undefined,
  cmd: Ast,
): Step | undefined {
  const col = cmd.name ? ctx.quote(cmd.name) : ''
  const unknown = (what: string) => irreversible(what, 'the setting before it is not known from the files')
  switch (cmd.subtype) {
    case 'AT_SetStatistics':
      if (!column) return unknown('ALTER COLUMN ... SET STATISTICS')
      return sqlStep(`ALTER COLUMN ${col} SET STATISTICS ${column.statistics ?? -1}`)
    case 'AT_SetRelOptions':
    case 'AT_ResetRelOptions': {
      if (!relation) return unknown(cmd.subtype === 'AT_SetRelOptions' ? 'SET (storage parameters)' : 'RESET (storage parameters)')
      const before = relation.options ?? new Map<string, string>()
      const names = (cmd.def?.List?.items ?? []).map((item: Ast) => optionName(item.DefElem))
      const set = names.filter((name: string) => before.has(name)).map((name: string) => `${name} = ${before.get(name)}`)
      const reset = cmd.subtype === 'AT_SetRelOptions' ? names.filter((name: string) => !before.has(name)) : []
      const undo = [...(set.length ? [`SET (${set.join(', ')})`] : []), ...(reset.length ? [`RESET (${reset.join(', ')})`] : [])]
      return undo.length ? sqlStep(undo) : noneStep('none of these parameters was set before')
    }
    case 'AT_ReplicaIdentity':
      if (!relation) return unknown('REPLICA IDENTITY')
      return sqlStep(`REPLICA IDENTITY ${relation.replicaIdentity ?? 'DEFAULT'}`)
    case 'AT_ClusterOn':
      if (!relation) return unknown('CLUSTER ON')
      return sqlStep(relation.clusterOn ? `CLUSTER ON ${ctx.quote(relation.clusterOn)}` : 'SET WITHOUT CLUSTER')
    case 'AT_DropCluster':
      if (!relation) return unknown('SET WITHOUT CLUSTER')
      return relation.clusterOn
        ? sqlStep(`CLUSTER ON ${ctx.quote(relation.clusterOn)}`)
        : noneStep('no index was marked for CLUSTER before')
    case 'AT_AlterColumnType': {
      const to = typeText(cmd.def?.ColumnDef?.typeName)
      if (!column || !widens(column.type, to) || cmd.def?.ColumnDef?.raw_default) return undefined
      return sqlStep(`ALTER COLUMN ${col} TYPE ${column.type}`, `${column.type} as before; fails if longer values were written since`)
    }
    default:
      return undefined
  }
}

/** Keep the model in step with one settings command (after its reverse was written). */
export function trackSetting(ctx: FileContext, relation: KnownObject | undefined, column: ColumnState | undefined, cmd: Ast): void {
  switch (cmd.subtype) {
    case 'AT_SetStatistics':
      if (column) column.statistics = cmd.def?.Integer?.ival ?? 0
      return
    case 'AT_SetRelOptions':
      if (relation) for (const [name, value] of storageOptions(cmd.def?.List?.items)) (relation.options ??= new Map()).set(name, value)
      return
    case 'AT_ResetRelOptions':
      for (const item of cmd.def?.List?.items ?? []) relation?.options?.delete(optionName(item.DefElem))
      return
    case 'AT_ReplicaIdentity': {
      const identity = cmd.def?.ReplicaIdentityStmt
      if (!relation || !identity) return
      const kinds: Record<string, string> = { d: 'DEFAULT', f: 'FULL', n: 'NOTHING' }
      relation.replicaIdentity = kinds[identity.identity_type] ?? `USING INDEX ${ctx.quote(identity.name)}`
      return
    }
    case 'AT_ClusterOn':
      if (relation) relation.clusterOn = cmd.name
      return
    case 'AT_DropCluster':
      if (relation) relation.clusterOn = undefined
      return
    case 'AT_AlterColumnType':
      if (column) column.type = typeText(cmd.def?.ColumnDef?.typeName)
      return
  }
}

/** CREATE DOMAIN's default, NOT NULL and named constraints: what a later ALTER DOMAIN may change. */
export function domainState(stmt: Stmt): DomainState {
  const n = stmt.node.CreateDomainStmt
  const state: DomainState = { notNull: false, constraints: new Map() }
  for (const constraint of (n.constraints ?? []).map((c: Ast) => c.Constraint).filter(Boolean)) {
    if (constraint.contype === 'CONSTR_NOTNULL') state.notNull = true
    if (constraint.contype === 'CONSTR_DEFAULT' && constraint.location !== undefined)
      state.default = expressionAfter(stmt.source.tokens, stmt.source.tokens.toChar(constraint.location))
    if (constraint.contype === 'CONSTR_CHECK' && constraint.conname) state.constraints.set(constraint.conname, checkText(stmt, constraint))
  }
  return state
}

/** `CHECK (...)` as written, from a constraint's location to the end of its parenthesis. */
function checkText(stmt: Stmt, constraint: Ast): string {
  const tokens = stmt.source.tokens.between(stmt.source.tokens.toChar(constraint.location ?? 0), stmt.end)
  const at = tokens.findIndex((t) => t.word === 'CHECK')
  let depth = 0
  let end = at
  for (let i = at + 1; i < tokens.length; i++) {
    if (tokens[i]!.word === '(') depth++
    else if (tokens[i]!.word === ')' && --depth === 0) {
      end = i
      break
    }
  }
  return at < 0 ? '' : sliceText(stmt.source.text, tokens.slice(at, end + 1))
}

/** ALTER DOMAIN on a domain the history made: its default, NOT NULL or constraint set back as they were. */
export function alterDomain(ctx: FileContext, stmt: Stmt): Step {
  const n = stmt.node.AlterDomainStmt
  const names = nameList(n.typeName)
  const key = ctx.listKey('type', names)
  const line = ctx.createdHere.get(key)
  if (line !== undefined) return noneStep(`the domain goes with its CREATE at line ${line}`)
  const domain = ctx.known(key)?.domain
  const target = `ALTER DOMAIN ${qualified(ctx.lib, names)}`
  const step = domain ? reverseDomain(ctx, domain, n) : undefined
  if (domain) trackDomain(domain, n, stmt)
  if (!step) return irreversible('ALTER DOMAIN', 'the domain before it is not known from the files')
  return step.kind === 'sql'
    ? sqlStep(
        step.sql.map((s) => `${target} ${s}`),
        step.note,
      )
    : step
}

function reverseDomain(ctx: FileContext, domain: DomainState, n: Ast): Step | undefined {
  switch (n.subtype) {
    case 'T':
      if (!n.def) return domain.default === undefined ? noneStep('the domain had no default') : sqlStep(`SET DEFAULT ${domain.default}`)
      return sqlStep(domain.default === undefined ? 'DROP DEFAULT' : `SET DEFAULT ${domain.default}`)
    case 'O':
      return domain.notNull ? noneStep('the domain was NOT NULL already') : sqlStep('DROP NOT NULL')
    case 'N':
      return domain.notNull ? sqlStep('SET NOT NULL') : noneStep('the domain allowed NULL already')
    case 'C': {
      const name = n.def?.Constraint?.conname
      return name ? sqlStep(`DROP CONSTRAINT IF EXISTS ${ctx.quote(name)}`) : undefined
    }
    case 'X': {
      const check = domain.constraints.get(n.name)
      return check ? sqlStep(`ADD CONSTRAINT ${ctx.quote(n.name)} ${check}`, `restores the constraint as the history made it`) : undefined
    }
    case 'V':
      return noneStep('validating a constraint changes no definition; nothing to undo')
    default:
      return undefined
  }
}

function trackDomain(domain: DomainState, n: Ast, stmt: Stmt): void {
  if (n.subtype === 'T') domain.default = n.def ? afterKeyword(stmt, 'DEFAULT') : undefined
  if (n.subtype === 'O') domain.notNull = true
  if (n.subtype === 'N') domain.notNull = false
  if (n.subtype === 'C' && n.def?.Constraint?.conname) domain.constraints.set(n.def.Constraint.conname, checkText(stmt, n.def.Constraint))
  if (n.subtype === 'X') domain.constraints.delete(n.name)
}

function afterKeyword(stmt: Stmt, keyword: string): string | undefined {
  const tokens = stmt.source.tokens.between(stmt.start, stmt.end)
  const at = tokens.findIndex((t) => t.word === keyword)
  return at < 0 ? undefined : sliceText(stmt.source.text, tokens.slice(at + 1))
}
