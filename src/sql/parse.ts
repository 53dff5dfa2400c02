import type { Node, ParseResult } from '@pgsql/types'
import { loadParser } from './parser.js'
import { LineIndex, byteOffsetConverter, codePointToOffset } from './position.js'

export interface Statement {
  /** The statement node as libpg-query returns it, e.g. `{ CreateStmt: {...} }`. */
  node: Node
  /** The node's type name, e.g. `CreateStmt`. */
  kind: string
  /** Character offsets into the file text; end is exclusive and leaves out the trailing semicolon. */
  start: number
  end: number
  text: string
  /** 1-based. */
  line: number
  column: number
}

export interface SqlSyntaxError {
  message: string
  /** Character offset into the file text. */
  offset: number
  line: number
  column: number
}

export interface ParsedFile {
  statements: Statement[]
  error?: SqlSyntaxError
  lines: LineIndex
}

type ParseSync = (query: string) => ParseResult

export async function parseSql(text: string): Promise<ParsedFile> {
  const { parseSync } = await loadParser()
  return parseWith(parseSync, text)
}

/** The synchronous core, for callers that already hold the loaded parser. */
export function parseWith(parseSync: ParseSync, text: string, lines = new LineIndex(text)): ParsedFile {
  const source = withoutByteOrderMark(text)
  if (source.trim() === '') return { statements: [], lines }
  let result: ParseResult
  try {
    result = parseSync(source)
  } catch (error) {
    return { statements: [], error: syntaxError(error, text, lines), lines }
  }
  const toCharOffset = byteOffsetConverter(source)
  const statements = (result.stmts ?? []).map((raw): Statement => {
    const node = raw.stmt as Node
    const start = toCharOffset(raw.stmt_location ?? 0)
    // stmt_len 0 means "to the end of the text" (a last statement without a semicolon).
    const rawEnd = raw.stmt_len ? toCharOffset((raw.stmt_location ?? 0) + raw.stmt_len) : source.length
    const end = start + source.slice(start, rawEnd).trimEnd().length
    return { node, kind: Object.keys(node)[0]!, start, end, text: source.slice(start, end), ...lines.position(start) }
  })
  return { statements, lines }
}

// Postgres rejects a byte order mark; a space keeps every offset where it was.
export function withoutByteOrderMark(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? ' ' + text.slice(1) : text
}

function syntaxError(error: unknown, text: string, lines: LineIndex): SqlSyntaxError {
  const message = error instanceof Error ? error.message : String(error)
  const cursor = (error as { sqlDetails?: { cursorPosition?: number } }).sqlDetails?.cursorPosition ?? 0
  const offset = codePointToOffset(text, cursor)
  return { message, offset, ...lines.position(offset) }
}
