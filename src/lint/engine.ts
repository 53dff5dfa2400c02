import { LineIndex, loadParser } from '../sql/index.js'
import type { SqlSyntaxError, Statement } from '../sql/index.js'
import { PIECE_LIMITS, type PieceLimits, parsePieces } from '../sql/pieces.js'
import { blankCopyData } from './copy-data.js'
import { FileFacts } from './facts.js'
import { History } from './history.js'
import { RULES } from './rules/index.js'
import { Suppressions } from './suppressions.js'
import type { Finding, LintConfig, Report, Rule, Severity, SeveritySetting } from './types.js'
import type { TypeRef } from '../verify/sql-names.js'

export interface Source {
  path: string
  content: string
  /** A down file or section (an undo may destroy what its up created); else told by a `.down.sql` name. */
  down?: boolean
  /** Runs outside a transaction by its layout's own marker (goose's NO TRANSACTION, …); else by `-- strata:no-transaction`. */
  noTransaction?: boolean
}

interface ActiveRule {
  rule: Rule
  severity: Severity
}

interface ActiveRules {
  byKind: Map<string, ActiveRule[]>
  fileRules: ActiveRule[]
  severity: Map<string, Severity>
}

type Parser = Awaited<ReturnType<typeof loadParser>>

/**
 * Lints SQL sources: text in, findings out. Loads the parser only when there is something to lint.
 * A file is parsed in pieces (src/sql/pieces.ts) and each piece's syntax trees are dropped once every rule
 * has seen them, so memory follows the largest piece rather than the file or the number of files; `limits`
 * sizes the pieces (tests make them tiny).
 */
export async function lintSources(
  sources: Source[],
  config: LintConfig = { rules: {} },
  limits: PieceLimits = PIECE_LIMITS,
): Promise<Finding[]> {
  if (sources.length === 0) return []
  const parser = await loadParser()
  const active = activeRules(config.rules)
  const paths = new Set(sources.map((source) => source.path))
  const fileExists = config.fileExists ?? ((path: string) => paths.has(path))
  return sources.flatMap((source) =>
    [
      ...lintParsed(source, parser, active, limits, {
        types: config.columnTypes?.get(source.path),
        earlier: lookBack(config, source.path),
      }),
      ...lintFileRules(source, active, fileExists),
    ].sort((a, b) => a.line - b.line || a.column - b.column),
  )
}

/** The files before this one, read only if a rule asks; the asking is noted in `config.lookedBack`. */
function lookBack(config: LintConfig, path: string): (() => Source[]) | undefined {
  const earlier = config.earlier
  if (!earlier) return undefined
  return () => {
    config.lookedBack?.add(path)
    return earlier(path) ?? []
  }
}

function activeRules(settings: Record<string, SeveritySetting>): ActiveRules {
  const active: ActiveRules = { byKind: new Map(), fileRules: [], severity: new Map() }
  for (const rule of RULES.values()) {
    const setting = settings[rule.id] ?? rule.defaultSeverity
    if (setting === 'off') continue
    const entry = { rule, severity: setting }
    active.severity.set(rule.id, setting)
    if (rule.checkFile) active.fileRules.push(entry)
    for (const kind of rule.kinds ?? []) {
      const list = active.byKind.get(kind) ?? []
      list.push(entry)
      active.byKind.set(kind, list)
    }
  }
  return active
}

type Emit = (entry: ActiveRule, report: Report, statement?: Statement) => void

function collector(source: Source, lines: LineIndex, suppressions: Suppressions, findings: Finding[]): Emit {
  return ({ rule, severity }, report, statement) => {
    if (suppressions.ignoredInFile(rule.id)) return
    const start = report.offset ?? statement?.start ?? 0
    const end = Math.max(start, report.end ?? statement?.end ?? start)
    findings.push(finding(source.path, lines, rule, severity, report, start, end))
  }
}

// Undoing is what a down file is for: dropping, renaming and loosening there is the point, not a hazard.
const UNDOING: ReadonlySet<string> = new Set(['destructive', 'breaking'])

