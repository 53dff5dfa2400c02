/**
 * What type each column has before a file runs, from the history before it (verify's expected schema follows
 * creates, renames, type changes and drops): alter-column-type needs it to tell a widening, which Postgres does
 * in place, from a rewrite. Only read when a file changes a column's type.
 */
import type { MigrationFile } from '../runner/file-format.js'
import type { TypeRef } from '../verify/sql-names.js'

const CHANGES_TYPE = /alter\s+column\s+("[^"]+"|[\w$]+)\s+(set\s+data\s+)?type\b/i

/** For each file of `linted` that changes a column's type: the column types the files before it leave, by `table.column`. */
export async function columnTypesBefore(
  history: MigrationFile[],
  linted: { path: string; content: string }[],
): Promise<Map<string, Map<string, TypeRef>>> {
  // A file outside the history (a path given to lint) has no history before it to read.
  const inHistory = new Set(history.map((file) => file.path))
  const wanted = new Set(linted.filter((s) => inHistory.has(s.path) && CHANGES_TYPE.test(s.content)).map((s) => s.path))
  const found = new Map<string, Map<string, TypeRef>>()
  if (!wanted.size) return found
  const { ExpectedSchema } = await import('../verify/expected.js')
  const { loadParser, visitStatements, LineIndex } = await import('../sql/index.js')
  const parser = await loadParser()
  const expected = new ExpectedSchema(['public'])
  for (const file of history) {
    if (found.size === wanted.size) break
    if (wanted.has(file.path)) {
      const types = new Map<string, TypeRef>()
      for (const o of expected.list()) if (o.kind === 'column' && o.column?.type) types.set(`${o.parent}.${o.name}`, o.column.type)
      found.set(file.path, types)
    }
    expected.addFile(file, (add) => visitStatements(parser, file.content, new LineIndex(file.content), add))
  }
  return found
}
