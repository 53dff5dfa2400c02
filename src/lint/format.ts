import * as colors from 'kleur/colors'
import { LineIndex } from '../sql/index.js'
import type { Finding } from './types.js'
import { annotation } from '../github.js'

export type LintFormat = 'pretty' | 'json' | 'github'
export const LINT_FORMATS: readonly LintFormat[] = ['pretty', 'json', 'github']

export interface FormatOptions {
  /** File contents by path, to show the offending line in pretty output. */
  contents?: ReadonlyMap<string, string>
  /** How many files were linted, for the pretty summary. */
  fileCount?: number
  /** Defaults to kleur's detection (a TTY, and neither NO_COLOR nor NODE_DISABLE_COLORS set). */
  color?: boolean
}

export function formatFindings(findings: Finding[], format: LintFormat, options: FormatOptions = {}): string {
  if (format === 'json') return formatJson(findings)
  if (format === 'github') return formatGithub(findings)
  return formatPretty(findings, options)
}

/** One array of plain objects with exactly the documented fields. */
export function formatJson(findings: Finding[]): string {
  const rows = findings.map(({ file, line, column, endLine, endColumn, severity, rule, message, help }) => ({
    file,
    line,
    column,
    endLine,
    endColumn,
    severity,
    rule,
    message,
    help,
  }))
  return JSON.stringify(rows, null, 2) + '\n'
}

/** GitHub Actions workflow commands, which become annotations on the pull request. */
export function formatGithub(findings: Finding[]): string {
  return findings
    .map((f) =>
      annotation(
        f.severity,
        { file: f.file, line: f.line, col: f.column, endLine: f.endLine, endColumn: f.endColumn, title: f.rule },
        `${f.message}\n${f.help}`,
      ),
    )
    .join('')
}

export function formatPretty(findings: Finding[], options: FormatOptions = {}): string {
  // kleur decides from the environment; an explicit option wins, for this call only.
  const detected = colors.$.enabled
  colors.$.enabled = options.color ?? detected
  try {
    return prettyText(findings, options)
  } finally {
    colors.$.enabled = detected
  }
}

function prettyText(findings: Finding[], options: FormatOptions): string {
  const blocks: string[] = []
  for (const [file, group] of groupByFile(findings)) {
    const content = options.contents?.get(file)
    const lines = content === undefined ? undefined : new LineIndex(content)
    blocks.push(group.map((finding) => prettyFinding(finding, lines)).join('\n'))
  }
  return blocks.map((block) => block + '\n').join('\n') + (blocks.length ? '\n' : '') + summary(findings, options.fileCount) + '\n'
}

function prettyFinding(finding: Finding, lines: LineIndex | undefined): string {
  const severity = finding.accepted
    ? colors.cyan('accepted')
    : finding.severity === 'error'
      ? colors.red('error')
      : colors.yellow('warning')
  const head = `${colors.bold(`${finding.file}:${finding.line}:${finding.column}`)}  ${severity}  ${colors.dim(finding.rule)}  ${finding.message}`
  const out = [head, `  ${colors.cyan('help:')} ${finding.help}`]
  if (finding.accepted) out.push(`  ${colors.cyan('accepted:')} by ${finding.accepted}`)
  const source = lines?.lineText(finding.line)
  if (source !== undefined) {
    const gutter = String(finding.line)
    const pad = ' '.repeat(gutter.length)
    // Keep tabs so the caret lines up under the same column as in the editor.
    const indent = source.slice(0, finding.column - 1).replace(/[^\t]/g, ' ')
    const end = finding.endLine === finding.line ? finding.endColumn : source.length + 1
    const width = Math.max(1, Math.min(end, source.length + 1) - finding.column)
    const marker = (finding.accepted ? colors.cyan : finding.severity === 'error' ? colors.red : colors.yellow)('^'.repeat(width))
    out.push(`  ${colors.dim(`${gutter} |`)} ${source}`, `  ${colors.dim(`${pad} |`)} ${indent}${marker}`)
  }
  return out.join('\n')
}

function groupByFile(findings: Finding[]): Map<string, Finding[]> {
  const groups = new Map<string, Finding[]>()
  for (const finding of findings) {
    const group = groups.get(finding.file) ?? []
    group.push(finding)
    groups.set(finding.file, group)
  }
  return groups
}

function summary(findings: Finding[], fileCount: number | undefined): string {
  const files = fileCount === undefined ? '' : ` in ${plural(fileCount, 'file')}`
  if (findings.length === 0) return colors.green(`No problems found${files}.`)
  const accepted = findings.filter((finding) => finding.accepted).length
  const errors = findings.filter((finding) => finding.severity === 'error').length - accepted
  const warnings = findings.length - errors - accepted
  const counts = `${plural(errors, 'error')}, ${plural(warnings, 'warning')}${accepted ? `, ${accepted} accepted` : ''}`
  return `${(errors ? colors.red : colors.yellow)(counts)}${files}.`
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}
