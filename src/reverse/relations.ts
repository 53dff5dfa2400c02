/** Tables, views, sequences and indexes: CREATE, ALTER TABLE and the undo of each. */
import { irreversible, noneStep, sqlStep, type ColumnState, type FileContext, type Step, type Stmt } from './context.js'
import {
  COLUMN_CONSTRAINT_WORDS,
  expressionAfter,
  nameList,
  rangeVarText,
  sliceText,
  splitTopLevel,
  type Ast,
  type Token,
} from './sql-text.js'
import { quoteLiteral } from '../sql/quote.js'
import { reverseSetting, storageOptions, trackSetting, typeText } from './settings.js'
import { dependentsOf, dropStatements, restoreStatements } from './dependents.js'

const RELATION_WORD: Record<string, string> = {
  OBJECT_TABLE: 'TABLE',
  OBJECT_VIEW: 'VIEW',
  OBJECT_MATVIEW: 'MATERIALIZED VIEW',
  OBJECT_SEQUENCE: 'SEQUENCE',
  OBJECT_INDEX: 'INDEX',
  OBJECT_FOREIGN_TABLE: 'FOREIGN TABLE',
  OBJECT_TYPE: 'TYPE',
}

export const relationWord = (objtype: string | undefined) => RELATION_WORD[objtype ?? 'OBJECT_TABLE'] ?? 'TABLE'

/** A create that IF NOT EXISTS (or a guarding DO block) turned into a no-op, because an earlier file made the object. */
function alreadyThere(ctx: FileContext, key: string, ifNotExists: boolean): Step | undefined {
  const known = ctx.known(key)
  if (!ifNotExists || !known) return undefined
  return noneStep(`it already existed (${known.path}:${known.line}), so this create changed nothing`)
}

export function createTable(ctx: FileContext, stmt: Stmt): Step {
  const n = stmt.node.CreateStmt ?? stmt.node.CreateForeignTableStmt?.base
  const key = ctx.relKey(n.relation)
  const skip = alreadyThere(ctx, key, !!n.if_not_exists || !!stmt.guarded)
  if (skip) return skip
  const kind = stmt.kind === 'CreateForeignTableStmt' ? 'foreign table' : 'table'
  const { columns, primaryKey } = tableColumns(stmt, n.tableElts ?? [])
  ctx.created(key, stmt, { kind, columns, primaryKey, options: storageOptions(n.options), alterations: [] })
  for (const element of n.tableElts ?? []) {
    recordTableConstraint(ctx, stmt, n.relation, key, element.Constraint)
    if (element.ColumnDef) recordColumnConstraints(ctx, stmt, n.relation, key, element.ColumnDef)
  }
  serialDefaults(ctx, n.relation, n.tableElts ?? [], columns)
  return sqlStep(`DROP ${kind.toUpperCase()} IF EXISTS ${rangeVarText(ctx.lib, n.relation)}`)
}

function tableColumns(stmt: Stmt, elements: Ast[]): { columns: Map<string, ColumnState>; primaryKey?: string[] } {
  const columns = new Map<string, ColumnState>()
  let primaryKey: string[] | undefined
  for (const element of elements) {
    const def = element.ColumnDef
    if (def) {
      const state = columnState(stmt, def)
      columns.set(def.colname, state)
      if ((def.constraints ?? []).some((c: Ast) => c.Constraint?.contype === 'CONSTR_PRIMARY')) primaryKey = [def.colname]
    }
    const constraint = element.Constraint
    if (constraint?.contype === 'CONSTR_PRIMARY') primaryKey = nameList(constraint.keys)
  }
  for (const column of primaryKey ?? []) {
    const state = columns.get(column)
    if (state) state.notNull = true
  }
  return { columns, primaryKey }
}

