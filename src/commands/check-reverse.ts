/**
 * `strata check-reverse`: prove on a scratch database that the down files really undo the up files.
 * Apply every file (snapshotting the schema after each), run the down files back, newest first, and after
 * each compare the schema with the snapshot from before its up file; then apply everything again and compare
 * with the first full schema. Reports the first down file that does not restore the schema, and what differs.
 *
 * The scratch database is an embedded Postgres in a temporary directory, or a URL given for one (it must be
 * empty: check-reverse runs down files on it). Files without a down file are checked with the stub that
 * `strata reverse` would write, so a stub can be checked before it is written.
 */
import { join } from 'node:path'
import type { Sql } from '../db/connect.js'
import { refuseNonEmpty, withScratch } from '../db/scratch.js'
import { StrataError } from '../errors.js'
import { runWhole } from '../runner/execute.js'
import { decideRunModes } from '../runner/run-mode.js'
import { readMigrations } from '../runner/files.js'
import { resolveFiles } from '../config/index.js'
import { hasDirective, readMigrationText, type MigrationFile } from '../runner/file-format.js'
import { reverseHistory } from '../reverse/index.js'
import { diffSnapshots, formatDifferences, snapshotSchema, type SchemaDifference, type Snapshot } from '../schema/index.js'
import { downPathOf } from './reverse.js'
import { readSetupFiles } from '../db/setup.js'

export interface CheckReverseOptions {
  dir?: string
  /** Whose folder layout the directory has (src/layouts/); else detected. */
  layout?: string
  cwd?: string
  /** An empty database to use as scratch; default: an embedded Postgres in a temporary directory. */
  url?: string
  /** SQL files run before the migrations (e.g. stand-ins for platform schemas); their objects are the baseline. */
  setup?: string[]
  /** Check only the files above this version (they are rolled back down to it); default 0: all. */
  to?: number
  onProgress?: (event: CheckProgress) => void
}

export type CheckProgress =
  | { type: 'scratch'; target: string }
  | { type: 'applied'; path: string }
  | { type: 'restored'; path: string; downPath: string; generated: boolean }
  | { type: 'reapplied'; count: number }

export interface CheckedFile {
  version: number
  path: string
  downPath: string
  /** The down file on disk, or the stub strata reverse would write (not on disk yet). */
  down: 'file' | 'generated'
  restored: boolean
}

export interface CheckFailure {
  stage: 'setup' | 'up' | 'down' | 'reapply'
  version?: number
  path: string
  downPath?: string
  message: string
  differences: SchemaDifference[]
}

export interface CheckReverseResult {
  ok: boolean
  scratch: string
  files: CheckedFile[]
  failure?: CheckFailure
}

interface Checked {
  file: MigrationFile
  downPath: string
  downText: string
  generated: boolean
  before?: Snapshot
}

export async function checkReverse(options: CheckReverseOptions = {}): Promise<CheckReverseResult> {
  const cwd = options.cwd ?? process.cwd()
  const { dir, layout } = resolveFiles({ dir: options.dir, layout: options.layout, cwd })
  const files = readMigrations(dir, cwd, layout)
  const to = options.to ?? 0
  await decideRunModes(files)
  const checked = await downFiles(files, to, cwd)
  const setup = readSetupFiles(options.setup ?? [], cwd)
  const progress = options.onProgress ?? (() => {})
  return withScratch(options.url, async (scratch) => {
    progress({ type: 'scratch', target: scratch.shown })
    await refuseNonEmpty(scratch, 'check-reverse')
    return roundTrip(scratch.sql, scratch.shown, files, checked, setup, progress)
  })
}

/** The down text of every file above `to`: from disk, or generated from the history. */
async function downFiles(files: MigrationFile[], to: number, cwd: string): Promise<Map<MigrationFile, Checked>> {
  const above = files.filter((f) => f.version > to)
  const generate = new Set(above.filter((f) => !f.downPath && !f.down))
  const stubs = await reverseHistory(
    files.map((f) => ({ path: f.path, content: f.content })),
    (_, i) => generate.has(files[i]!),
  )
  const checked = new Map<MigrationFile, Checked>()
  for (const file of above) {
    const downPath = file.down?.path ?? downPathOf(file)
    const stub = stubs.find((s) => s.path === file.path)
    if (stub?.error)
      throw new StrataError(
        'lint',
        `${file.path}:${stub.error.line}:${stub.error.column}: the file does not parse: ${stub.error.message}`,
        { file: file.path },
      )
    const downText = stub ? stub.text : (file.down?.content ?? readMigrationText(join(cwd, downPath), downPath))
    checked.set(file, { file, downPath, downText, generated: !!stub })
  }
  return checked
}

