import type { LineIndex, Statement } from '../sql/index.js'
import { byteOffsetConverter } from '../sql/position.js'

type Scan = (text: string) => { tokens: { start: number; end: number; tokenName: string }[] }

/** A `strata:ignore` that no statement picks up: where it is, and whether it sits in a comment after code or in a block comment. */
export interface Unattached {
  offset: number
  inComment: boolean
}

export interface RuleMention {
  name: string
  /** Character offset of the name in the file. */
  offset: number
}

interface Directive {
  scope: 'statement' | 'file'
  line: number
  offset: number
  rules: RuleMention[]
}

const DIRECTIVE = /^[ \t]*--[ \t]*strata:(ignore-file|ignore)(?![\w-])(.*)$/gm
const COMMENT_LINE = /^[ \t]*--/

/**
 * `-- strata:ignore <rule>[, <rule>]` on the comment lines right above a statement, and
 * `-- strata:ignore-file <rule>[, ...]` anywhere in the file.
 */
export class Suppressions {
  private readonly directives: Directive[] = []
  private readonly fileRules = new Set<string>()
  private readonly statementRules = new Map<number, string[]>()
  /** Directive lines that a statement below them picks up. */
  private readonly attached = new Set<number>()
  /** DO blocks and functions that hold a directive no top-level statement picked up: it may be above a statement in their body. */
  private readonly bodies: Statement[] = []

  constructor(
    private readonly text: string,
    private readonly lines: LineIndex,
  ) {
    if (!text.includes('strata:ignore')) return
    for (const match of text.matchAll(DIRECTIVE)) {
      const offset = match.index!
      const rest = match[2]!
      const restOffset = offset + match[0].length - rest.length
      const directive: Directive = {
        scope: match[1] === 'ignore-file' ? 'file' : 'statement',
        line: lines.position(offset).line,
        offset: offset + match[0].indexOf('strata:'),
        rules: ruleNames(rest, restOffset),
      }
      this.directives.push(directive)
      if (directive.scope === 'file') for (const rule of directive.rules) this.fileRules.add(rule.name)
      else
        this.statementRules.set(
          directive.line,
          directive.rules.map((rule) => rule.name),
        )
    }
  }

  ignoredInFile(rule: string): boolean {
    return this.fileRules.has(rule)
  }

  /** Whether the comment lines right above the statement (no blank line between, after the previous statement's end) name the rule. */
  ignoredAt(rule: string, statement: Pick<Statement, 'line'>, previousEnd: number): boolean {
    if (this.statementRules.size === 0) return false
    const lines = this.lines
    for (let line = statement.line - 1; line >= 1 && lines.lineStart(line) >= previousEnd; line--) {
      if (!COMMENT_LINE.test(lines.lineText(line))) break
      if (this.statementRules.get(line)?.includes(rule)) return true
    }
    return false
  }

  /** Marks the directive lines right above this statement (those `ignoredAt` reads) as picked up. */
  attach(statement: Statement, previousEnd: number): void {
    if (this.statementRules.size === 0) return
    for (let line = statement.line - 1; line >= 1 && this.lines.lineStart(line) >= previousEnd; line--) {
      if (!COMMENT_LINE.test(this.lines.lineText(line))) break
      if (this.statementRules.has(line)) this.attached.add(line)
    }
    if (statement.kind !== 'DoStmt' && statement.kind !== 'CreateFunctionStmt') return
    const from = this.lines.position(statement.start).line
    const to = this.lines.position(statement.end).line
    for (const line of this.statementRules.keys()) if (line > from && line <= to) return void this.bodies.push(statement)
  }

  /**
   * Directives that ignore nothing: a `-- strata:ignore` line that is not right above a statement (nor above one
   * inside a DO block or function body, found with `bodyStatements`), and `strata:ignore` written after code on
   * its line or in a block comment, which is not a directive at all.
   */
  unattached(bodyStatements: (statement: Statement) => Pick<Statement, 'line'>[], scan: Scan): Unattached[] {
    const found: Unattached[] = []
    if (!this.text.includes('strata:ignore')) return found
    for (const body of this.bodies) {
      for (const inner of bodyStatements(body)) this.attach({ ...body, line: inner.line, kind: 'inner' }, body.start)
    }
    for (const directive of this.directives) {
      if (directive.scope === 'statement' && !this.attached.has(directive.line)) found.push({ offset: directive.offset, inComment: false })
    }
    const directiveAt = new Set(this.directives.map((directive) => directive.offset))
    const others = [...this.text.matchAll(/strata:ignore/g)].map((match) => match.index!).filter((at) => !directiveAt.has(at))
    if (others.length) found.push(...others.filter((at) => inComment(this.text, at, scan)).map((offset) => ({ offset, inComment: true })))
    return found.sort((a, b) => a.offset - b.offset)
  }

  /** Every rule name written in a directive, and directives that name none, for checking against the registry. */
  mentions(): { directive: { offset: number }; rules: RuleMention[] }[] {
    return this.directives.map((directive) => ({ directive, rules: directive.rules }))
  }
}

// Names are separated by commas or spaces; `--` after them starts a free-text reason.
function ruleNames(rest: string, restOffset: number): RuleMention[] {
  const reasonAt = rest.indexOf('--')
  const list = reasonAt === -1 ? rest : rest.slice(0, reasonAt)
  return [...list.matchAll(/[^\s,]+/g)].map((match) => ({ name: match[0], offset: restOffset + match.index! }))
}

/**
 * Whether the text at `at` is in a comment (or in a comment of a dollar-quoted body), not in a string literal:
 * only there could someone have meant it as a directive. Uses the SQL scanner; rare enough to cost nothing.
 */
function inComment(text: string, at: number, scan: Scan): boolean {
  const toChar = byteOffsetConverter(text)
  const token = scan(text).tokens.find((t) => toChar(t.start) <= at && at < toChar(t.end))
  if (!token) return false
  if (token.tokenName === 'SQL_COMMENT' || token.tokenName === 'C_COMMENT') return true
  const start = toChar(token.start)
  if (token.tokenName !== 'SCONST' || text[start] !== '$') return false
  // Code in a DO block or function body: a comment there starts with -- on its line, or is inside /* */.
  const lineStart = Math.max(start, text.lastIndexOf('\n', at) + 1)
  return text.slice(lineStart, at).includes('--') || text.lastIndexOf('/*', at) > Math.max(start, text.lastIndexOf('*/', at))
}