export function columnState(stmt: Stmt, def: Ast): ColumnState {
  const constraints: Ast[] = (def.constraints ?? []).map((c: Ast) => c.Constraint).filter(Boolean)
  const typeName = nameList(def.typeName?.names).pop() ?? ''
  const serial = /^(small|big)?serial[248]?$/.test(typeName)
  const state: ColumnState = {
    notNull: serial || constraints.some((c) => ['CONSTR_NOTNULL', 'CONSTR_PRIMARY', 'CONSTR_IDENTITY'].includes(c.contype)),
    defaultUnknown: serial || constraints.some((c) => c.contype === 'CONSTR_IDENTITY' || c.contype === 'CONSTR_GENERATED'),
    type: typeText(def.typeName),
  }
  const defaultConstraint = constraints.find((c) => c.contype === 'CONSTR_DEFAULT')
  if (defaultConstraint && defaultConstraint.location !== undefined) {
    state.default = expressionAfter(stmt.source.tokens, stmt.source.tokens.toChar(defaultConstraint.location))
    if (state.default === undefined) state.defaultUnknown = true
  }
  return state
}

/** `CONSTRAINT name CHECK (...)` inside CREATE TABLE: remembered so that a later DROP CONSTRAINT can put it back. */
function recordTableConstraint(ctx: FileContext, stmt: Stmt, rel: Ast, tableKey: string, constraint: Ast | undefined): void {
  if (!constraint) return
  const name = constraint.conname ?? defaultConstraintName(rel.relname, constraint)
  if (!name) return
  const tokens = stmt.source.tokens.between(stmt.source.tokens.toChar(constraint.location ?? 0), stmt.end)
  const text = elementText(stmt, tokens)
  const restore = text ? `ALTER TABLE ${rangeVarText(ctx.lib, rel)} ADD ${text}` : ''
  ctx.created(ctx.onTableKey('constraint', rel, name), stmt, { kind: 'constraint', table: tableKey, text: restore })
}

/** serial columns default to nextval of the sequence Postgres names <table>_<column>_seq. */
function serialDefaults(ctx: FileContext, rel: Ast, elements: Ast[], columns: Map<string, ColumnState>): void {
  for (const def of elements.map((e) => e.ColumnDef).filter(Boolean)) {
    const typeName = nameList(def.typeName?.names).pop() ?? ''
    const state = columns.get(def.colname)
    const sequence = `${rel.relname}_${def.colname}_seq`
    if (!state || !/^(small|big)?serial[248]?$/.test(typeName) || Buffer.byteLength(sequence) > 63) continue
    const name = rel.schemaname ? `${ctx.quote(rel.schemaname)}.${ctx.quote(sequence)}` : ctx.quote(sequence)
    state.default = `nextval(${quoteLiteral(name)}::regclass)`
    state.defaultUnknown = false
  }
}

/**
 * Constraints written on a column (`email text UNIQUE`, `user_id uuid REFERENCES users`): remembered under the
 * name Postgres gives them, as the ADD CONSTRAINT that would recreate them, so a later DROP CONSTRAINT can be undone.
 */
function recordColumnConstraints(ctx: FileContext, stmt: Stmt, rel: Ast, tableKey: string, def: Ast): void {
  const column = ctx.quote(def.colname)
  for (const constraint of (def.constraints ?? []).map((c: Ast) => c.Constraint)) {
    const suffix = { CONSTR_PRIMARY: 'pkey', CONSTR_UNIQUE: 'key', CONSTR_FOREIGN: 'fkey', CONSTR_CHECK: 'check' }[
      constraint?.contype as string
    ]
    if (!suffix) continue
    const name = constraint.conname ?? `${rel.relname}_${suffix === 'pkey' ? '' : `${def.colname}_`}${suffix}`
    if (Buffer.byteLength(name) > 63) continue
    const body = columnConstraintBody(stmt, constraint, column)
    const text = body ? `ALTER TABLE ${rangeVarText(ctx.lib, rel)} ADD CONSTRAINT ${ctx.quote(name)} ${body}` : ''
    ctx.created(ctx.onTableKey('constraint', rel, name), stmt, { kind: 'constraint', table: tableKey, text })
  }
}

