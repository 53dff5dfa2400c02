/**
 * Writing SQL back out of parse trees and source text: identifiers quoted exactly as Postgres needs,
 * qualified names, type names for function signatures, and token-level slices of the source for the
 * parts (default expressions, VALUES items, privilege lists) that are safest copied verbatim.
 */
import type { ScanToken } from 'libpg-query'
import { byteOffsetConverter } from '../sql/position.js'
import { BUILTIN_TYPE_NAMES } from '../sql/type-names.js'

// Parse trees arrive as plain JSON; the reverse rules read a handful of fields from many node types.
export type Ast = Record<string, any>

export interface Scanner {
  scanSync(text: string): { tokens: ScanToken[] }
}

/** A token with character (not byte) offsets into the file text. */
export interface Token {
  start: number
  end: number
  text: string
  /** Upper-cased keyword or symbol, for comparisons. */
  word: string
  keyword: boolean
}

const quotedCache = new Map<string, string>()

/**
 * Postgres's own rule (quote_identifier): no quotes for a lower-case name made of [a-z0-9_] that is not a
 * keyword, or is an unreserved one; quotes, with inner quotes doubled, for everything else.
 */
export function quoteIdentifier(scanner: Scanner, name: string): string {
  const cached = quotedCache.get(name)
  if (cached !== undefined) return cached
  let quoted = `"${name.replace(/"/g, '""')}"`
  if (/^[a-z_][a-z0-9_]*$/.test(name)) {
    const [token] = scanner.scanSync(name).tokens
    const keywordKind = token?.keywordKind ?? 0
    if (keywordKind <= 1) quoted = name
  }
  quotedCache.set(name, quoted)
  return quoted
}

export function qualified(scanner: Scanner, parts: (string | undefined)[]): string {
  return parts
    .filter((p): p is string => !!p)
    .map((p) => quoteIdentifier(scanner, p))
    .join('.')
}

/** `[String 'app', String 'users']`, the parser's dotted names, as plain strings. */
export function nameList(nodes: Ast[] | undefined): string[] {
  return (nodes ?? []).map((n) => n.String?.sval ?? '').filter((s) => s !== '')
}

export function rangeVarText(scanner: Scanner, rel: Ast | undefined): string {
  return qualified(scanner, [rel?.catalogname, rel?.schemaname, rel?.relname])
}

/**
 * A type as a function signature needs it (DROP FUNCTION f(<types>)): no typmods, since signatures
 * ignore them, array brackets kept, %TYPE references kept.
 */
export function signatureType(scanner: Scanner, typeName: Ast | undefined): string {
  if (!typeName) return ''
  const names = nameList(typeName.names)
  let text: string
  if (names.length === 2 && names[0] === 'pg_catalog' && BUILTIN_TYPE_NAMES[names[1]!]) text = BUILTIN_TYPE_NAMES[names[1]!]!
  else text = qualified(scanner, names)
  if (typeName.pct_type) text += '%TYPE'
  for (const _ of typeName.arrayBounds ?? []) text += '[]'
  return text
}

/** The argument types that identify a routine: IN, INOUT and VARIADIC parameters; OUT and TABLE columns do not count. */
export function signatureArgs(scanner: Scanner, parameters: Ast[] | undefined): string {
  return (parameters ?? [])
    .map((p) => p.FunctionParameter)
    .filter((p) => p && p.mode !== 'FUNC_PARAM_OUT' && p.mode !== 'FUNC_PARAM_TABLE')
    .map((p) => (p.mode === 'FUNC_PARAM_VARIADIC' ? 'VARIADIC ' : '') + signatureType(scanner, p.argType))
    .join(', ')
}

/** The tokens of one file, scanned once, with character offsets. */
export class FileTokens {
  private tokens?: Token[]
  /** Parse-tree locations count bytes of UTF-8; this turns them into string offsets. */
  readonly toChar: (byteOffset: number) => number

