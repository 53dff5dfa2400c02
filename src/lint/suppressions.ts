import type { LineIndex, Statement } from '../sql/index.js'

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

  constructor(
    text: string,
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
