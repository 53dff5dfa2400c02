/**
 * `strata reverse [versions...]`: write `<version>_<name>.down.sql` beside each up file that has none.
 * No database: the stubs come from the text of the history alone (src/reverse).
 */
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { StrataError } from '../errors.js'
import { readMigrations, resolveDir, type MigrationFile } from '../files.js'
import { reverseHistory, type IrreversibleStatement, type ReverseEntry } from '../reverse/index.js'

export interface ReverseOptions {
  /** Versions to write stubs for; default: every up file without a down file. */
  versions?: number[]
  /** Overwrite down files that exist. */
  force?: boolean
  /** Write nothing; return the texts (the CLI prints them). */
  stdout?: boolean
  dir?: string
  cwd?: string
}

export interface ReverseFileResult {
  version: number
  name: string
  /** The up file. */
  path: string
  /** The down file (written, kept or, with stdout, where it would go). */
  downPath: string
  action: 'written' | 'kept' | 'printed'
  /** False when the stub raises an exception because some statement needs a hand-written reverse. */
  complete: boolean
  irreversible: IrreversibleStatement[]
  entries: ReverseEntry[]
  text: string
}

export interface ReverseCommandResult {
  files: ReverseFileResult[]
}

export async function reverse(options: ReverseOptions = {}): Promise<ReverseCommandResult> {
  const cwd = options.cwd ?? process.cwd()
  const files = readMigrations(resolveDir(options.dir, cwd), cwd)
  const selected = select(files, options)
  // Every file feeds the model of what exists, even the ones whose stubs are not asked for.
  const results = await reverseHistory(files.map((f) => ({ path: f.path, content: f.content })), (_, i) => selected.has(files[i]!))
  const out: ReverseFileResult[] = []
  for (const result of results) {
    const file = files.find((f) => f.path === result.path)!
    if (result.error) {
      throw new StrataError('lint', `${file.path}:${result.error.line}:${result.error.column}: cannot write its reverse: the file does not parse: ${result.error.message}`, {
        file: file.path,
        line: result.error.line,
        column: result.error.column,
      })
    }
    const downPath = downPathOf(file)
    const exists = existsSync(join(cwd, downPath))
    const action = options.stdout ? 'printed' : exists && !options.force ? 'kept' : 'written'
    if (action === 'written') writeFileSync(join(cwd, downPath), result.text)
    out.push({ version: file.version, name: file.name, path: file.path, downPath, action, complete: result.complete, irreversible: result.irreversible, entries: result.entries, text: result.text })
  }
  return { files: out }
}

export function downPathOf(file: MigrationFile): string {
  return file.downPath ?? file.path.replace(/\.sql$/, '.down.sql')
}

function select(files: MigrationFile[], options: ReverseOptions): Set<MigrationFile> {
  if (!options.versions?.length) return new Set(files.filter((f) => options.force || options.stdout || !f.downPath))
  const chosen = new Set<MigrationFile>()
  for (const version of options.versions) {
    const file = files.find((f) => f.version === version)
    if (!file) throw new StrataError('usage', `no up file has version ${version}`, { hint: 'strata status lists the versions' })
    chosen.add(file)
  }
  return chosen
}