  constructor(
    private readonly scanner: Scanner,
    readonly text: string,
  ) {
    this.toChar = byteOffsetConverter(text)
  }

  all(): Token[] {
    if (this.tokens) return this.tokens
    const toChar = this.toChar
    this.tokens = this.scanner
      .scanSync(this.text)
      .tokens.filter((t) => t.tokenName !== 'SQL_COMMENT' && t.tokenName !== 'C_COMMENT')
      .map((t) => {
        const start = toChar(t.start)
        const end = toChar(t.end)
        return {
          start,
          end,
          text: this.text.slice(start, end),
          word: this.text.slice(start, end).toUpperCase(),
          keyword: t.keywordKind > 0,
        }
      })
    return this.tokens
  }

  /** Tokens whose start lies in [start, end). */
  between(start: number, end: number): Token[] {
    return this.all().filter((t) => t.start >= start && t.start < end)
  }
}

/** Splits tokens at depth-0 commas; parentheses and brackets nest. */
export function splitTopLevel(tokens: Token[], separator = ','): Token[][] {
  const parts: Token[][] = [[]]
  let depth = 0
  for (const t of tokens) {
    if (t.word === '(' || t.word === '[') depth++
    else if (t.word === ')' || t.word === ']') depth--
    if (depth === 0 && t.word === separator) parts.push([])
    else parts[parts.length - 1]!.push(t)
  }
  return parts
}

/** Index of the first depth-0 token with this keyword, or -1. */
export function topLevelIndex(tokens: Token[], word: string, from = 0): number {
  let depth = 0
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!
    if (t.word === '(' || t.word === '[') depth++
    else if (t.word === ')' || t.word === ']') depth--
    else if (depth === 0 && i >= from && t.word === word && t.keyword) return i
  }
  return -1
}

export function sliceText(text: string, tokens: Token[]): string {
  if (!tokens.length) return ''
  return text.slice(tokens[0]!.start, tokens[tokens.length - 1]!.end)
}

/** Words that start the next column constraint (`email text NOT NULL UNIQUE`). */
export const COLUMN_CONSTRAINT_WORDS: ReadonlySet<string> = new Set([
  'CONSTRAINT',
  'NOT',
  'NULL',
  'PRIMARY',
  'UNIQUE',
  'REFERENCES',
  'CHECK',
  'COLLATE',
  'GENERATED',
  'DEFAULT',
])

/** So a DEFAULT expression ends before the next constraint, or a constraint's DEFERRABLE / INITIALLY. */
const AFTER_DEFAULT = new Set([...COLUMN_CONSTRAINT_WORDS, 'DEFERRABLE', 'INITIALLY'])

/**
 * The source text of an expression that follows a keyword (DEFAULT ...), up to the next depth-0 comma,
 * closing parenthesis, semicolon or constraint keyword. Used to restore defaults exactly as written.
 */
export function expressionAfter(tokens: FileTokens, keywordOffset: number): string | undefined {
  const all = tokens.all()
  let i = all.findIndex((t) => t.start >= keywordOffset)
  if (i < 0) return undefined
  i++ // past the keyword itself
  const taken: Token[] = []
  let depth = 0
  for (; i < all.length; i++) {
    const t = all[i]!
    if (depth === 0 && (t.word === ',' || t.word === ')' || t.word === ';')) break
    if (depth === 0 && taken.length && t.keyword && AFTER_DEFAULT.has(t.word)) break
    if (t.word === '(' || t.word === '[') depth++
    else if (t.word === ')' || t.word === ']') depth--
    taken.push(t)
  }
  return taken.length ? sliceText(tokens.text, taken) : undefined
}

/** The first line of a statement, shortened, for the comment above its reverse. */
export function summary(statementText: string, width = 100): string {
  const oneLine = statementText.replace(/\s+/g, ' ').trim()
  return oneLine.length > width ? `${oneLine.slice(0, width - 3)}...` : oneLine
}