function columnConstraintBody(stmt: Stmt, constraint: Ast, column: string): string | undefined {
  if (constraint.contype === 'CONSTR_PRIMARY') return `PRIMARY KEY (${column})`
  if (constraint.contype === 'CONSTR_UNIQUE') return `UNIQUE${constraint.nulls_not_distinct ? ' NULLS NOT DISTINCT' : ''} (${column})`
  const tokens = stmt.source.tokens.between(stmt.source.tokens.toChar(constraint.location ?? 0), stmt.end)
  const keyword = constraint.contype === 'CONSTR_CHECK' ? 'CHECK' : 'REFERENCES'
  const at = tokens.findIndex((t) => t.word === keyword)
  if (at < 0) return undefined
  const taken: Token[] = [tokens[at]!]
  let depth = 0
  for (const [i, t] of tokens.slice(at + 1).entries()) {
    const previous = tokens[at + i]!
    if (depth === 0 && (t.word === ',' || t.word === ')' || t.word === ';')) break
    if (depth === 0 && keyword === 'CHECK' && taken.length > 1 && t.word !== '(') break
    const partOfAction = previous.word === 'SET' || (t.word === 'NOT' && tokens[at + i + 2]?.word === 'DEFERRABLE')
    if (depth === 0 && keyword === 'REFERENCES' && t.keyword && COLUMN_CONSTRAINT_WORDS.has(t.word) && !partOfAction) break
    if (t.word === '(') depth++
    else if (t.word === ')') depth--
    taken.push(t)
  }
  const text = sliceText(stmt.source.text, taken)
  return keyword === 'CHECK' ? text : `FOREIGN KEY (${column}) ${text}`
}

/** The tokens of one table element or ALTER command: up to the next depth-0 comma or the closing parenthesis. */
function elementText(stmt: Stmt, tokens: Token[]): string {
  const taken: Token[] = []
  let depth = 0
  for (const t of tokens) {
    if (depth === 0 && (t.word === ',' || t.word === ')' || t.word === ';')) break
    if (t.word === '(') depth++
    else if (t.word === ')') depth--
    taken.push(t)
  }
  return sliceText(stmt.source.text, taken)
}

/** The names Postgres gives unnamed constraints, where they do not depend on the expression. */
function defaultConstraintName(table: string, constraint: Ast): string | undefined {
  const columns = (keys: Ast[] | undefined) => nameList(keys).join('_')
  const fit = (name: string) => (Buffer.byteLength(name) <= 63 ? name : undefined)
  switch (constraint.contype) {
    case 'CONSTR_PRIMARY':
      return fit(`${table}_pkey`)
    case 'CONSTR_UNIQUE':
      return constraint.keys ? fit(`${table}_${columns(constraint.keys)}_key`) : undefined
    case 'CONSTR_FOREIGN':
      return constraint.fk_attrs ? fit(`${table}_${columns(constraint.fk_attrs)}_fkey`) : undefined
    default:
      return undefined
  }
}

export function createTableAs(ctx: FileContext, stmt: Stmt): Step {
  const n = stmt.node.CreateTableAsStmt
  const key = ctx.relKey(n.into?.rel)
  const skip = alreadyThere(ctx, key, !!n.if_not_exists || !!stmt.guarded)
  if (skip) return skip
  const kind = n.objtype === 'OBJECT_MATVIEW' ? 'materialized view' : 'table'
  ctx.created(key, stmt, { kind, options: storageOptions(n.into?.options) })
  return sqlStep(`DROP ${kind.toUpperCase()} IF EXISTS ${rangeVarText(ctx.lib, n.into?.rel)}`)
}

