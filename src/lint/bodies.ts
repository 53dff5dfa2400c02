/**
 * SQL statements written inside code that a migration runs: a DO block, or the body of a function the same file
 * creates and then calls. Found with PostgreSQL's own PL/pgSQL parser (or the SQL parser for LANGUAGE sql bodies),
 * and located in the file, so rules can look at them as at top-level statements.
 */
import type { CreateFunctionStmt, DoStmt, Node } from '@pgsql/types'
import type { Statement } from '../sql/index.js'
import { parseWith } from '../sql/parse.js'
import type { LineIndex, loadParser } from '../sql/index.js'
import { someNode } from './nodes.js'
import { inner } from './objects.js'

type Parser = Awaited<ReturnType<typeof loadParser>>

/** A SQL statement written in a DO block's or a function's body, located in the file. */
export interface BlockStatement extends Statement {
  /** Inside an IF/CASE, or a block whose EXCEPTION handler catches duplicate_object (or wider). */
  guarded: boolean
}

const GUARDING_CONDITIONS = new Set(['duplicate_object', 'duplicate_table', 'duplicate_function', 'unique_violation', 'others'])
const GUARDING_SQLSTATES = new Set(['42710', '42P07', '42723', '23505'])
const CONDITIONAL_STATEMENTS = new Set(['PLpgSQL_stmt_if', 'PLpgSQL_stmt_case'])
// Only statements some rule looks at are worth parsing (creates for unguarded-create, UPDATE/DELETE for the
// *-without-where rules): most bodies only compute.
const INTERESTING =
  /\b(create\s+(or\s+replace\s+)?(constraint\s+)?(policy|type|domain|role|user|group|trigger)|add\s+(constraint|primary|unique|check|foreign|exclude)|update|delete)\b/i

/** The body of a DO block or CREATE FUNCTION, and its language, or undefined for neither. */
export function codeBody(statement: Statement): { body: string; language: string } | undefined {
  const options = statement.kind === 'DoStmt' ? inner<DoStmt>(statement).args : inner<CreateFunctionStmt>(statement).options
  let body: string | undefined
  let language = statement.kind === 'DoStmt' ? 'plpgsql' : 'sql'
  for (const option of options ?? []) {
    if (!('DefElem' in option)) continue
    const arg = option.DefElem.arg
    if (option.DefElem.defname === 'language' && arg && 'String' in arg) language = (arg.String.sval ?? '').toLowerCase()
    if (option.DefElem.defname === 'as' && arg) body = 'String' in arg ? arg.String.sval : firstString(arg)
  }
  return body === undefined ? undefined : { body, language }
}

function firstString(node: Node): string | undefined {
  if (!('List' in node)) return undefined
  const first = node.List.items?.[0]
  return first && 'String' in first ? first.String.sval : undefined
}

/** Statements of a DO block or function body; dynamic EXECUTE is looked into only when it runs a constant string. */
export function bodyStatements(parser: Parser, statement: Statement, lines: LineIndex): BlockStatement[] {
  const code = codeBody(statement)
  if (!code || !INTERESTING.test(code.body)) return []
  const bodyStart = statement.start + Math.max(0, statement.text.indexOf(code.body))
  const found: BlockStatement[] = []
  const add = (query: string, offsetInBody: number, guarded: boolean) => {
    if (!INTERESTING.test(query)) return
    for (const parsed of parseWith(parser.parseSync, query).statements) {
      const start = bodyStart + offsetInBody + parsed.start
      found.push({ ...parsed, start, end: start + parsed.text.length, ...lines.position(start), guarded })
    }
  }
  if (code.language === 'sql') {
    add(code.body, 0, false)
    return found
  }
  if (code.language !== 'plpgsql') return []
  let tree: unknown
  try {
    tree = parser.parsePlPgSQLSync(statement.text)
  } catch {
    return []
  }
  collect(tree, false, (query, lineno, guarded, literal) => {
    const at = locate(code.body, query, lineno)
    if (!literal) return add(query, at, guarded)
    const text = unquote(query)
    if (text !== undefined) add(text, at + 1, guarded)
  })
  return found
}

type Visit = (query: string, lineno: number, guarded: boolean, literal: boolean) => void

function collect(node: unknown, guarded: boolean, visit: Visit): void {
  if (Array.isArray(node)) {
    for (const item of node) collect(item, guarded, visit)
    return
  }
  if (!node || typeof node !== 'object') return
  for (const [key, value] of Object.entries(node)) {
    if (key === 'PLpgSQL_stmt_execsql' || key === 'PLpgSQL_stmt_dynexecute') {
      const statement = value as { sqlstmt?: Expression; query?: Expression; lineno?: number }
      const query = (statement.sqlstmt ?? statement.query)?.PLpgSQL_expr?.query
      if (query) visit(query, statement.lineno ?? 1, guarded, key === 'PLpgSQL_stmt_dynexecute')
    } else if (key === 'PLpgSQL_stmt_block') {
      const block = value as { body?: unknown; exceptions?: unknown }
      collect(block.body, guarded || catchesDuplicates(block.exceptions), visit)
      collect(block.exceptions, guarded, visit)
    } else {
      collect(value, guarded || CONDITIONAL_STATEMENTS.has(key), visit)
    }
  }
}

interface Expression {
  PLpgSQL_expr?: { query?: string }
}

/** `'UPDATE t SET a = ''x'''` -> `UPDATE t SET a = 'x'`; undefined for anything but one plain string literal. */
function unquote(literal: string): string | undefined {
  const match = /^'((?:[^']|'')*)'$/.exec(literal.trim())
  return match ? match[1]!.replace(/''/g, "'") : undefined
}

// Conditions are named (`duplicate_object`) or given as SQLSTATE codes (`'42710'`), both in `condname`.
function catchesDuplicates(exceptions: unknown): boolean {
  return someNode<{ condname?: string }>(
    exceptions,
    'PLpgSQL_condition',
    ({ condname = '' }) => GUARDING_CONDITIONS.has(condname.toLowerCase()) || GUARDING_SQLSTATES.has(condname.toUpperCase()),
  )
}

/** PL/pgSQL reports a line within the body; the query text is a verbatim slice of it, so find it from there. */
function locate(body: string, query: string, lineno: number): number {
  let lineStart = 0
  for (let line = 1; line < lineno; line++) {
    const newline = body.indexOf('\n', lineStart)
    if (newline === -1) break
    lineStart = newline + 1
  }
  const at = body.indexOf(query, lineStart)
  return at === -1 ? lineStart : at
}
