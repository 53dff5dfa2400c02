import type { FuncCall } from '@pgsql/types'
import type { Statement } from '../sql/index.js'
import { type BlockStatement, codeBody } from './bodies.js'
import type { CreatedFunction, FileFacts } from './facts.js'
import { display, listName } from './names.js'
import { inner } from './objects.js'
import { forEachNode } from './nodes.js'

/**
 * DELETE/UPDATE nodes that run when a statement runs: the statement itself and those in its WITH
 * clause (PostgreSQL allows data-modifying WITH only at the top level), but not those in rule
 * actions or function bodies, which only run later.
 */
export function dataModifications<T>(statement: { kind: string; node: unknown }, kind: 'DeleteStmt' | 'UpdateStmt'): T[] {
  const found: T[] = []
  const top = (statement.node as Record<string, { withClause?: { ctes?: unknown[] } }>)[statement.kind]
  if (statement.kind === kind) found.push(top as T)
  for (const cte of top?.withClause?.ctes ?? []) {
    const query = (cte as { CommonTableExpr?: { ctequery?: Record<string, unknown> } }).CommonTableExpr?.ctequery
    if (query && kind in query) found.push(query[kind] as T)
  }
  return found
}

/** A DELETE or UPDATE the file runs, and where to point at it. */
export interface RunModification<T> {
  node: T
  /** Where to report it; undefined: the whole top-level statement. */
  offset?: number
  end?: number
  /** Set when it is written inside a DO block or function body: that inner statement. */
  within?: Statement
  /** How the file runs it, for the message: `the DO block`, `function app.f(), called at line 12`. */
  via?: string
}

/**
 * The DELETE/UPDATE nodes a statement runs: its own (see dataModifications), those written in a DO block, and
 * those in the body of a function the same file created and calls here (each body reported once).
 */
export function runModifications<T extends { relation?: { location?: number } }>(
  statement: Statement,
  file: FileFacts,
  kind: 'DeleteStmt' | 'UpdateStmt',
): RunModification<T>[] {
  const top = inner(statement)
  const found: RunModification<T>[] = dataModifications<T>(statement, kind).map((node) => ({
    node,
    // A DELETE/UPDATE nested in a WITH clause is pointed at; a plain one is the whole statement.
    offset: node === top ? undefined : file.offsetOf(node.relation?.location),
  }))
  const inside = (body: BlockStatement[], via: string) => {
    for (const statement of body) {
      for (const node of dataModifications<T>(statement, kind))
        found.push({ node, offset: statement.start, end: statement.end, within: statement, via })
    }
  }
  if (statement.kind === 'DoStmt') inside(file.bodyStatements(statement), 'the DO block')
  // A function the file created runs when a SELECT, CALL or DO block calls it (other statements rarely do).
  const calls = statement.kind === 'SelectStmt' || statement.kind === 'CallStmt' || statement.kind === 'DoStmt'
  for (const called of calls ? calledFunctions(statement, file) : []) {
    if (file.firstTime(`${kind} in ${called.statement.start}`))
      inside(file.bodyStatements(called.statement), `function ${display(called)}, which line ${statement.line} calls`)
  }
  return found
}

/** Functions this file created that the statement calls (in SQL, or from a DO block's code). */
function calledFunctions(statement: Statement, file: FileFacts): CreatedFunction[] {
  if (!file.hasFunctions) return []
  const called = new Set<CreatedFunction>()
  if (statement.kind === 'DoStmt') {
    const body = codeBody(statement)?.body ?? ''
    for (const match of body.matchAll(/([A-Za-z_][\w$]*)\s*\(/g)) {
      const created = file.createdFunction({ name: match[1]!.toLowerCase() })
      if (created) called.add(created)
    }
  } else {
    const add = (call: FuncCall) => {
      const created = file.createdFunction(listName(call.funcname))
      if (created) called.add(created)
    }
    if (statement.kind === 'CallStmt') add(inner<{ funccall: FuncCall }>(statement).funccall)
    forEachNode<FuncCall>(statement.node, 'FuncCall', add)
  }
  return [...called]
}