export function createView(ctx: FileContext, stmt: Stmt): Step {
  const n = stmt.node.ViewStmt
  const key = ctx.relKey(n.view)
  const before = ctx.known(key)
  if (!(n.replace && before?.text)) {
    ctx.created(key, stmt, { kind: 'view' })
    return sqlStep(`DROP VIEW IF EXISTS ${rangeVarText(ctx.lib, n.view)}`)
  }
  const note = `restores the view as ${before.path}:${before.line} made it`
  if (replaceable(ctx, before.text, n)) {
    ctx.created(key, stmt, { kind: 'view' })
    return sqlStep(orReplace(before.text), note)
  }
  // CREATE OR REPLACE cannot take columns away (or rename them): drop the view and make it again as it was, with
  // the views on it (dropped first, made again after), its triggers, comments and grants. Read before this
  // statement changes the model: the stub runs where the state is the one right before it.
  const dependents = dependentsOf(ctx, key)
  const sql = [
    ...dropStatements(ctx, dependents),
    `DROP VIEW IF EXISTS ${rangeVarText(ctx.lib, n.view)}`,
    ...restoreStatements(ctx, key),
    ...dependents.flatMap((dependent) => restoreStatements(ctx, dependent)),
  ]
  ctx.created(key, stmt, { kind: 'view' })
  return sqlStep(sql, `${note}; dropped first, since OR REPLACE cannot remove or rename the columns this file gave it`)
}

/** Whether CREATE OR REPLACE with the earlier text can replace the later view: it must keep the later view's columns, in order. */
function replaceable(ctx: FileContext, earlierText: string, later: Ast): boolean {
  let earlier: Ast | undefined
  try {
    earlier = ctx.lib.parseSync(earlierText).stmts?.[0]?.stmt?.ViewStmt
  } catch {
    return false
  }
  const was = earlier && viewColumns(earlier)
  const is = viewColumns(later)
  return !!was && !!is && is.every((column, i) => was[i] === column)
}

/** A view's column names, as Postgres names them; undefined when they depend on something the text does not show (`*`). */
function viewColumns(view: Ast): string[] | undefined {
  const aliases = nameList(view.aliases)
  let select = view.query?.SelectStmt
  while (select && select.op && select.op !== 'SETOP_NONE') select = select.larg
  const targets: Ast[] = select?.targetList ?? []
  const names = targets.map((target: Ast) => target.ResTarget?.name ?? columnName(target.ResTarget?.val))
  if (!select || names.some((name) => name === undefined)) return undefined
  return names.map((name, i) => aliases[i] ?? name!)
}

/** Postgres's name for an unnamed output column (FigureColname), for the expressions whose name the text shows. */
function columnName(node: Ast | undefined): string | undefined {
  if (!node) return undefined
  if (node.ColumnRef) {
    const last = node.ColumnRef.fields?.[node.ColumnRef.fields.length - 1]
    return last?.String?.sval
  }
  if (node.FuncCall) return nameList(node.FuncCall.funcname).pop()
  // 'x'::text is named after its type; a column or call, after itself.
  if (node.TypeCast)
    return (node.TypeCast.arg?.A_Const ? undefined : columnName(node.TypeCast.arg)) ?? nameList(node.TypeCast.typeName?.names).pop()
  if (node.A_Const) return '?column?'
  if (node.CaseExpr) return 'case'
  if (node.CoalesceExpr) return 'coalesce'
  return undefined
}

/** An earlier CREATE, turned into CREATE OR REPLACE so that it can overwrite the later definition in place. */
export function orReplace(text: string): string {
  return text.replace(/^CREATE\s+(?!OR\s+REPLACE\b)/i, 'CREATE OR REPLACE ')
}

export function createSequence(ctx: FileContext, stmt: Stmt): Step {
  const n = stmt.node.CreateSeqStmt
  const key = ctx.relKey(n.sequence)
  const skip = alreadyThere(ctx, key, !!n.if_not_exists || !!stmt.guarded)
  if (skip) return skip
  ctx.created(key, stmt, { kind: 'sequence' })
  return sqlStep(`DROP SEQUENCE IF EXISTS ${rangeVarText(ctx.lib, n.sequence)}`)
}

export function alterSequence(ctx: FileContext, stmt: Stmt): Step {
  const n = stmt.node.AlterSeqStmt
  const line = ctx.coveredBy(ctx.relKey(n.sequence))
  if (line !== undefined) return noneStep(`the sequence goes with its CREATE at line ${line}`)
  return irreversible('ALTER SEQUENCE', 'the sequence settings before it are not known from the files')
}

