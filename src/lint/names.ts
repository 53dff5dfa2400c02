import type { Node, RangeVar } from '@pgsql/types'

export interface QualifiedName {
  schema?: string
  name: string
}

export function rangeVarName(relation: RangeVar | undefined): QualifiedName {
  return { schema: relation?.schemaname, name: relation?.relname ?? '' }
}

/** `[String 'public', String 'users']` (how the parser spells dotted names) as a qualified name. */
export function listName(nodes: Node[] | undefined): QualifiedName {
  const parts = stringValues(nodes)
  const name = parts.pop() ?? ''
  return { schema: parts.pop(), name }
}

export function stringValues(nodes: Node[] | undefined): string[] {
  const values: string[] = []
  for (const node of nodes ?? []) {
    if ('String' in node) values.push(node.String.sval ?? '')
  }
  return values
}

/** How a user would write the name: quoted only when it needs quotes. */
export function display(name: QualifiedName | string): string {
  if (typeof name === 'string') return quoteIdentifier(name)
  return name.schema ? `${quoteIdentifier(name.schema)}.${quoteIdentifier(name.name)}` : quoteIdentifier(name.name)
}

function quoteIdentifier(identifier: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(identifier) ? identifier : `"${identifier.replace(/"/g, '""')}"`
}

/** OBJECT_MATVIEW -> MATERIALIZED VIEW, OBJECT_FOREIGN_TABLE -> FOREIGN TABLE. */
export function objectWord(type: string | undefined): string {
  if (type === 'OBJECT_MATVIEW') return 'MATERIALIZED VIEW'
  return (type ?? 'OBJECT').replace(/^OBJECT_/, '').replace(/_/g, ' ')
}
