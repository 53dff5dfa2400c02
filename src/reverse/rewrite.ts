/**
 * Keeping remembered statements true after a rename. The model restores objects from the statements that made
 * them (CREATE INDEX, ADD CONSTRAINT, CREATE VIEW ...); when a later file renames the object, or the table it
 * names, that text must say the new name, or the restore would make the wrong thing (or fail). Names are
 * replaced at the positions the parser and the scanner give, so the rest of the text stays as written.
 */
import type { Library } from './context.js'
import { quoteIdentifier, type Ast } from './sql-text.js'
import { byteOffsetConverter } from '../sql/position.js'

interface Span {
  start: number
  end: number
}

/** The identifier tokens of a text, with character offsets and their value as Postgres reads it (unquoted, folded). */
function identifiers(lib: Library, text: string): (Span & { value: string; word: string })[] {
  const toChar = byteOffsetConverter(text)
  return lib.scanSync(text).tokens.flatMap((t) => {
    if (t.tokenName === 'SQL_COMMENT' || t.tokenName === 'C_COMMENT') return []
    const start = toChar(t.start)
    const end = toChar(t.end)
    const raw = text.slice(start, end)
    const value = raw.startsWith('"') ? raw.slice(1, -1).replace(/""/g, '"') : raw.toLowerCase()
    return [{ start, end, value, word: raw.toUpperCase() }]
  })
}

function replace(text: string, spans: Span[], by: string): string {
  let out = text
  for (const span of [...spans].sort((a, b) => b.start - a.start)) out = out.slice(0, span.start) + by + out.slice(span.end)
  return out
}

/**
 * The text with the name that follows `keyword` (INDEX, CONSTRAINT, SEQUENCE, ...) changed from `from` to `to`:
 * `CREATE INDEX CONCURRENTLY IF NOT EXISTS a ON t` -> `... b ON t`. Undefined when the name is not found.
 */
export function renameAfterKeyword(lib: Library, text: string, keyword: string, from: string, to: string): string | undefined {
  const tokens = identifiers(lib, text)
  const at = tokens.findIndex((t) => t.word === keyword)
  if (at < 0) return undefined
  const skip = new Set(['CONCURRENTLY', 'IF', 'NOT', 'EXISTS'])
  let i = at + 1
  while (tokens[i] && skip.has(tokens[i]!.word)) i++
  // A schema-qualified name: the last part is the object's own name.
  while (tokens[i + 1]?.word === '.' && tokens[i + 2]) i += 2
  const name = tokens[i]
  if (!name || name.value !== from) return undefined
  return replace(text, [name], quoteIdentifier(lib, to))
}

/**
 * The text with every reference to the relation `from` (RangeVar: FROM items, ON t, REFERENCES t, ...) renamed
 * to `to`, keeping a schema qualification as written. Undefined when the text does not parse.
 */
export function renameRelation(
  lib: Library,
  text: string,
  from: { schema: string; name: string },
  to: string,
  defaultSchema: string,
): string | undefined {
  let tree: Ast
  try {
    tree = lib.parseSync(text)
  } catch {
    return undefined
  }
  const toChar = byteOffsetConverter(text)
  const tokens = identifiers(lib, text)
  const spans: Span[] = []
  visitRelations(tree, (rel) => {
    if (rel.relname !== from.name || (rel.schemaname ?? defaultSchema) !== from.schema || rel.location === undefined) return
    let i = tokens.findIndex((t) => t.start >= toChar(rel.location))
    if (i < 0) return
    if (rel.schemaname && tokens[i + 1]?.word === '.') i += 2
    if (rel.catalogname && tokens[i + 1]?.word === '.') i += 2
    if (tokens[i]?.value === from.name) spans.push(tokens[i]!)
  })
  return spans.length ? replace(text, spans, quoteIdentifier(lib, to)) : text
}

/** Every relation a parse tree names: wrapped `{ RangeVar }` nodes and the bare ones in `relation`, `table`, `pktable`... */
export function visitRelations(node: unknown, visit: (rel: Ast) => void): void {
  if (Array.isArray(node)) {
    for (const item of node) visitRelations(item, visit)
    return
  }
  if (!node || typeof node !== 'object') return
  const record = node as Ast
  if (typeof record.relname === 'string' && 'relpersistence' in record) visit(record)
  for (const value of Object.values(record)) visitRelations(value, visit)
}