export function createIndex(ctx: FileContext, stmt: Stmt): Step {
  const n = stmt.node.IndexStmt
  const tableKey = ctx.relKey(n.relation)
  const name = n.idxname ?? defaultIndexName(n)
  if (!name) return irreversible('CREATE INDEX', 'the index has no name and Postgres chose one; give it a name in the up file')
  const schema = n.relation?.schemaname
  const key = `rel:${ctx.schemaOf(schema)}.${name}`
  const skip = alreadyThere(ctx, key, !!n.if_not_exists || !!stmt.guarded)
  if (skip) return skip
  // Dropped explicitly even when its table is new in this file: an expression index may use a function made later.
  ctx.created(key, stmt, { kind: 'index', table: tableKey, options: storageOptions(n.options) })
  const concurrently = n.concurrent && ctx.noTransaction ? 'CONCURRENTLY ' : ''
  const note = n.idxname ? undefined : `the up file names no index; this is the name Postgres gives it`
  return sqlStep(`DROP INDEX ${concurrently}IF EXISTS ${qualifiedIndex(ctx, schema, name)}`, note)
}

function qualifiedIndex(ctx: FileContext, schema: string | undefined, name: string): string {
  return schema ? `${ctx.quote(schema)}.${ctx.quote(name)}` : ctx.quote(name)
}

/** Postgres's name for an unnamed index on plain columns: table_col1_col2_idx (when it fits in 63 bytes). */
function defaultIndexName(n: Ast): string | undefined {
  const columns = (n.indexParams ?? []).map((p: Ast) => p.IndexElem?.name)
  if (!columns.length || columns.some((c: unknown) => typeof c !== 'string')) return undefined
  const name = `${n.relation?.relname}_${columns.join('_')}_idx`
  return Buffer.byteLength(name) <= 63 ? name : undefined
}

/** One ALTER TABLE: each command undone by its own statement, last command first. */
export function alterTable(ctx: FileContext, stmt: Stmt): Step {
  const n = stmt.node.AlterTableStmt
  const key = ctx.relKey(n.relation)
  const covered = ctx.createdHere.get(key)
  const commands: Ast[] = (n.cmds ?? []).map((c: Ast) => c.AlterTableCmd)
  const texts = commandTokens(stmt, commands.length)
  const target = `ALTER ${relationWord(n.objtype)} ${n.missing_ok ? 'IF EXISTS ' : ''}${rangeVarText(ctx.lib, n.relation)}`
  ctx.known(key)?.alterations?.push(stmt.text) // a dropped table's stub shows its whole history
  if (covered !== undefined) {
    for (const [i, cmd] of commands.entries()) trackCommand(ctx, stmt, key, n.relation, cmd, texts?.[i])
    // A foreign key ties the new table to another one, which may be dropped first: the key has to go before it.
    const foreignKeys = commands.filter((c) => c.subtype === 'AT_AddConstraint' && c.def?.Constraint?.contype === 'CONSTR_FOREIGN')
    const drops = foreignKeys
      .map((c) => addConstraint(ctx, stmt, n.relation, c.def.Constraint))
      .flatMap((step) => (step.kind === 'sql' ? step.sql : []))
    const note = `the ${relationWord(n.objtype).toLowerCase()} goes with its CREATE at line ${covered}`
    return drops.length
      ? sqlStep(
          drops.reverse().map((d) => `${target} ${d}`),
          `${note}; its foreign keys go first`,
        )
      : noneStep(note)
  }
  const undo: string[] = []
  let stop: Step | undefined
  for (const [i, cmd] of commands.entries()) {
    const step = reverseCommand(ctx, stmt, key, n.relation, cmd, texts?.[i])
    trackCommand(ctx, stmt, key, n.relation, cmd, texts?.[i])
    if (step.kind === 'irreversible') stop ??= step
    // A restored constraint is a whole statement already; the other undos are commands of this table.
    if (step.kind === 'sql') undo.unshift(...step.sql.map((s) => (/^ALTER TABLE\b/.test(s) ? s : `${target} ${s}`)))
  }
  if (stop) return stop
  return undo.length ? sqlStep(undo) : noneStep('nothing to undo')
}

