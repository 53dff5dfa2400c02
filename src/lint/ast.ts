/** Calls `visit` for every node of type `kind` under `root` (nodes are `{ Kind: {...} }` objects). */
export function forEachNode<T>(root: unknown, kind: string, visit: (node: T) => void): void {
  if (Array.isArray(root)) {
    for (const item of root) forEachNode(item, kind, visit);
  } else if (root && typeof root === 'object') {
    for (const [key, value] of Object.entries(root)) {
      if (key === kind) visit(value as T);
      forEachNode(value, kind, visit);
    }
  }
}

export function someNode<T>(root: unknown, kind: string, test: (node: T) => boolean): boolean {
  let found = false;
  forEachNode<T>(root, kind, (node) => {
    found ||= test(node);
  });
  return found;
}

const DATA_STATEMENTS = new Set(['SelectStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt']);

/**
 * DELETE/UPDATE nodes that run when a statement runs: the statement itself and those in its WITH
 * clauses, but not those in rule actions or function bodies, which only run later.
 */
export function dataModifications<T>(statement: { kind: string; node: unknown }, kind: 'DeleteStmt' | 'UpdateStmt'): T[] {
  const found: T[] = [];
  if (DATA_STATEMENTS.has(statement.kind)) forEachNode<T>(statement.node, kind, (node) => found.push(node));
  return found;
}
