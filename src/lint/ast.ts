/** Calls `visit` for every node of type `kind` under `root` (nodes are `{ Kind: {...} }` objects). */
export function forEachNode<T>(root: unknown, kind: string, visit: (node: T) => void): void {
  if (Array.isArray(root)) {
    for (const item of root) forEachNode(item, kind, visit)
  } else if (root && typeof root === 'object') {
    for (const [key, value] of Object.entries(root)) {
      if (key === kind) visit(value as T)
      forEachNode(value, kind, visit)
    }
  }
}

export function someNode<T>(root: unknown, kind: string, test: (node: T) => boolean): boolean {
  let found = false
  forEachNode<T>(root, kind, (node) => {
    found ||= test(node)
  })
  return found
}

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
