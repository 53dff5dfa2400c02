/**
 * `strata check-reverse`: prove on a scratch database that the down files really undo the up files, every one
 * of them. Files are applied in order; right after each up file, its down file runs, the schema must equal the
 * one from before the up file, and the up file must then apply again and build the same schema as the first
 * time. Each down file is reported: exact, wrong (what differs, or the error it raised) or unfinished (a stub
 * that still needs a hand-written reverse, or an empty file); one that is not exact does not stop the others.
 *
 * A down file that fails runs in a transaction and changes nothing; one that runs but leaves the schema wrong is
 * repaired by applying the up file again, and when that does not give back the schema either, the history is
 * replayed into another database on the scratch server, so every later file is still checked from the state the
 * history builds.
 *
 * The scratch database is an embedded Postgres in a temporary directory, or a URL given for one (it must be
 * empty: check-reverse runs down files on it). Files without a down file are checked with the stub that
 * `strata reverse` would write, so a stub can be checked before it is written.
 */
import { join } from 'node:path'
import { anotherScratchDatabase, refuseNonEmpty, withScratch, type Scratch } from '../db/scratch.js'
import { StrataError } from '../errors.js'
import { runWhole } from '../runner/execute.js'
import { decideRunModes } from '../runner/run-mode.js'
import { readMigrations } from '../runner/files.js'
import { resolveFiles } from '../config/index.js'
import { readSetupFiles } from '../db/setup.js'
import { hasDirective, readMigrationText, type MigrationFile } from '../runner/file-format.js'
import { reverseHistory, type IrreversibleStatement } from '../reverse/index.js'
import { diffSnapshots, formatDifferences, snapshotSchema, type SchemaDifference, type Snapshot } from '../schema/index.js'
import { downFileProblem, downPathOf } from './reverse.js'

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
  | { type: 'checked'; file: CheckedFile }
  | { type: 'rebuilt'; path: string; target: string }

export type CheckStatus = 'exact' | 'wrong' | 'unfinished'

export interface CheckedFile {
  version: number
  path: string
  downPath: string
  /** The down file on disk, or the stub strata reverse would write (not on disk yet). */
  down: 'file' | 'generated'
  status: CheckStatus
  /** True when the status is exact. */
  restored: boolean
  /** What is wrong or unfinished, in a sentence. */
  message?: string
  /** For a wrong down file: how the schema differs from what it should be. */
  differences: SchemaDifference[]
  /** For an unfinished stub: the statements it cannot reverse. */
  irreversible?: IrreversibleStatement[]
}

export interface CheckFailure {
  /** setup, up, rebuild: the check stopped there; down, reapply: the first down file that is not exact. */
  stage: 'setup' | 'up' | 'down' | 'reapply' | 'rebuild'
  version?: number
  path: string
  downPath?: string
  message: string
  differences: SchemaDifference[]
}

export interface CheckReverseResult {
  /** Every down file checked restores the schema exactly. */
  ok: boolean
  scratch: string
  files: CheckedFile[]
  /** How many down files are wrong: `strata check-reverse` exits 1 when there is one. */
  wrong: number
  unfinished: number
  /** The first thing that is not right: a setup or up file that does not apply (nothing after it is checked), else the first down file that is not exact. */
  failure?: CheckFailure
}

interface Checked {
  file: MigrationFile
  downPath: string
  downText: string
  generated: boolean
  /** Why it cannot be run as it is: an unfinished stub, an empty file, a stub for another version of the up file. */
  unfinished?: { message: string; irreversible?: IrreversibleStatement[] }
  stale?: string
}

interface Source {
  path: string
  content: string
}

