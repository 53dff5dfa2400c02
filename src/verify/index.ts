/**
 * Object drift: do the objects that a list of applied files creates (and did not later drop) exist?
 * Used by `strata verify` (the applied files) and `strata baseline` (the files up to --to).
 */
import type { Sql } from '../db/connect.js'
import { normalize, type MigrationFile } from '../runner/file-format.js'
import { snapshotSchema, type Snapshot } from '../schema/index.js'
import { checkObjects, invalidIndexes, type ObjectProblem } from './check.js'
import { ExpectedSchema, keyOf, type ExpectedObject, type Unchecked } from './expected.js'
import type { VisitLimits } from '../sql/pieces.js'

export { type ObjectProblem } from './check.js'
export { ExpectedSchema, keyOf, type ExpectedObject, type ExpectedKind, type Unchecked, type Origin } from './expected.js'

export interface ObjectDrift {
  problems: ObjectProblem[]
  /** How many expected objects were looked up in the catalog. */
  checked: number
  /** Statements whose objects cannot be known from the file (DO blocks, files that do not parse). */
  unchecked: Unchecked[]
  /** The catalog snapshot the check read, for callers that compare more. */
  snapshot: Snapshot
  /** The objects the files leave behind, as looked up. */
  expected: ExpectedObject[]
}

/** The database's search_path as the server resolves it now: unqualified names in the files meant these schemas. */
export async function databaseSearchPath(sql: Sql): Promise<string[]> {
  const [row] = await sql`select current_schemas(false)::text[] as path`
  return row.path as string[]
}

export async function expectedSchema(files: MigrationFile[], searchPath: string[], limits?: VisitLimits): Promise<ExpectedSchema> {
  const { loadParser, visitStatements, LineIndex } = await import('../sql/index.js') // loaded only when there is something to analyse
  const parser = await loadParser()
  const expected = new ExpectedSchema(searchPath)
  for (const file of files) {
    const text = normalize(file.content)
    const lines = new LineIndex(text)
    // Statement by statement, in pieces for a large file: a 50 MB seed file needs no 1.6 GB syntax tree.
    const error = expected.addFile(file, (add) => visitStatements(parser, text, lines, add, limits))
    if (error) expected.addUnparsable(file, error.line, error.message)
  }
  return expected
}

export interface DriftOptions {
  /** The schemas unqualified names resolve to (a tenant's, with --each-schema); default the database's search_path. */
  searchPath?: string[]
  /** Schemas left out (the other tenants of --each-schema). */
  skip?: string[]
}

export async function findObjectDrift(
  sql: Sql,
  files: MigrationFile[],
  ledgerSchema: string,
  options: DriftOptions = {},
): Promise<ObjectDrift> {
  // The whole catalog: files may create objects in the ledger's schema (its name can be the user's, first in "$user", public).
  const skip = options.skip ?? []
  const [full, searchPath] = await Promise.all([
    snapshotSchema(sql, { exclude: skip }),
    options.searchPath ? Promise.resolve(options.searchPath) : databaseSearchPath(sql),
  ])
  const snapshot = withoutLedger(full, ledgerSchema)
  const expected = await expectedSchema(files, searchPath)
  const objects = expected.list()
  const found = [...(await checkObjects(sql, objects, snapshot)), ...(await invalidIndexes(sql, objects, [ledgerSchema, ...skip]))]
  found.sort((a, b) => a.version - b.version || a.line - b.line || a.object.localeCompare(b.object))
  // What code Strata does not run may have changed is not a problem when it is gone: it is unchecked, saying why.
  const uncertain = new Map(objects.filter((o) => o.uncertain).map((o) => [keyOf(o), o]))
  const problems = found.filter((p) => p.kind === 'invalid' || (!uncertain.has(p.object) && !p.unknownTable))
  const unchecked = [
    ...expected.unchecked,
    ...found
      .filter((p) => !problems.includes(p))
      .map((p) => ({
        file: p.file,
        line: p.line,
        version: p.version,
        statement: p.object,
        reason: p.unknownTable
          ? `not there, but neither is its table ${p.unknownTable}, which no file creates (code Strata does not follow made it)`
          : `${p.kind === 'missing' ? 'not there' : `${p.actual}, expected ${p.expected}`}, but ${uncertain.get(p.object)!.uncertain}`,
      })),
  ]
  return { problems, checked: objects.length, unchecked, snapshot, expected: objects }
}

const LEDGER_TABLES = ['migrations', 'events']

/** A snapshot without the ledger's own tables (and its schema when nothing else lives there). */
export function withoutLedger(snapshot: Snapshot, ledgerSchema: string): Snapshot {
  const ledgerKeys = new Set([...LEDGER_TABLES.map((t) => `table ${ledgerSchema}.${t}`), `sequence ${ledgerSchema}.events_id_seq`])
  const objects = Object.fromEntries(
    Object.entries(snapshot.objects).filter(([key, o]) => !ledgerKeys.has(key) && !(o.parent && ledgerKeys.has(o.parent))),
  )
  const othersInSchema = Object.values(objects).some((o) => o.schema === ledgerSchema && o.kind !== 'schema')
  if (!othersInSchema) delete objects[`schema ${ledgerSchema}`]
  return { ...snapshot, objects }
}