/** The tokens of each command of an ALTER TABLE, when they can be told apart. */
function commandTokens(stmt: Stmt, count: number): Token[][] | undefined {
  const tokens = stmt.source.tokens.between(stmt.start, stmt.end)
  const relation = stmt.node.AlterTableStmt.relation
  const nameStart = stmt.source.tokens.toChar(relation?.location ?? 0)
  let i = tokens.findIndex((t) => t.start >= nameStart)
  if (i < 0) return undefined
  i++
  while (tokens[i]?.word === '.' && tokens[i + 1]) i += 2
  if (tokens[i]?.word === '*') i++
  const groups = splitTopLevel(tokens.slice(i))
  return groups.length === count ? groups : undefined
}

function reverseCommand(ctx: FileContext, stmt: Stmt, key: string, rel: Ast, cmd: Ast, tokens: Token[] | undefined): Step {
  const columns = ctx.tableColumns(key)
  const column = cmd.name ? columns?.get(cmd.name) : undefined
  const col = cmd.name ? ctx.quote(cmd.name) : ''
  const columnKey = `column:${key.slice(4)}.${cmd.name ?? cmd.def?.ColumnDef?.colname}`
  switch (cmd.subtype) {
    case 'AT_AddColumn': {
      const name = cmd.def?.ColumnDef?.colname
      if (cmd.missing_ok && columns?.has(name))
        return noneStep(`column ${name} already existed, so ADD COLUMN IF NOT EXISTS changed nothing`)
      return sqlStep(`DROP COLUMN IF EXISTS ${ctx.quote(name)}`)
    }
    case 'AT_DropColumn':
      if (ctx.createdHere.has(columnKey)) return noneStep('the column was added earlier in this file')
      if (cmd.missing_ok && !column)
        return guardOrIrreversible(columnKey, 'ALTER TABLE ... DROP COLUMN', 'the values of a dropped column are gone')
      return irreversible('ALTER TABLE ... DROP COLUMN', 'the values of a dropped column are gone; restore the column and its data by hand')
    case 'AT_AlterColumnType':
      if (ctx.createdHere.has(columnKey)) return noneStep('the column was added earlier in this file')
      return (
        reverseSetting(ctx, ctx.known(key), column, cmd) ??
        irreversible('ALTER COLUMN ... TYPE', 'changing a type back can fail or change values; write the reverse conversion by hand')
      )
    case 'AT_SetStatistics':
    case 'AT_SetRelOptions':
    case 'AT_ResetRelOptions':
    case 'AT_ReplicaIdentity':
    case 'AT_ClusterOn':
    case 'AT_DropCluster':
      return reverseSetting(ctx, ctx.known(key), column, cmd)!
    case 'AT_ColumnDefault':
      return reverseDefault(column, col)
    case 'AT_SetNotNull':
      if (!column)
        return irreversible('ALTER COLUMN ... SET NOT NULL', 'whether the column allowed NULL before is not known from the files')
      return column.notNull ? noneStep('the column was already NOT NULL') : sqlStep(`ALTER COLUMN ${col} DROP NOT NULL`)
    case 'AT_DropNotNull':
      if (!column)
        return irreversible('ALTER COLUMN ... DROP NOT NULL', 'whether the column was NOT NULL before is not known from the files')
      return column.notNull ? sqlStep(`ALTER COLUMN ${col} SET NOT NULL`) : noneStep('the column already allowed NULL')
    case 'AT_AddConstraint':
      return addConstraint(ctx, stmt, rel, cmd.def?.Constraint)
    case 'AT_DropConstraint':
      return dropConstraint(ctx, rel, cmd)
    case 'AT_ValidateConstraint':
      return noneStep('validating a constraint changes no definition; nothing to undo')
    case 'AT_EnableRowSecurity':
      return ctx.known(key)?.rowSecurity ? noneStep('row level security was already enabled') : sqlStep('DISABLE ROW LEVEL SECURITY')
    case 'AT_DisableRowSecurity':
      return ctx.known(key)?.rowSecurity === false
        ? noneStep('row level security was already disabled')
        : sqlStep('ENABLE ROW LEVEL SECURITY')
    case 'AT_ForceRowSecurity':
      return sqlStep('NO FORCE ROW LEVEL SECURITY')
    case 'AT_NoForceRowSecurity':
      return sqlStep('FORCE ROW LEVEL SECURITY')
    case 'AT_EnableTrig':
    case 'AT_EnableAlwaysTrig':
    case 'AT_EnableReplicaTrig':
      return sqlStep(`DISABLE TRIGGER ${col}`)
    case 'AT_DisableTrig':
      return sqlStep(`ENABLE TRIGGER ${col}`)
    case 'AT_EnableTrigAll':
      return sqlStep('DISABLE TRIGGER ALL')
    case 'AT_DisableTrigAll':
      return sqlStep('ENABLE TRIGGER ALL')
    case 'AT_EnableTrigUser':
      return sqlStep('DISABLE TRIGGER USER')
    case 'AT_DisableTrigUser':
      return sqlStep('ENABLE TRIGGER USER')
    case 'AT_AddIdentity':
      return sqlStep(`ALTER COLUMN ${col} DROP IDENTITY IF EXISTS`)
    case 'AT_AttachPartition':
      return sqlStep(`DETACH PARTITION ${rangeVarText(ctx.lib, cmd.def?.PartitionCmd?.name)}`)
    case 'AT_AddInherit':
      return sqlStep(`NO INHERIT ${rangeVarText(ctx.lib, cmd.def?.RangeVar)}`)
    case 'AT_DropInherit':
      return sqlStep(`INHERIT ${rangeVarText(ctx.lib, cmd.def?.RangeVar)}`)
    case 'AT_SetLogged':
      return sqlStep('SET UNLOGGED')
    case 'AT_SetUnLogged':
      return sqlStep('SET LOGGED')
    case 'AT_ChangeOwner':
      return irreversible('ALTER ... OWNER TO', 'the previous owner is not known from the files')
    default:
      return irreversible(
        `ALTER TABLE (${String(cmd.subtype).replace(/^AT_/, '')})`,
        `strata does not know the state before this change${tokens ? ` (${summaryOf(stmt, tokens)})` : ''}`,
      )
  }
}

