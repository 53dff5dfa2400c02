/**
 * DO blocks. The one shape strata can read is a guard around a create, written two ways:
 *   BEGIN CREATE TYPE ...; EXCEPTION WHEN duplicate_object THEN NULL; END
 *   IF NOT EXISTS (SELECT ... FROM pg_...) THEN CREATE TYPE ...; END IF;
 * It reverses like the create it guards. Any other DO block runs code strata cannot follow.
 */
import { irreversible, noneStep, sqlStep, type FileContext, type Step, type Stmt } from './context.js'
import { FileTokens, type Ast } from './sql-text.js'

const DUPLICATE_CONDITIONS = new Set([
  'duplicate_object',
  'duplicate_table',
  'duplicate_function',
  'duplicate_schema',
  'duplicate_column',
  'unique_violation',
])

/** Statement kinds that may stand inside a guard: creates, whose failure on a duplicate means "already there". */
const GUARDABLE = new Set([
  'CreateStmt',
  'IndexStmt',
  'CreateEnumStmt',
  'CompositeTypeStmt',
  'CreateDomainStmt',
  'CreateRangeStmt',
  'CreateRoleStmt',
  'CreatePolicyStmt',
  'CreateTrigStmt',
  'CreateSchemaStmt',
  'CreateExtensionStmt',
  'CreateFunctionStmt',
  'CreateSeqStmt',
  'AlterTableStmt',
  'CreatePublicationStmt',
  'CreateEventTrigStmt',
  'ViewStmt',
])

const NOTICE_OR_LOWER = 20 // elog levels: NOTICE 18, WARNING 19, ERROR 21

const WHY = 'a DO block runs code that strata cannot follow; write its reverse by hand'

export function doBlock(ctx: FileContext, stmt: Stmt, reverse: (inner: Stmt) => Step): Step {
  const args: Ast[] = (stmt.node.DoStmt.args ?? []).map((a: Ast) => a.DefElem)
  const body = args.find((a) => a?.defname === 'as')?.arg?.String?.sval
  const language = args.find((a) => a?.defname === 'language')?.arg?.String?.sval ?? 'plpgsql'
  if (typeof body !== 'string' || language.toLowerCase() !== 'plpgsql') return irreversible('DO block', WHY)
  const queries = guardedQueries(ctx, body)
  if (!queries) return irreversible('DO block', WHY)
  const inner: Stmt[] = []
  for (const query of queries) {
    const statements = innerStatements(ctx, stmt, query)
    if (!statements || statements.some((s) => !GUARDABLE.has(s.kind) || !onlyAdds(s))) return irreversible('DO block', WHY)
    inner.push(...statements)
  }
  const steps = inner.map(reverse)
  const stop = steps.find((s) => s.kind === 'irreversible')
  if (stop) return stop
  const sql = steps.flatMap((s) => (s.kind === 'sql' ? s.sql : [])).reverse()
  if (!sql.length)
    return noneStep(
      steps
        .map((s) => (s.kind === 'none' ? s.note : ''))
        .filter(Boolean)
        .join('; ') || 'nothing to undo',
    )
  return sqlStep(sql, 'reverses the create this DO block guards')
}

/** An ALTER TABLE inside a guard may only add (a constraint, a column): the rest is not a create. */
function onlyAdds(stmt: Stmt): boolean {
  if (stmt.kind !== 'AlterTableStmt') return true
  return (stmt.node.AlterTableStmt.cmds ?? []).every((c: Ast) => ['AT_AddConstraint', 'AT_AddColumn'].includes(c.AlterTableCmd?.subtype))
}

/** The SQL statements a guard block runs, or undefined when the block is anything but a guard. */
function guardedQueries(ctx: FileContext, body: string): string[] | undefined {
  let tag = 'strata'
  while (body.includes(`$${tag}$`)) tag += '_'
  let parsed: Ast
  try {
    parsed = ctx.lib.parsePlPgSQLSync(`CREATE FUNCTION strata_do_block() RETURNS void LANGUAGE plpgsql AS $${tag}$${body}$${tag}$`)
  } catch {
    return undefined
  }
  const action = parsed.plpgsql_funcs?.[0]?.PLpgSQL_function?.action?.PLpgSQL_stmt_block
  const out: string[] = []
  return action && collect(action.body ?? [], out) && out.length ? out : undefined
}

function collect(statements: Ast[], out: string[]): boolean {
  for (const s of statements) {
    if (s.PLpgSQL_stmt_return && !s.PLpgSQL_stmt_return.expr) continue // the implicit RETURN of the wrapper
    if (s.PLpgSQL_stmt_execsql) {
      out.push(s.PLpgSQL_stmt_execsql.sqlstmt?.PLpgSQL_expr?.query ?? '')
      continue
    }
    if (s.PLpgSQL_stmt_raise && s.PLpgSQL_stmt_raise.elog_level <= NOTICE_OR_LOWER) continue
    if (s.PLpgSQL_stmt_block) {
      const block = s.PLpgSQL_stmt_block
      const handlers: Ast[] = block.exceptions?.PLpgSQL_exception_block?.exc_list ?? []
      if (!handlers.every(onlySwallowsDuplicates) || !collect(block.body ?? [], out)) return false
      continue
    }
    if (s.PLpgSQL_stmt_if) {
      const branch = s.PLpgSQL_stmt_if
      const condition = branch.cond?.PLpgSQL_expr?.query ?? ''
      if (branch.elsif_list || branch.else_body || !/^\s*NOT\s+EXISTS\s*\(/i.test(condition)) return false
      if (!collect(branch.then_body ?? [], out)) return false
      continue
    }
    return false
  }
  return true
}

function onlySwallowsDuplicates(handler: Ast): boolean {
  const h = handler.PLpgSQL_exception
  const conditions: string[] = (h?.conditions ?? []).map((c: Ast) => c.PLpgSQL_condition?.condname)
  const actions: Ast[] = h?.action ?? []
  return (
    conditions.every((c) => DUPLICATE_CONDITIONS.has(c)) &&
    actions.every((a) => a.PLpgSQL_stmt_raise && a.PLpgSQL_stmt_raise.elog_level <= NOTICE_OR_LOWER)
  )
}

/** The statements of one query inside the block, located in the query's own text, at the DO statement's line. */
function innerStatements(ctx: FileContext, outer: Stmt, query: string): Stmt[] | undefined {
  let parsed: Ast
  try {
    parsed = ctx.lib.parseSync(query)
  } catch {
    return undefined
  }
  const source = { text: query, tokens: new FileTokens(ctx.lib, query) }
  return (parsed.stmts ?? []).map((raw: Ast) => {
    const start = source.tokens.toChar(raw.stmt_location ?? 0)
    const end = raw.stmt_len ? source.tokens.toChar((raw.stmt_location ?? 0) + raw.stmt_len) : query.length
    const text = query.slice(start, end).trim()
    return { node: raw.stmt, kind: Object.keys(raw.stmt)[0]!, text, start, end, line: outer.line, source, guarded: true }
  })
}
