/**
 * `strata reverse [versions...]`: write `<version>_<name>.down.sql` beside each up file that has none (or
 * only the empty one `strata new --with-down` made).
 * No database: the stubs come from the text of the history alone (src/reverse).
 */
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { resolveFiles } from '../config/index.js'
import { StrataError } from '../errors.js'
import { readMigrations } from '../runner/files.js'
import { readMigrationText, type MigrationFile } from '../runner/file-format.js'
import { readStubHeader, reverseHistory, type IrreversibleStatement, type ReverseEntry } from '../reverse/index.js'

export interface ReverseOptions {
  /** Versions to write stubs for; default: every up file without a down file. */
  versions?: number[]
  /** Overwrite down files that exist. */
  force?: boolean
  /** Write nothing; return the texts (the CLI prints them). */
  stdout?: boolean
  dir?: string
  /** Whose folder layout the directory has (src/layouts/); else detected. */
  layout?: string
  cwd?: string
  env?: NodeJS.ProcessEnv
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
  const { cwd, dir, layout } = resolveFiles(options)
  const files = readMigrations(dir, cwd, layout)
  const selected = select(files, options, cwd)
  // Every file feeds the model of what exists, even the ones whose stubs are not asked for.
  const results = await reverseHistory(
    files.map((f) => ({ path: f.path, content: f.content })),
    (_, i) => selected.has(files[i]!),
  )
  const out: ReverseFileResult[] = []
  for (const result of results) {
    const file = files.find((f) => f.path === result.path)!
    if (result.error) {
      throw new StrataError(
        'lint',
        `${file.path}:${result.error.line}:${result.error.column}: cannot write its reverse: the file does not parse: ${result.error.message}`,
        {
          file: file.path,
          line: result.error.line,
          column: result.error.column,
        },
      )
    }
    // A down the history holds in the file itself (a goose Down section, a Flyway undo file) is its own: never overwritten.
    const downPath = file.down?.path ?? downPathOf(file)
    const written = !!file.down || (existsSync(join(cwd, downPath)) && !isBlank(readMigrationText(join(cwd, downPath), downPath)))
    const action = options.stdout ? 'printed' : written && (!options.force || file.down) ? 'kept' : 'written'
    if (action === 'written') writeFileSync(join(cwd, downPath), result.text)
    out.push({
      version: file.version,
      name: file.name,
      path: file.path,
      downPath,
      action,
      complete: result.complete,
      irreversible: result.irreversible,
      entries: result.entries,
      text: result.text,
    })
  }
  return { files: out }
}

export function downPathOf(file: MigrationFile): string {
  return file.downPath ?? file.path.replace(/(\.up)?\.sql$/, '.down.sql') // golang-migrate's x.up.sql pairs with x.down.sql
}

/**
 * A down file with nothing but comments, as `strata new --with-down` leaves it: it is there to be filled.
 * A stub strata reverse wrote is never blank, even when it found nothing to undo.
 */
export function isBlank(sql: string): boolean {
  if (readStubHeader(sql)) return false
  return (
    sql
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/--[^\n]*/g, '')
      .trim() === ''
  )
}

/**
 * Why a down file cannot roll its up file back as it is, or undefined when it can: it has no statements (the empty
 * file `strata new --with-down` leaves), or it is a stub written for another version of the up file (the checksum
 * in its header). `strata down` refuses such a file and `strata check-reverse` reports it, for the same reasons.
 */
export function downFileProblem(
  file: MigrationFile,
  downPath: string,
  content: string,
): { kind: 'blank' | 'stale'; reason: string; hint: string } | undefined {
  if (isBlank(content))
    return {
      kind: 'blank',
      reason: `its down file ${downPath} has no statements, so nothing would be undone`,
      hint: `write it, or draft it with strata reverse ${file.version}`,
    }
  const header = readStubHeader(content)
  if (header && header.checksum !== file.checksum)
    return {
      kind: 'stale',
      reason: `${file.path} changed since this down file was written (the checksum in its header is not the up file's)`,
      hint: `compare the two, then write the new checksum (sha256:${file.checksum}) into the header line, or regenerate it with strata reverse --force ${file.version}`,
    }
  return undefined
}

function select(files: MigrationFile[], options: ReverseOptions, cwd: string): Set<MigrationFile> {
  const wanting = (f: MigrationFile) => {
    if (f.down) return false
    const downPath = downPathOf(f)
    return !existsSync(join(cwd, downPath)) || isBlank(readMigrationText(join(cwd, downPath), downPath))
  }
  if (!options.versions?.length) return new Set(files.filter((f) => options.force || options.stdout || wanting(f)))
  const chosen = new Set<MigrationFile>()
  for (const version of options.versions) {
    const file = files.find((f) => f.version === version)
    if (!file) throw new StrataError('usage', `no up file has version ${version}`, { hint: 'strata status lists the versions' })
    chosen.add(file)
  }
  return chosen
}
