/**
 * The lint step of `migrate`: every pending file is parsed and linted before anything touches the database.
 * Errors stop the run; destructive findings pass only with --allow-destructive.
 */
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { StrataError } from '../errors.js'
import type { MigrationFile } from './file-format.js'
import type { Finding } from '../lint/index.js'

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
  const { lintSourcesCached, lintCacheFile, loadLintConfig } = await import('../lint/index.js')
  const config = { ...loadLintConfig(opts.cwd, opts.rules), fileExists: (path: string) => existsSync(resolve(opts.cwd, path)) }
  const sources = files.map((f) => ({ path: f.path, content: f.content }))
  const findings = await lintSourcesCached(sources, config, lintCacheFile(opts.cwd))
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