export async function checkReverse(options: CheckReverseOptions = {}): Promise<CheckReverseResult> {
  const cwd = options.cwd ?? process.cwd()
  const { dir, layout } = resolveFiles({ dir: options.dir, layout: options.layout, cwd })
  const files = readMigrations(dir, cwd, layout)
  await decideRunModes(files)
  const checked = await downFiles(files, options.to ?? 0, cwd)
  const setup = readSetupFiles(options.setup ?? [], cwd)
  const progress = options.onProgress ?? (() => {})
  return withScratch(
    options.url,
    async (scratch) => {
      progress({ type: 'scratch', target: scratch.shown })
      await refuseNonEmpty(scratch, 'check-reverse')
      return new RoundTrip(scratch, files, checked, setup, progress).run()
    },
    '--scratch-url',
  )
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
        {
          file: file.path,
        },
      )
    const downText = stub ? stub.text : (file.down?.content ?? readMigrationText(join(cwd, downPath), downPath))
    const entry: Checked = { file, downPath, downText, generated: !!stub }
    if (stub && !stub.complete) {
      const first = stub.irreversible[0]!
      entry.unfinished = {
        message: `the stub cannot reverse ${file.path}:${first.line} (${first.what}) by itself${stub.irreversible.length > 1 ? ` nor ${stub.irreversible.length - 1} more statement(s)` : ''}: write those reverses`,
        irreversible: stub.irreversible,
      }
    }
    // Treated as strata down treats it: an empty file is not written yet, a stub for another up file is refused.
    const problem = stub ? undefined : downFileProblem(file, downPath, downText)
    if (problem?.kind === 'blank') entry.unfinished = { message: problem.reason }
    else if (problem) entry.stale = `${problem.reason}; strata down refuses it`
    checked.set(file, entry)
  }
  return checked
}

/** An unfinished stub raises this (src/reverse/stub.ts) before it changes anything. */
const UNFINISHED_GUARD = /cannot be reversed automatically; edit this down file/

class RoundTrip {
  private readonly result: CheckReverseResult
  /** Another database, once the first one had to be given up. */
  private spare?: Scratch

  /** Where the work happens now: the scratch database, or the spare. */
  private scratch: Scratch

  constructor(
    private readonly origin: Scratch,
    private readonly files: MigrationFile[],
    private readonly checked: Map<MigrationFile, Checked>,
    private readonly setup: Source[],
    private readonly progress: (e: CheckProgress) => void,
  ) {
    this.scratch = origin
    this.result = { ok: false, scratch: origin.shown, files: [], wrong: 0, unfinished: 0 }
  }

  async run(): Promise<CheckReverseResult> {
    try {
      return await this.walk()
    } finally {
      await this.spare?.close()
    }
  }

  private async walk(): Promise<CheckReverseResult> {
    for (const s of this.setup) {
      const failed = await this.attempt(s, false)
      if (failed) return this.stop({ stage: 'setup', path: s.path, message: failed, differences: [] })
    }
    // The schema after the previous file; read only when a checked file needs it (files up to --to need none).
    let last: Snapshot | undefined
    for (const [index, file] of this.files.entries()) {
      const check = this.checked.get(file)
      const before = check ? (last ?? (await this.snap())) : undefined
      const failed = await this.attempt(file, file.noTransaction)
      if (failed)
        return this.stop({
          stage: 'up',
          version: file.version,
          path: file.path,
          message: `the up file does not apply here: ${failed}`,
          differences: [],
        })
      this.progress({ type: 'applied', path: file.path })
      last = check ? await this.snap() : undefined
      if (!check) continue
      const entry = await this.checkDown(check, before!, last!)
      this.record(entry)
      if (entry.status === 'wrong' && !(await this.restore(file, last!))) {
        const rebuilt = await this.rebuild(index)
        if (rebuilt) return this.stop(rebuilt)
      }
    }
    this.result.ok = this.result.files.every((f) => f.status === 'exact')
    return this.result
  }

