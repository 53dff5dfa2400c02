/**
 * `strata lint --fix`: rewrite the idempotency findings (src/lint/fix.ts), but never in a file that is applied
 * somewhere: its checksum would change, and migrate refuses edited history. Lint needs no database, so which
 * files are applied is decided so:
 *   - with a database (--url, DATABASE_URL, --embedded): its ledger. A version it has, in any state, is left alone.
 *   - without one, in a git checkout: a file committed at HEAD may have been deployed from there, and is left
 *     alone; new and uncommitted files are fixed.
 *   - neither: nothing is written (--dry-run still shows the diff); point it at the database you deploy to.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { basename, dirname, resolve } from 'node:path'
import { resolveOptions, type CommonOptions } from '../config/index.js'
import { StrataError } from '../errors.js'
import { fixSources, unifiedDiff, type FixChange, type FixedFile } from '../lint/fix.js'
import type { Finding, LintConfig, Source } from '../lint/index.js'

export interface FixOptions extends CommonOptions {
  /** Show the diff; write nothing. */
  dryRun?: boolean
  /** The version of each file of the history, by path, as the runner reads it (any layout); else from the file name. */
  versions?: ReadonlyMap<string, number>
  /** Sources that are an up or down section of another tool's file (goose, dbmate...): never rewritten. */
  sections?: ReadonlySet<string>
}

export interface FixReport {
  path: string
  /** fixed: rewritten (written, unless dry-run); unchanged: nothing mechanical to do; refused: applied somewhere. */
  status: 'fixed' | 'unchanged' | 'refused'
  changes: FixChange[]
  /** Why a file was left alone. */
  reason?: string
  /** The unified diff (dry-run). */
  diff?: string
  /** Idempotency findings --fix could not rewrite. */
  unfixed: Finding[]
}

export interface FixResult {
  files: FixReport[]
  /** How applied files were told apart: the ledger of a database, git, or not at all (dry-run only). */
  checkedWith: string
  /** The sources as they are now (written fixes included), to lint and print. */
  sources: Source[]
}

export async function fixFiles(sources: Source[], config: LintConfig, options: FixOptions): Promise<FixResult> {
  const cwd = options.cwd ?? process.cwd()
  const fixed = await fixSources(sources, config)
  const changed = fixed.filter((file) => file.fixed !== file.original)
  const applied = changed.length
    ? await appliedFiles(changed, options, cwd)
    : { refused: new Map<string, string>(), checkedWith: 'nothing to fix' }
  if (!applied.refused && !options.dryRun) {
    throw new StrataError('usage', `lint --fix will not rewrite files without knowing which are applied: ${applied.checkedWith}`, {
      hint: 'pass --url (or set DATABASE_URL) of the database you deploy to, which is only read, or run it in a git checkout (files committed at HEAD are then left alone); --dry-run shows the changes',
    })
  }
  const files = fixed.map((file): FixReport =>
    report(file, applied.refused?.get(file.path) ?? partOfFile(file, cwd, options.sections), !!options.dryRun),
  )
  if (!options.dryRun)
    for (const file of fixed)
      if (files.find((f) => f.path === file.path)!.status === 'fixed') writeFileSync(resolve(cwd, file.path), file.fixed)
  const written = new Set(files.filter((f) => f.status === 'fixed' && !options.dryRun).map((f) => f.path))
  return {
    files,
    checkedWith: applied.checkedWith,
    sources: fixed.map((file) => ({ ...file.source, content: written.has(file.path) ? file.fixed : file.original })),
  }
}

function report(file: FixedFile, refusal: string | undefined, dryRun: boolean): FixReport {
  if (file.fixed === file.original) return { path: file.path, status: 'unchanged', changes: [], unfixed: file.unfixed }
  if (refusal) return { path: file.path, status: 'refused', changes: file.changes, reason: refusal, unfixed: [] }
  return {
    path: file.path,
    status: 'fixed',
    changes: file.changes,
    unfixed: file.unfixed,
    ...(dryRun && { diff: unifiedDiff(file.path, file.original, file.fixed) }),
  }
}