function summaryOf(stmt: Stmt, tokens: Token[]): string {
  return sliceText(stmt.source.text, tokens).replace(/\s+/g, ' ').slice(0, 60)
}

function reverseDefault(column: ColumnState | undefined, col: string): Step {
  if (!column || column.defaultUnknown) return irreversible('ALTER COLUMN ... DEFAULT', 'the default before it is not known from the files')
  return column.default === undefined
    ? sqlStep(`ALTER COLUMN ${col} DROP DEFAULT`)
    : sqlStep(`ALTER COLUMN ${col} SET DEFAULT ${column.default}`)
}

function addConstraint(ctx: FileContext, stmt: Stmt, rel: Ast, constraint: Ast | undefined): Step {
  const name = constraint?.conname ?? (constraint && defaultConstraintName(rel.relname, constraint))
  if (!name)
    return irreversible('ADD CONSTRAINT', 'the constraint has no name and Postgres chose one from its expression; name it in the up file')
  const before = ctx.known(ctx.onTableKey('constraint', rel, name))
  if (before && stmt.guarded) return noneStep(`it already existed (${before.path}:${before.line}), so this create changed nothing`)
  return sqlStep(`DROP CONSTRAINT IF EXISTS ${ctx.quote(name)}`)
}

function dropConstraint(ctx: FileContext, rel: Ast, cmd: Ast): Step {
  const key = ctx.onTableKey('constraint', rel, cmd.name)
  if (ctx.createdHere.has(key)) return noneStep('the constraint was added earlier in this file')
  const known = ctx.known(key)
  if (known?.text) {
    if (cmd.behavior === 'DROP_CASCADE')
      return irreversible('DROP CONSTRAINT ... CASCADE', 'CASCADE may have dropped other objects that depend on it')
    return sqlStep(known.text, `restores the constraint as ${known.path}:${known.line} made it`)
  }
  if (cmd.missing_ok && !known)
    return guardOrIrreversible(
      key,
      'ALTER TABLE ... DROP CONSTRAINT',
      'the definition of the dropped constraint is not known from the files',
    )
  return irreversible('ALTER TABLE ... DROP CONSTRAINT', 'the definition of the dropped constraint is not known from the files')
}