  /** Run the down file on the schema right after its up file, then the up file again. */
  private async checkDown(check: Checked, before: Snapshot, after: Snapshot): Promise<CheckedFile> {
    const entry: CheckedFile = {
      version: check.file.version,
      path: check.file.path,
      downPath: check.downPath,
      down: check.generated ? 'generated' : 'file',
      status: 'exact',
      restored: false,
      differences: [],
    }
    if (check.unfinished) return { ...entry, status: 'unfinished', ...check.unfinished }
    if (check.stale) return { ...entry, status: 'wrong', message: check.stale }
    const failed = await this.attempt(
      { path: check.downPath, content: check.downText },
      !!check.file.down?.noTransaction || hasDirective(check.downText, 'no-transaction'),
    )
    if (failed && UNFINISHED_GUARD.test(failed)) return { ...entry, status: 'unfinished', message: failed }
    if (failed) return { ...entry, status: 'wrong', message: `${check.downPath} failed: ${failed}` }
    const differences = diffSnapshots(before, await this.snap())
    if (differences.length)
      return {
        ...entry,
        status: 'wrong',
        message: `${check.downPath} does not restore the schema from before ${check.file.path}`,
        differences,
      }
    const again = await this.attempt(check.file, check.file.noTransaction)
    if (again) return { ...entry, status: 'wrong', message: `after ${check.downPath}, ${check.file.path} no longer applies: ${again}` }
    const rebuiltDifferently = diffSnapshots(after, await this.snap())
    if (rebuiltDifferently.length)
      return {
        ...entry,
        status: 'wrong',
        message: `after ${check.downPath}, ${check.file.path} applies again but builds another schema (the down file left something behind)`,
        differences: rebuiltDifferently,
      }
    return { ...entry, restored: true }
  }

  private record(entry: CheckedFile): void {
    this.result.files.push(entry)
    if (entry.status === 'wrong') this.result.wrong++
    if (entry.status === 'unfinished') this.result.unfinished++
    if (entry.status !== 'exact')
      this.result.failure ??= {
        stage: entry.message?.startsWith('after ') ? 'reapply' : 'down',
        version: entry.version,
        path: entry.path,
        downPath: entry.downPath,
        message: entry.message ?? '',
        differences: entry.differences,
      }
    this.progress({ type: 'checked', file: entry })
  }

  /** After a wrong down file: is the schema the one right after the up file (applying it again where the down file ran)? */
  private async restore(file: MigrationFile, after: Snapshot): Promise<boolean> {
    const current = await this.snap()
    if (!diffSnapshots(after, current).length) return true
    if (await this.attempt(file, file.noTransaction)) return false
    return !diffSnapshots(after, await this.snap()).length
  }

  /** Start over in another database on the scratch server: the setup and the files up to `index`, applied again. */
  private async rebuild(index: number): Promise<CheckFailure | undefined> {
    const file = this.files[index]!
    let next: Scratch
    try {
      next = await anotherScratchDatabase(this.origin)
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e)
      return {
        stage: 'rebuild',
        version: file.version,
        path: file.path,
        message: `after ${this.checked.get(file)?.downPath}, the scratch database is not in a state the history builds, and another database could not be created to go on (${why}); the files after it were not checked`,
        differences: [],
      }
    }
    await this.spare?.close()
    this.spare = next
    this.scratch = next
    this.progress({ type: 'rebuilt', path: file.path, target: next.shown })
    for (const source of [...this.setup, ...this.files.slice(0, index + 1)]) {
      const failed = await this.attempt(source, 'noTransaction' in source && !!source.noTransaction)
      if (failed) return { stage: 'rebuild', path: source.path, message: `replaying the history failed: ${failed}`, differences: [] }
    }
    return undefined
  }

  private stop(failure: CheckFailure): CheckReverseResult {
    this.result.failure = failure
    this.result.ok = false
    return this.result
  }

  private snap(): Promise<Snapshot> {
    return snapshotSchema(this.scratch.sql, { grants: true, owners: true })
  }

  /** Run a file's text as strata does (one transaction, or statement by statement); the error as text, or undefined. */
  private async attempt(source: Source, noTransaction: boolean): Promise<string | undefined> {
    try {
      await runWhole(this.scratch.sql, { path: source.path, content: source.content }, { noTransaction })
      return undefined
    } catch (e) {
      return e instanceof Error ? e.message : String(e)
    }
  }
}

export { formatDifferences }
