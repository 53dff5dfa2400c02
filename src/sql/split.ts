import type { ScanToken } from 'libpg-query'
import { loadParser } from './parser.js'
import { withoutByteOrderMark } from './parse.js'
import { parsePieces } from './pieces.js'
import { LineIndex, byteOffsetConverter } from './position.js'

export interface StatementText {
  /** The statement without its trailing semicolon. */
  text: string
  /** Character offset into the file text. */
  start: number
  line: number
  column: number
  /** The statement's node type (e.g. `TransactionStmt`), when the file parsed. */
  kind?: string
}

/**
 * Splits a file into statements that can run one by one (for `-- strata:no-transaction` files).
 * Uses the parser; for text that does not parse, falls back to the scanner, so `$$` bodies, quoted
 * strings and comments still keep their semicolons; for text that does not even scan, the rest of
 * the file is one statement and the server will report its error.
 */
export async function splitStatements(text: string): Promise<StatementText[]> {
  const library = await loadParser()
  const lines = new LineIndex(text)
  const statements: StatementText[] = []
  // In pieces, so that a large seed file does not need its whole syntax tree at once (see pieces.ts).
  for (const piece of parsePieces(library, text, lines)) {
    if ('error' in piece) return scanned(library, text, lines)
    for (const { text, start, line, column, kind } of piece.statements) statements.push({ text, start, line, column, kind })
  }
  return statements
}

function scanned(library: Awaited<ReturnType<typeof loadParser>>, text: string, lines: LineIndex): StatementText[] {
  const source = withoutByteOrderMark(text)
  let tokens: ScanToken[]
  try {
    tokens = library.scanSync(source).tokens
  } catch {
    return wholeText(source, lines)
  }
  return splitTokens(source, tokens, lines)
}

function wholeText(text: string, lines: LineIndex): StatementText[] {
  const start = text.length - text.trimStart().length
  const body = text.trim()
  return body ? [{ text: body, start, ...lines.position(start) }] : []
}

const COMMENT_TOKENS = new Set(['SQL_COMMENT', 'C_COMMENT'])

function splitTokens(text: string, tokens: ScanToken[], lines: LineIndex): StatementText[] {
  const toCharOffset = byteOffsetConverter(text)
  const statements: StatementText[] = []
  let first: ScanToken | undefined
  let last: ScanToken | undefined
  const flush = () => {
    if (!first || !last) return
    const start = toCharOffset(first.start)
    statements.push({ text: text.slice(start, toCharOffset(last.end)), start, ...lines.position(start) })
    first = last = undefined
  }
  const depth = nestingTracker()
  for (const token of tokens) {
    if (COMMENT_TOKENS.has(token.tokenName)) continue
    if (token.text === ';' && depth.isTopLevel()) {
      flush()
      continue
    }
    depth.see(token)
    first ??= token
    last = token
  }
  flush()
  return statements
}

/** Semicolons inside parentheses (CREATE RULE ... DO (a; b)) or a BEGIN ATOMIC body do not end a statement. */
function nestingTracker() {
  let parentheses = 0
  let atomicBlocks = 0
  let previous = ''
  return {
    isTopLevel: () => parentheses === 0 && atomicBlocks === 0,
    see(token: ScanToken) {
      const word = token.text.toUpperCase()
      if (word === '(') parentheses++
      else if (word === ')') parentheses = Math.max(0, parentheses - 1)
      else if (word === 'ATOMIC' && previous === 'BEGIN') atomicBlocks++
      else if (word === 'CASE' && atomicBlocks > 0) atomicBlocks++
      else if (word === 'END' && atomicBlocks > 0) atomicBlocks--
      previous = word
    },
  }
}
