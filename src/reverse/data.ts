/** Rows (INSERT, UPDATE, DELETE, TRUNCATE), settings and statements that change no schema. */
import { irreversible, noneStep, sqlStep, type FileContext, type Step, type Stmt } from './context.js'
import { nameList, rangeVarText, sliceText, splitTopLevel, topLevelIndex, type Ast, type Token } from './sql-text.js'

/** A literal, possibly cast or negated: the same value every time, so it can find the row again. */
function isConstant(node: Ast | undefined): boolean {
  if (!node) return false
  if (node.A_Const) return true
  if (node.TypeCast) return isConstant(node.TypeCast.arg)
  const expr = node.A_Expr
  if (expr && !expr.lexpr && nameList(expr.name).join() === '-') return isConstant(expr.rexpr)
  return false
}

const isNull = (node: Ast | undefined) => !!node?.A_Const?.isnull

export function insert(ctx: FileContext, stmt: Stmt): Step {
  const n = stmt.node.InsertStmt
  const key = ctx.relKey(n.relation)
  const line = ctx.createdHere.get(key)
  if (line !== undefined) return noneStep(`the rows go with the table, created at line ${line}`)
  if (n.onConflictClause?.action === 'ONCONFLICT_UPDATE') {
    return irreversible('INSERT ... ON CONFLICT DO UPDATE', 'the rows it updated had other values before, which the file does not show')
  }
  const select = n.selectStmt?.SelectStmt
  const rows: Ast[][] | undefined = select?.valuesLists?.map((l: Ast) => l.List?.items ?? [])
  if (!rows || n.withClause)
    return irreversible('INSERT ... SELECT', 'the rows come from a query; write the DELETE that finds them by hand')
  const table = ctx.known(key)
  const columns: string[] | undefined = n.cols
    ? n.cols.map((c: Ast) => (c.ResTarget?.indirection ? '' : c.ResTarget?.name))
    : table?.columns
      ? [...table.columns.keys()]
      : undefined
  if (!columns) return irreversible('INSERT', 'the columns are not named and the table is not known from the files')
  const texts = valueTexts(stmt)
  if (!texts || texts.length !== rows.length) return irreversible('INSERT', 'strata could not read the VALUES of this statement')
  const match = keyColumns(n, table?.primaryKey, columns, rows)
  if (!match) return irreversible('INSERT', 'no key column has a constant value in every row, so the rows cannot be found again')
  const keyed = rows.map((row, r) => match.map((i) => ({ column: columns[i]!, text: texts[r]![i]!, isNull: isNull(row[i]) })))
  const note = n.onConflictClause ? 'deletes these rows even if they were already there before this migration' : undefined
  return sqlStep(deleteRows(ctx, n.relation, keyed), note)
}

/**
 * The columns that find the inserted rows: the ON CONFLICT target, else the table's primary key, else
 * every column whose value is a constant in every row. Each must be a constant in every row.
 */
function keyColumns(n: Ast, primaryKey: string[] | undefined, columns: string[], rows: Ast[][]): number[] | undefined {
  const constantEverywhere = (i: number) => i >= 0 && columns[i] !== '' && rows.every((row) => isConstant(row[i]))
  const target = (n.onConflictClause?.infer?.indexElems ?? []).map((e: Ast) => e.IndexElem?.name)
  for (const candidate of [target, primaryKey ?? []]) {
    const indexes = candidate.map((c: string) => columns.indexOf(c))
    if (candidate.length && indexes.every(constantEverywhere)) return indexes
  }
  const all = columns.map((_, i) => i).filter(constantEverywhere)
  return all.length ? all : undefined
}

function deleteRows(ctx: FileContext, relation: Ast, rows: { column: string; text: string; isNull: boolean }[][]): string {
  const table = rangeVarText(ctx.lib, relation)
  const single = rows[0]!.length === 1 && rows.every((r) => !r[0]!.isNull)
  if (single) return `DELETE FROM ${table} WHERE ${ctx.quote(rows[0]![0]!.column)} IN (\n  ${rows.map((r) => r[0]!.text).join(',\n  ')}\n)`
  const conditions = rows.map(
    (r) => `(${r.map((v) => (v.isNull ? `${ctx.quote(v.column)} IS NULL` : `${ctx.quote(v.column)} = ${v.text}`)).join(' AND ')})`,
  )
  return `DELETE FROM ${table} WHERE\n     ${conditions.join('\n  OR ')}`
}