/**
 * A DROP ... IF EXISTS of something no earlier file made: when a later statement of this file creates the
 * same object, it is the usual guard that makes the create idempotent and needs no reverse (decided at the
 * end of the file). Otherwise it may have dropped something made outside the files.
 */
export function guardOrIrreversible(key: string, what: string, why: string): Step {
  return { ...irreversible(what, why), guardKey: key } as Step
}

/** Keep the model in step with one ALTER TABLE command. */
function trackCommand(ctx: FileContext, stmt: Stmt, key: string, rel: Ast, cmd: Ast, tokens: Token[] | undefined): void {
  const table = ctx.known(key)
  const columns = table?.columns
  trackSetting(ctx, table, cmd.name ? columns?.get(cmd.name) : undefined, cmd)
  switch (cmd.subtype) {
    case 'AT_AddColumn': {
      const def = cmd.def?.ColumnDef
      if (!def || columns?.has(def.colname)) return
      columns?.set(def.colname, columnState(stmt, def))
      recordColumnConstraints(ctx, stmt, rel, key, def)
      if (columns) serialDefaults(ctx, rel, [{ ColumnDef: def }], columns)
      ctx.createdHere.set(`column:${key.slice(4)}.${def.colname}`, stmt.line)
      if ((def.constraints ?? []).some((c: Ast) => c.Constraint?.contype === 'CONSTR_PRIMARY') && table) table.primaryKey = [def.colname]
      return
    }
    case 'AT_DropColumn':
      columns?.delete(cmd.name)
      return
    case 'AT_ColumnDefault': {
      const column = columns?.get(cmd.name)
      if (!column) return
      const at = tokens?.findIndex((t) => t.word === 'DEFAULT') ?? -1
      column.default = cmd.def && tokens && at >= 0 ? sliceText(stmt.source.text, tokens.slice(at + 1)) : undefined
      column.defaultUnknown = !!cmd.def && at < 0
      return
    }
    case 'AT_SetNotNull':
    case 'AT_DropNotNull': {
      const column = columns?.get(cmd.name)
      if (column) column.notNull = cmd.subtype === 'AT_SetNotNull'
      return
    }
    case 'AT_AddConstraint': {
      const constraint = cmd.def?.Constraint
      const name = constraint?.conname ?? (constraint && defaultConstraintName(rel.relname, constraint))
      if (!name) return
      const at = tokens?.findIndex((t) => t.word === 'ADD') ?? -1
      const text = tokens && at >= 0 ? `ALTER TABLE ${rangeVarText(ctx.lib, rel)} ${sliceText(stmt.source.text, tokens.slice(at))}` : ''
      ctx.created(ctx.onTableKey('constraint', rel, name), stmt, { kind: 'constraint', table: key, text })
      if (constraint.contype === 'CONSTR_PRIMARY' && table) table.primaryKey = nameList(constraint.keys)
      return
    }
    case 'AT_DropConstraint':
      ctx.catalog.forget(ctx.onTableKey('constraint', rel, cmd.name))
      return
    case 'AT_EnableRowSecurity':
    case 'AT_DisableRowSecurity':
      if (table) table.rowSecurity = cmd.subtype === 'AT_EnableRowSecurity'
      return
  }
}
