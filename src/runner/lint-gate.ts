/**
 * The lint step of `migrate`: every pending file is parsed and linted before anything touches the database.
 * Errors stop the run; destructive findings pass only with --allow-destructive, and are then `accepted`.
 */
import { StrataError } from '../errors.js'
import type { MigrationFile } from './file-format.js'
import type { Finding } from '../lint/index.js'

export interface LintSummary {
  /** Every finding, in file order; accepted destructive ones have `accepted` set. */
  findings: Finding[]
  errors: number
  warnings: number
  /** Errors that stop a real run (what `--dry-run` reports with exit 1). */
  blocking: Finding[]
}

export async function lintPending(
  files: MigrationFile[],
  opts: { cwd: string; rules?: string[]; allowDestructive?: boolean; gate: boolean },
): Promise<LintSummary> {
  if (!files.length) return { findings: [], errors: 0, warnings: 0, blocking: [] } // nothing pending: never load the parser
  const { lintConfigOnDisk, lintSourcesCached, lintCacheFile, loadLintConfig } = await import('../lint/index.js')
  const sources = files.map((f) => ({ path: f.path, content: f.content }))
  // The files before a pending one are read (from disk) only if a rule asks.
  const config = lintConfigOnDisk(opts.cwd, loadLintConfig(opts.cwd, opts.rules).rules)
  const findings = (await lintSourcesCached(sources, config, lintCacheFile(opts.cwd))).map((f) =>
    f.severity === 'error' && f.category === 'destructive' && opts.allowDestructive ? { ...f, accepted: '--allow-destructive' } : f,
  )
  const errors = findings.filter((f) => f.severity === 'error')
  const blocking = errors.filter((f) => !f.accepted)
  const summary = { findings, errors: errors.length, warnings: findings.length - errors.length, blocking }
  if (opts.gate && blocking.length) throw lintRefusal(blocking)
  return summary
}

/** The error that stops a run: it carries every blocking finding, for the CLI to print as `strata lint` does. */
export function lintRefusal(blocking: Finding[]): StrataError {
  const first = blocking[0]
  const destructiveOnly = blocking.every((f) => f.category === 'destructive')
  const files = new Set(blocking.map((f) => f.file)).size
  return new StrataError('lint', `lint found ${blocking.length} error(s) in ${files} pending file(s); nothing was applied`, {
    file: first.file,
    line: first.line,
    column: first.column,
    findings: blocking,
    hint: destructiveOnly
      ? 'these statements destroy data: review them, then pass --allow-destructive (and --backup to copy the data at risk first)'
      : 'fix the files, or suppress a finding you accept with -- strata:ignore <rule> above the statement',
  })
}