/** The source text of every value of every VALUES row, as written. */
function valueTexts(stmt: Stmt): string[][] | undefined {
  const tokens = stmt.source.tokens.between(stmt.start, stmt.end)
  const at = topLevelIndex(tokens, 'VALUES')
  if (at < 0) return undefined
  const rows: string[][] = []
  let i = at + 1
  while (tokens[i]?.word === '(') {
    let depth = 0
    const start = i
    for (; i < tokens.length; i++) {
      if (tokens[i]!.word === '(') depth++
      else if (tokens[i]!.word === ')' && --depth === 0) break
    }
    const inner: Token[] = tokens.slice(start + 1, i)
    rows.push(splitTopLevel(inner).map((part) => sliceText(stmt.source.text, part)))
    i++
    if (tokens[i]?.word !== ',') break
    i++
  }
  return rows
}

function coveredRelation(ctx: FileContext, relations: Ast[]): number | undefined {
  const lines = relations.map((r) => ctx.createdHere.get(ctx.relKey(r)))
  return lines.length && lines.every((l) => l !== undefined) ? Math.max(...(lines as number[])) : undefined
}

export function changeRows(ctx: FileContext, stmt: Stmt): Step {
  const n = stmt.node[stmt.kind]
  const relations: Ast[] = stmt.kind === 'TruncateStmt' ? (n.relations ?? []).map((r: Ast) => r.RangeVar) : [n.relation]
  const line = coveredRelation(ctx, relations)
  if (line !== undefined) return noneStep(`the rows go with the table, created at line ${line}`)
  if (stmt.kind === 'UpdateStmt')
    return irreversible('UPDATE', 'the values before the update are not in the file; write the reverse UPDATE by hand')
  if (stmt.kind === 'DeleteStmt')
    return irreversible('DELETE', 'the deleted rows are gone; restore them from a backup or write the INSERT by hand')
  if (stmt.kind === 'TruncateStmt') return irreversible('TRUNCATE', 'the rows are gone; restore them from a backup')
  return irreversible('MERGE', 'the rows before the merge are not in the file')
}

/** SET statements shape how names resolve: the stub repeats them at its top. */
export function setting(ctx: FileContext, stmt: Stmt): Step {
  const n = stmt.node.VariableSetStmt
  ctx.preamble.push(stmt.text)
  if (n.name === 'search_path') {
    const first =
      n.kind === 'VAR_SET_VALUE'
        ? (n.args ?? []).map((a: Ast) => a.A_Const?.sval?.sval).find((s: string | undefined) => s && s !== '$user')
        : undefined
    ctx.defaultSchema = first ?? 'public'
  }
  return noneStep('a setting: repeated at the top of this file')
}

export function select(ctx: FileContext, stmt: Stmt): Step {
  const n = stmt.node.SelectStmt
  const calls = JSON.stringify(n).match(/"funcname":\[[^\]]*\]/g) ?? []
  if (!calls.length) return noneStep('a query changes nothing')
  const onlySettings = !n.fromClause && calls.every((c) => /"set_config"/.test(c))
  if (onlySettings) {
    ctx.preamble.push(stmt.text)
    return noneStep('a setting: repeated at the top of this file')
  }
  return irreversible('SELECT', 'it calls functions whose effects strata cannot see')
}

export const NO_SCHEMA_CHANGE: Record<string, string> = {
  TransactionStmt: 'transaction control: strata runs the down file in its own transaction',
  LockStmt: 'a lock lasts only for its transaction',
  VacuumStmt: 'VACUUM and ANALYZE change no definition',
  ExplainStmt: 'EXPLAIN changes nothing',
  NotifyStmt: 'a notification changes nothing',
  ListenStmt: 'LISTEN changes nothing',
  RefreshMatViewStmt: 'refreshing a materialized view changes no definition',
  ClusterStmt: 'CLUSTER changes no definition',
  ReindexStmt: 'REINDEX changes no definition',
  CheckPointStmt: 'CHECKPOINT changes nothing',
  DiscardStmt: 'DISCARD changes nothing',
  VariableShowStmt: 'SHOW changes nothing',
}
