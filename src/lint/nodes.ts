// Walking the parser's tree: nodes are `{ Kind: {...} }` objects nested in objects and arrays.

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
