/**
 * The lint step of `migrate`: every pending file is parsed and linted before anything touches the database.
 * Errors stop the run; destructive findings pass only with --allow-destructive.
 */
import { StrataError } from './errors.js'
import type { MigrationFile } from './files.js'
import type { Finding } from './lint/index.js'

export interface LintSummary {
  findings: Finding[]
  errors: number
  warnings: number
}

export async function lintPending(
  files: MigrationFile[],
  opts: { cwd: string; rules?: string[]; allowDestructive?: boolean; gate: boolean },
): Promise<LintSummary> {
  if (!files.length) return { findings: [], errors: 0, warnings: 0 } // nothing pending: never load the parser
  const { lintSources, loadLintConfig } = await import('./lint/index.js')
  const findings = await lintSources(
    files.map((f) => ({ path: f.path, content: f.content })),
    loadLintConfig(opts.cwd, opts.rules),
  )
  const errors = findings.filter((f) => f.severity === 'error')
  const summary = { findings, errors: errors.length, warnings: findings.length - errors.length }
  const blocking = errors.filter((f) => !(opts.allowDestructive && f.category === 'destructive'))
  if (opts.gate && blocking.length) {
    const first = blocking[0]
    const destructiveOnly = blocking.every((f) => f.category === 'destructive')
    throw new StrataError('lint', `lint found ${blocking.length} error(s) in pending files; nothing was applied`, {
      file: first.file,
      line: first.line,
      column: first.column,
      findings: blocking,
      hint: destructiveOnly
        ? 'these statements destroy data: review them, then pass --allow-destructive (and take a backup)'
        : 'fix the files, or suppress a finding you accept with -- strata:ignore <rule> above the statement',
    })
  }
  return summary
}