function lintParsed(
  source: Source,
  parser: Parser,
  active: ActiveRules,
  limits: PieceLimits,
  before: { types?: Map<string, TypeRef>; earlier?: () => Source[] },
  copyDataBlanked = false,
): Finding[] {
  const lines = new LineIndex(source.content)
  const facts = new FileFacts(source.path, source.content, lines, parser, source.down, source.noTransaction)
  facts.typesBefore = before.types
  if (before.earlier) facts.history = new History(before.earlier, parser)
  const suppressions = new Suppressions(source.content, lines)
  const findings: Finding[] = []
  const emit = collector(source, lines, suppressions, findings)
  let previousEnd = 0
  let parsed = true
  for (const piece of parsePieces(parser, source.content, lines, limits)) {
    if ('error' in piece) {
      // Rows after COPY ... FROM stdin (a pg_dump file): lint the file without them, and copy-from-stdin says what it is.
      const withoutRows = !copyDataBlanked && active.severity.has('copy-from-stdin') && blankCopyData(source.content, piece.error.offset)
      if (withoutRows) return lintParsed({ ...source, content: withoutRows }, parser, active, limits, before, true)
      findings.length = 0 // a file that does not parse is that one finding, as when it is parsed at once
      emitSyntaxError(piece.error, active, emit)
      parsed = false
      break
    }
    facts.enter(piece)
    for (const statement of piece.statements) {
      for (const entry of active.byKind.get(statement.kind) ?? []) {
        if (facts.isDownFile && UNDOING.has(entry.rule.category)) continue
        for (const report of entry.rule.check!(statement, facts)) {
          // A finding about a statement inside a DO block or function body may also be ignored right above that statement.
          const ignored =
            suppressions.ignoredAt(entry.rule.id, statement, previousEnd) ||
            (report.within !== undefined && suppressions.ignoredAt(entry.rule.id, report.within, statement.start))
          if (!ignored) emit(entry, report, statement)
        }
      }
      facts.record(statement)
      suppressions.attach(statement, previousEnd)
      previousEnd = statement.end
    }
  }
  reportUnknownRules(suppressions, active, emit)
  if (parsed) reportUnattached(suppressions, facts, parser, active, emit)
  return findings
}

/** File-level rules look at the file as a whole (and at other files), without its parse. */
function lintFileRules(source: Source, active: ActiveRules, fileExists: (path: string) => boolean): Finding[] {
  if (active.fileRules.length === 0) return []
  const lines = new LineIndex(source.content)
  const findings: Finding[] = []
  const emit = collector(source, lines, new Suppressions(source.content, lines), findings)
  const file = { path: source.path, text: source.content, fileExists }
  for (const entry of active.fileRules) for (const report of entry.rule.checkFile!(file)) emit(entry, report)
  return findings
}

function emitSyntaxError(error: SqlSyntaxError, active: ActiveRules, emit: Emit) {
  const severity = active.severity.get('syntax-error')
  if (!severity) return
  emit(
    { rule: RULES.get('syntax-error')!, severity },
    {
      message: `The file does not parse: ${error.message}.`,
      help: 'Fix the SQL at this position; no other rule can check this file until it parses.',
      offset: error.offset,
      end: error.offset + nearToken(error.message).length,
    },
  )
}

/** `syntax error at or near "SELEC"` -> `SELEC`, to underline the token. */
function nearToken(message: string): string {
  return /at or near "(.*)"$/.exec(message)?.[1] ?? ''
}

function reportUnknownRules(suppressions: Suppressions, active: ActiveRules, emit: Emit) {
  const severity = active.severity.get('unknown-rule')
  if (!severity) return
  const entry = { rule: RULES.get('unknown-rule')!, severity }
  for (const { directive, rules } of suppressions.mentions()) {
    if (rules.length === 0) {
      emit(entry, {
        message: 'This strata:ignore comment names no rule, so it ignores nothing.',
        help: 'Write the rule ids after it, e.g. `-- strata:ignore drop-table`.',
        offset: directive.offset,
        end: directive.offset + 'strata:ignore'.length,
      })
    }
    for (const mention of rules) {
      if (RULES.has(mention.name)) continue
      emit(entry, {
        message: `Unknown rule "${mention.name}" in a strata:ignore comment, so it ignores nothing.`,
        help: `Use one of: ${[...RULES.keys()].join(', ')}.`,
        offset: mention.offset,
        end: mention.offset + mention.name.length,
      })
    }
  }
}

function reportUnattached(suppressions: Suppressions, facts: FileFacts, parser: Parser, active: ActiveRules, emit: Emit) {
  const severity = active.severity.get('unattached-ignore')
  if (!severity) return
  const entry = { rule: RULES.get('unattached-ignore')!, severity }
  for (const misplaced of suppressions.unattached((statement) => facts.bodyStatements(statement), parser.scanSync)) {
    emit(entry, {
      message: misplaced.inComment
        ? 'This strata:ignore is not on a comment line of its own (it follows code on its line, or sits in a /* */ comment), so it ignores nothing.'
        : 'This strata:ignore is not right above a statement (a blank line or other code comes first), so it ignores nothing.',
      help: 'Write `-- strata:ignore <rule>` on its own line directly above the statement, with no blank line between; `-- strata:ignore-file <rule>` applies to the whole file.',
      offset: misplaced.offset,
      end: misplaced.offset + 'strata:ignore'.length,
    })
  }
}

function finding(path: string, lines: LineIndex, rule: Rule, severity: Severity, report: Report, start: number, end: number): Finding {
  const from = lines.position(start)
  const to = lines.position(end)
  return {
    file: path,
    line: from.line,
    column: from.column,
    endLine: to.line,
    endColumn: to.column,
    severity,
    rule: rule.id,
    category: rule.category,
    message: report.message,
    help: report.help,
  }
}
