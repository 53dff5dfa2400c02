import { readdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { resolveFiles, type CommonOptions } from '../config/index.js'
import { StrataError } from '../errors.js'
import { readMigrationText, type MigrationFile } from '../runner/file-format.js'
import { readHistory, type History } from '../runner/files.js'
import { asAdopted, enforceFrom } from '../runner/lint-gate.js'
import type { LayoutName } from '../layouts/index.js'
import type { Source } from '../lint/engine.js'
import { columnTypesBefore } from '../lint/column-types.js'
import { lintCacheFile, lintSourcesCached } from '../lint/cache.js'
import { loadLintConfig } from '../lint/config.js'
import { lintConfigOnDisk } from '../lint/disk.js'
import type { Finding } from '../lint/index.js'
import { type LintFormat, LINT_FORMATS, formatFindings } from '../lint/format.js'
import type { FixReport, FixResult } from './lint-fix.js'

export interface LintOptions extends Omit<CommonOptions, 'dir' | 'cwd' | 'env'> {
  /** Files or directories; empty means `dir`. */
  paths: string[]
  /** The migrations directory; else STRATA_DIR, else core/migrations when it exists, else migrations. */
  dir?: string
  /** Whose folder layout it has (src/layouts/); else detected. Files of another tool's layout are linted as they run: their up and down sections apart. */
  layout?: string
  format: LintFormat
  /** `--rule <id>=off|warning|error` values. */
  rules?: string[]
  cwd?: string
  env?: NodeJS.ProcessEnv
  /** Colour in pretty output; defaults to kleur's detection (TTY, NO_COLOR). */
  color?: boolean
  /** Reuse results for unchanged files from .strata/cache/lint.json (default true). */
  cache?: boolean
  /** Rewrite the idempotency findings (never in an applied file: see lint-fix.ts); the database options say where to look. */
  fix?: boolean
  /** With fix: show the diff, write nothing. */
  dryRun?: boolean
}

export interface LintResult {
  findings: Finding[]
  output: string
  exitCode: 0 | 1
  /** With fix: what was done to each file. */
  fixes?: FixReport[]
}

/**
 * `strata lint [paths...]`: lints files without a database. Returns what to print and the exit code;
 * throws StrataError ('usage'/'config') for an unknown format, a bad rule setting, or a path that does not exist.
 */
export async function runLint(options: LintOptions): Promise<LintResult> {
  const { cwd, dir, layout } = resolveFiles(options)
  if (!LINT_FORMATS.includes(options.format)) {
    throw new StrataError('usage', `unknown format "${options.format}"; use ${LINT_FORMATS.join(', ')}`)
  }
  const config = await loadLintConfig(cwd, options.rules)
  const history = historyOf(dir, cwd, layout, !options.paths.length)
  const regular = new Set<string>()
  // Read as migrate reads them: a file migrate would refuse is refused here too, at the same place. One the
  // directory listing shows as a regular file is read at once (no open/fstat round: 1,520 files, ~40 ms).
  // Files of another tool's layout are linted as it runs them (sections apart); a Strata file is the file itself.
  // A file the history already read is not read again.
  const inHistory = history && new Map(history.files.map((f) => [resolve(cwd, f.path), f]))
  let sources =
    !options.paths.length && history && history.layout !== 'strata'
      ? history.files.flatMap((f) => asSources(f, cwd))
      : sqlFiles(options.paths.length ? options.paths : [dir], cwd, regular).flatMap((path): Source[] => {
          const file = inHistory && inHistory.get(resolve(cwd, path))
          if (file && history!.layout !== 'strata') return asSources(file, cwd)
          return [{ path, content: file ? file.content : readMigrationText(resolve(cwd, path), path, regular.has(path)) }]
        })
  const files = history?.files ?? []
  const fullConfig = lintConfigOnDisk(cwd, config.rules, sources, history?.files)
  let fixes: FixResult | undefined
  if (options.fix) {
    const { fixFiles } = await import('./lint-fix.js') // only --fix pays for it
    const versions = new Map(
      files.flatMap((f) => [f.path, f.down?.path ?? f.downPath].flatMap((p) => (p ? [[p, f.version] as const] : []))),
    )
    const sections = new Set(files.filter((f) => f.down).flatMap((f) => [f.path, f.down!.path]))
    fixes = await fixFiles(sources, fullConfig, { ...options, cwd, env: options.env, versions, sections })
    sources = fixes.sources
  }
  fullConfig.columnTypes = await columnTypesBefore(files, sources)
  const raw =
    options.cache === false
      ? await (await import('../lint/engine.js')).lintSources(sources, fullConfig)
      : await lintSourcesCached(sources, fullConfig, lintCacheFile(cwd))
  const findings = asAdopted(
    raw,
    [...files, ...files.flatMap((f) => (f.down ? [{ ...f, path: f.down.path }] : []))],
    enforceFrom(cwd, files, history?.layout),
  )
  let output = formatFindings(findings, options.format, {
    contents: new Map(sources.map((source) => [source.path, source.content])),
    fileCount: sources.length,
    color: options.color,
  })
  if (fixes)
    output =
      options.format === 'json'
        ? JSON.stringify({ fixes: fixes.files, findings: JSON.parse(output) }, null, 2) + '\n'
        : fixSummary(fixes, !!options.dryRun) + output
  return { findings, output, exitCode: findings.some((finding) => finding.severity === 'error') ? 1 : 0, fixes: fixes?.files }
}

/** What --fix did, file by file, before the findings that remain. */
function fixSummary(result: FixResult, dryRun: boolean): string {
  const lines: string[] = []
  for (const file of result.files) {
    if (file.status === 'unchanged') continue
    if (file.status === 'refused') {
      lines.push(`not fixed  ${file.path}: ${file.reason}`)
      continue
    }
    lines.push(`${dryRun ? 'would fix' : 'fixed'}  ${file.path} (${file.changes.length} change${file.changes.length === 1 ? '' : 's'})`)
    for (const change of file.changes) lines.push(`  ${change.line}:${change.column}  ${change.rule}  ${change.description}`)
    if (file.diff) lines.push(file.diff.trimEnd())
  }
  const unfixed = result.files.flatMap((file) => file.unfixed)
  if (unfixed.length)
    lines.push(`${unfixed.length} idempotency finding(s) --fix cannot rewrite remain (listed below): they need a decision, not a keyword.`)
  if (!lines.length) lines.push('Nothing for --fix to rewrite.')
  lines.push(`(applied files were told apart by ${result.checkedWith})`, '')
  return lines.join('\n') + '\n'
}

/**
 * The migrations folder as migrate reads it, to lint each file as it runs and to know which files are an
 * adopted history. A folder that cannot be read so is linted file by file (when linting it is what was asked,
 * its refusal is the answer).
 */
function historyOf(dir: string, cwd: string, layout: LayoutName | undefined, required: boolean): History | undefined {
  try {
    return readHistory(dir, cwd, layout)
  } catch (e) {
    if (required && layout && layout !== 'strata') throw e
    return undefined
  }
}

/** A file of another tool's layout: its up section, and its down section or file, each linted as what it is. */
function asSources(file: MigrationFile, cwd: string): Source[] {
  const sources: Source[] = [{ path: file.path, content: file.content, noTransaction: file.noTransaction }]
  if (file.down) sources.push({ path: file.down.path, content: file.down.content, down: true, noTransaction: file.down.noTransaction })
  else if (file.downPath)
    sources.push({ path: file.downPath, content: readMigrationText(resolve(cwd, file.downPath), file.downPath), down: true })
  return sources
}

/** The .sql files named, or found (recursively, sorted) in the directories named; paths stay as the user wrote them. */
function sqlFiles(paths: string[], cwd: string, regular: Set<string>): string[] {
  const files: string[] = []
  for (const path of paths) {
    let isDirectory: boolean
    try {
      isDirectory = statSync(resolve(cwd, path)).isDirectory()
    } catch {
      throw new StrataError('usage', `${path}: no such file or directory`)
    }
    if (isDirectory) files.push(...sqlFilesIn(path, cwd, regular))
    else files.push(path)
  }
  return files
}

/** By leading version number first (9_a.sql before 10_b.sql), then by name. */
function byName(a: string, b: string): number {
  const versionA = /^\d+/.exec(a)?.[0]
  const versionB = /^\d+/.exec(b)?.[0]
  if (versionA && versionB && versionA !== versionB) return Number(versionA) - Number(versionB)
  return a < b ? -1 : a > b ? 1 : 0
}

function sqlFilesIn(directory: string, cwd: string, regular: Set<string>): string[] {
  const entries = readdirSync(resolve(cwd, directory), { withFileTypes: true })
    .filter((entry) => !entry.name.startsWith('.') && entry.name !== 'node_modules')
    .sort((a, b) => byName(a.name, b.name))
  return entries.flatMap((entry) => {
    const path = join(directory, entry.name)
    // Anything named like a migration is read as migrate reads it: a link is followed, and a directory,
    // a dangling link or a pipe is refused, as migrate refuses it.
    if (entry.name.endsWith('.sql')) {
      if (entry.isFile()) regular.add(path)
      return [path]
    }
    return entry.isDirectory() ? sqlFilesIn(path, cwd, regular) : []
  })
}