async function roundTrip(
  sql: Sql,
  shown: string,
  files: MigrationFile[],
  checked: Map<MigrationFile, Checked>,
  setup: { path: string; content: string }[],
  progress: (e: CheckProgress) => void,
): Promise<CheckReverseResult> {
  const result: CheckReverseResult = { ok: false, scratch: shown, files: [] }
  for (const s of setup) {
    const failed = await attempt(sql, s.path, s.content, false)
    if (failed) return { ...result, failure: { stage: 'setup', path: s.path, message: failed, differences: [] } }
  }
  const snap = () => snapshotSchema(sql, { grants: true, owners: true })
  // The schema after the previous file; only read when a checked file needs it (files up to --to need none).
  let last: Snapshot | undefined
  for (const file of files) {
    const check = checked.get(file)
    if (check) check.before = last ?? (await snap())
    const failed = await attempt(sql, file.path, file.content, file.noTransaction)
    if (failed)
      return {
        ...result,
        failure: {
          stage: 'up',
          version: file.version,
          path: file.path,
          message: `the up file does not apply here: ${failed}`,
          differences: [],
        },
      }
    progress({ type: 'applied', path: file.path })
    last = check ? await snap() : undefined
  }
  const full = last ?? (await snap())
  for (const check of [...checked.values()].reverse()) {
    const failure = await checkDown(sql, check, snap)
    const entry: CheckedFile = {
      version: check.file.version,
      path: check.file.path,
      downPath: check.downPath,
      down: check.generated ? 'generated' : 'file',
      restored: !failure,
    }
    result.files.push(entry)
    if (failure) return { ...result, failure }
    progress({ type: 'restored', path: check.file.path, downPath: check.downPath, generated: check.generated })
  }
  return { ...result, ...(await reapply(sql, [...checked.keys()], full, snap, progress)) }
}

async function checkDown(sql: Sql, check: Checked, snap: () => Promise<Snapshot>): Promise<CheckFailure | undefined> {
  const where = { stage: 'down' as const, version: check.file.version, path: check.file.path, downPath: check.downPath }
  const failed = await attempt(
    sql,
    check.downPath,
    check.downText,
    !!check.file.down?.noTransaction || hasDirective(check.downText, 'no-transaction'),
  )
  if (failed) return { ...where, message: `${check.downPath} failed: ${failed}`, differences: [] }
  const differences = diffSnapshots(check.before!, await snap())
  if (!differences.length) return undefined
  return { ...where, message: `${check.downPath} does not restore the schema from before ${check.file.path}`, differences }
}

/** Up again after the round trip: the files must apply as they did and build the same schema. */
async function reapply(
  sql: Sql,
  files: MigrationFile[],
  full: Snapshot,
  snap: () => Promise<Snapshot>,
  progress: (e: CheckProgress) => void,
): Promise<Pick<CheckReverseResult, 'ok' | 'failure'>> {
  for (const file of files) {
    const failed = await attempt(sql, file.path, file.content, file.noTransaction)
    if (failed)
      return {
        ok: false,
        failure: {
          stage: 'reapply',
          version: file.version,
          path: file.path,
          message: `after the round trip the up file fails: ${failed}`,
          differences: [],
        },
      }
  }
  progress({ type: 'reapplied', count: files.length })
  const differences = diffSnapshots(full, await snap())
  if (differences.length)
    return {
      ok: false,
      failure: {
        stage: 'reapply',
        path: files[files.length - 1]?.path ?? '',
        message: 'applying the files again after the round trip builds another schema',
        differences,
      },
    }
  return { ok: true }
}

/** Run a file's text as strata does (one transaction, or statement by statement); the error as text, or undefined. */
async function attempt(sql: Sql, path: string, content: string, noTransaction: boolean): Promise<string | undefined> {
  try {
    await runWhole(sql, { path, content }, { noTransaction })
    return undefined
  } catch (e) {
    return e instanceof Error ? e.message : String(e)
  }
}

export { formatDifferences }
