import * as colors from 'kleur/colors';
import { LineIndex } from '../sql/index.js';
import type { Finding } from './types.js';

export type LintFormat = 'pretty' | 'json' | 'github';
export const LINT_FORMATS: readonly LintFormat[] = ['pretty', 'json', 'github'];

export interface FormatOptions {
  /** File contents by path, to show the offending line in pretty output. */
  contents?: ReadonlyMap<string, string>;
  /** How many files were linted, for the pretty summary. */
  fileCount?: number;
  /** Defaults to kleur's detection (a TTY, and neither NO_COLOR nor NODE_DISABLE_COLORS set). */
  color?: boolean;
}

export function formatFindings(findings: Finding[], format: LintFormat, options: FormatOptions = {}): string {
  if (format === 'json') return formatJson(findings);
  if (format === 'github') return formatGithub(findings);
  return formatPretty(findings, options);
}

/** One array of plain objects with exactly the documented fields. */
export function formatJson(findings: Finding[]): string {
  const rows = findings.map(({ file, line, column, endLine, endColumn, severity, rule, message, help }) => ({
    file, line, column, endLine, endColumn, severity, rule, message, help,
  }));
  return JSON.stringify(rows, null, 2) + '\n';
}

/** GitHub Actions workflow commands, which become annotations on the pull request. */
export function formatGithub(findings: Finding[]): string {
  return findings
    .map((finding) => {
      const properties = [
        `file=${escapeProperty(finding.file)}`,
        `line=${finding.line}`,
        `col=${finding.column}`,
        `endLine=${finding.endLine}`,
        `endColumn=${finding.endColumn}`,
        `title=${escapeProperty(finding.rule)}`,
      ].join(',');
      return `::${finding.severity} ${properties}::${escapeData(`${finding.message}\n${finding.help}`)}\n`;
    })
    .join('');
}

function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export function formatPretty(findings: Finding[], options: FormatOptions = {}): string {
  const paint = options.color ?? colors.$.enabled;
  const style = (color: (text: string) => string, text: string) => (paint ? color(text) : text);
  const blocks: string[] = [];
  for (const [file, group] of groupByFile(findings)) {
    const content = options.contents?.get(file);
    const lines = content === undefined ? undefined : new LineIndex(content);
    blocks.push(group.map((finding) => prettyFinding(finding, lines, style)).join('\n'));
  }
  return blocks.map((block) => block + '\n').join('\n') + (blocks.length ? '\n' : '') + summary(findings, options.fileCount, style) + '\n';
}

type Style = (color: (text: string) => string, text: string) => string;

function prettyFinding(finding: Finding, lines: LineIndex | undefined, style: Style): string {
  const severity = finding.severity === 'error' ? style(colors.red, 'error') : style(colors.yellow, 'warning');
  const head = `${style(colors.bold, `${finding.file}:${finding.line}:${finding.column}`)}  ${severity}  ${style(colors.dim, finding.rule)}  ${finding.message}`;
  const out = [head, `  ${style(colors.cyan, 'help:')} ${finding.help}`];
  const source = lines?.lineText(finding.line);
  if (source !== undefined) {
    const gutter = String(finding.line);
    const pad = ' '.repeat(gutter.length);
    // Keep tabs so the caret lines up under the same column as in the editor.
    const indent = source.slice(0, finding.column - 1).replace(/[^\t]/g, ' ');
    const width = finding.endLine === finding.line ? Math.max(1, finding.endColumn - finding.column) : 1;
    const marker = style(finding.severity === 'error' ? colors.red : colors.yellow, '^'.repeat(Math.min(width, Math.max(1, source.length - indent.length))));
    out.push(`  ${style(colors.dim, `${gutter} |`)} ${source}`, `  ${style(colors.dim, `${pad} |`)} ${indent}${marker}`);
  }
  return out.join('\n');
}

function groupByFile(findings: Finding[]): Map<string, Finding[]> {
  const groups = new Map<string, Finding[]>();
  for (const finding of findings) {
    const group = groups.get(finding.file) ?? [];
    group.push(finding);
    groups.set(finding.file, group);
  }
  return groups;
}

function summary(findings: Finding[], fileCount: number | undefined, style: Style): string {
  const files = fileCount === undefined ? '' : ` in ${plural(fileCount, 'file')}`;
  if (findings.length === 0) return style(colors.green, `No problems found${files}.`);
  const errors = findings.filter((finding) => finding.severity === 'error').length;
  const warnings = findings.length - errors;
  const counts = `${plural(errors, 'error')}, ${plural(warnings, 'warning')}`;
  return `${style(errors ? colors.red : colors.yellow, counts)}${files}.`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
