import type { DoStmt } from '@pgsql/types'
import type { Statement } from '../sql/index.js'
import { parseWith } from '../sql/parse.js'
import type { LineIndex, loadParser } from '../sql/index.js'
import { someNode } from './ast.js'
import { inner } from './objects.js'

type Parser = Awaited<ReturnType<typeof loadParser>>

/** A SQL statement written directly in a DO block's PL/pgSQL body, located in the file. */
export interface BlockStatement extends Statement {
  /** Inside an IF/CASE, or a block whose EXCEPTION handler catches duplicate_object (or wider). */
  guarded: boolean
}

const GUARDING_CONDITIONS = new Set(['duplicate_object', 'duplicate_table', 'duplicate_function', 'unique_violation', 'others'])
const GUARDING_SQLSTATES = new Set(['42710', '42P07', '42723', '23505'])
const CONDITIONAL_STATEMENTS = new Set(['PLpgSQL_stmt_if', 'PLpgSQL_stmt_case'])
// Only statements that unguarded-create looks at are worth parsing: most DO blocks only move data.
const GUARDED_KINDS =
  /\b(create\s+(or\s+replace\s+)?(constraint\s+)?(policy|type|domain|role|user|group|trigger)|add\s+(constraint|primary|unique|check|foreign|exclude))\b/i

/** Statements of a DO block, found with the PL/pgSQL parser; dynamic EXECUTE strings are not looked into. */
export function doBlockStatements(parser: Parser, statement: Statement, lines: LineIndex): BlockStatement[] {
  const body = doBody(statement)
  if (body === undefined || !GUARDED_KINDS.test(body)) return []
  let tree: unknown
  try {
    tree = parser.parsePlPgSQLSync(statement.text)
  } catch {
    return []
  }
  const bodyStart = statement.start + Math.max(0, statement.text.indexOf(body))
  const found: BlockStatement[] = []
  collect(tree, false, (query, lineno, guarded) => {
    if (!GUARDED_KINDS.test(query)) return
    const offsetInBody = locate(body, query, lineno)
    const parsed = parseWith(parser.parseSync, query)
    for (const inner of parsed.statements) {
      const start = bodyStart + offsetInBody + inner.start
      found.push({ ...inner, start, end: start + inner.text.length, ...lines.position(start), guarded })
    }
  })
  return found
}

function doBody(statement: Statement): string | undefined {
  const args = inner<DoStmt>(statement).args ?? []
  let body: string | undefined
  for (const arg of args) {
    if (!('DefElem' in arg)) continue
    const value = arg.DefElem.arg && 'String' in arg.DefElem.arg ? arg.DefElem.arg.String.sval : undefined
    if (arg.DefElem.defname === 'language' && value?.toLowerCase() !== 'plpgsql') return undefined
    if (arg.DefElem.defname === 'as') body = value
  }
  return body
}

type Visit = (query: string, lineno: number, guarded: boolean) => void

function collect(node: unknown, guarded: boolean, visit: Visit): void {
  if (Array.isArray(node)) {
    for (const item of node) collect(item, guarded, visit)
    return
  }
  if (!node || typeof node !== 'object') return
  for (const [key, value] of Object.entries(node)) {
    if (key === 'PLpgSQL_stmt_execsql') {
      const { sqlstmt, lineno } = value as { sqlstmt?: { PLpgSQL_expr?: { query?: string } }; lineno?: number }
      const query = sqlstmt?.PLpgSQL_expr?.query
      if (query) visit(query, lineno ?? 1, guarded)
    } else if (key === 'PLpgSQL_stmt_block') {
      const block = value as { body?: unknown; exceptions?: unknown }
      collect(block.body, guarded || catchesDuplicates(block.exceptions), visit)
      collect(block.exceptions, guarded, visit)
    } else {
      collect(value, guarded || CONDITIONAL_STATEMENTS.has(key), visit)
    }
  }
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