/**
 * Why a file is not rewritten although it is not applied: what was linted is only a section of it (the up or down
 * part of another tool's format), or it changed on disk since it was read. --fix rewrites whole files only.
 */
function partOfFile(file: FixedFile, cwd: string, sections: ReadonlySet<string> | undefined): string | undefined {
  if (file.fixed === file.original) return undefined
  if (sections?.has(file.path)) return SECTION
  let text: string | undefined
  try {
    text = readFileSync(resolve(cwd, file.path), 'utf8')
  } catch {
    text = undefined
  }
  if (text === file.original) return undefined
  return text?.includes(file.original) ? SECTION : 'it changed on disk while lint was reading it; run lint --fix again'
}

const SECTION = "only a section of it is SQL Strata runs (an up or down part of another tool's format); add the guards by hand"

/** Which of the files are applied (path -> why it is left alone); `refused` undefined when that cannot be known. */
async function appliedFiles(
  files: FixedFile[],
  options: FixOptions,
  cwd: string,
): Promise<{ refused?: Map<string, string>; checkedWith: string }> {
  const env = options.env ?? process.env
  if (options.url || options.embedded || env.DATABASE_URL) return appliedInLedger(files, options)
  const committed = committedAtHead(
    files.map((f) => f.path),
    cwd,
  )
  if (committed) {
    const refused = new Map<string, string>()
    for (const file of files) {
      if (committed.has(resolve(cwd, file.path)))
        refused.set(
          file.path,
          'it is committed at HEAD, so it may be applied already (pass --url of the database you deploy to, to fix a file that is not)',
        )
    }
    return { refused, checkedWith: 'git (files committed at HEAD are left alone)' }
  }
  return { checkedWith: 'no database URL (--url, DATABASE_URL or --embedded), and not a git checkout' }
}

async function appliedInLedger(files: FixedFile[], options: FixOptions): Promise<{ refused: Map<string, string>; checkedWith: string }> {
  const { openTarget } = await import('../db/target.js')
  const { readLedger } = await import('../runner/ledger.js')
  const cfg = resolveOptions(options)
  const target = await openTarget(cfg, { arrays: false })
  try {
    const rows = await readLedger(target.sql, cfg.schema)
    const versions = new Map(rows.map((row) => [Number(row.version), row.status]))
    const refused = new Map<string, string>()
    for (const file of files) {
      const version = options.versions?.get(file.path) ?? versionOf(file.path)
      const status = version === undefined ? undefined : versions.get(version)
      if (status) refused.set(file.path, `version ${version} is ${status} in the ledger of ${target.shown}: its checksum would change`)
    }
    return { refused, checkedWith: `the ledger of ${target.shown}` }
  } finally {
    await target.close()
  }
}

/** The version a migration file's name gives (`012_x.sql`, `012_x.down.sql`, or a Prisma `012_x/migration.sql`). */
function versionOf(path: string): number | undefined {
  const name = basename(path) === 'migration.sql' ? basename(dirname(path)) : basename(path)
  const digits = /^(\d+)_/.exec(name)?.[1]
  return digits === undefined ? undefined : Number(digits)
}

/** The absolute paths of those committed at HEAD; undefined when git cannot say (not a checkout, no git, a path outside it). */
function committedAtHead(paths: string[], cwd: string): Set<string> | undefined {
  const git = (args: string[]) => execFileSync('git', ['-C', cwd, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
  try {
    if (git(['rev-parse', '--is-inside-work-tree']).trim() !== 'true') return undefined
  } catch {
    return undefined
  }
  try {
    git(['rev-parse', '--verify', '--quiet', 'HEAD'])
  } catch {
    return new Set() // a repository without a commit yet: nothing is committed
  }
  try {
    // Paths come back relative to cwd, as given.
    return new Set(
      git(['ls-tree', '-r', '--name-only', 'HEAD', '--', ...paths])
        .split('\n')
        .filter(Boolean)
        .map((path) => resolve(cwd, path)),
    )
  } catch {
    return undefined
  }
}
