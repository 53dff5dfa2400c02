import { lintSources } from '../../src/lint/index.js'
import type { Finding, LintConfig, SeveritySetting } from '../../src/lint/index.js'

export interface LintOptions {
  path?: string
  rules?: Record<string, SeveritySetting>
  fileExists?: LintConfig['fileExists']
}

export async function findingsFor(sql: string, options: LintOptions = {}): Promise<Finding[]> {
  const config: LintConfig = { rules: options.rules ?? {}, fileExists: options.fileExists }
  return lintSources([{ path: options.path ?? 'migrations/001_test.sql', content: sql }], config)
}

/** Where `rule` reports in `sql`, as `line:column` strings (what a user sees in the output). */
export async function hits(rule: string, sql: string, options: LintOptions = {}): Promise<string[]> {
  const findings = await findingsFor(sql, { ...options, rules: { [rule]: 'error', ...options.rules } })
  return findings.filter((finding) => finding.rule === rule).map((finding) => `${finding.line}:${finding.column}`)
}

/** Builds SQL from lines, so tests can say which line a statement is on. */
export const sql = (...lines: string[]): string => lines.join('\n')
