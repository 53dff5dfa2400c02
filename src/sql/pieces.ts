/**
 * Parsing a file of any size in bounded memory. libpg-query returns the whole file's syntax tree as one JSON
 * document, and its WASM memory never shrinks: a 50 MB seed file took 1.6 GB. So a file is parsed in pieces
 * of whole statements (cut where boundaries.ts finds a statement's end), each piece's trees are handed out
 * and dropped before the next piece is parsed, and a long `INSERT ... VALUES` list is parsed with its first
 * row only, its other rows checked for syntax in batches (no rule looks at the rows).
 *
 * What callers see is what parsing the whole file at once gives: the same statements at the same offsets,
 * or the same first syntax error. A piece that does not parse is parsed again together with the rest of
 * the file, so the error is the one the whole file has, whatever the lexer thought.
 */
import type { Node, ParseResult } from '@pgsql/types'
import { statementSpans } from './boundaries.js'
import type { Statement, SqlSyntaxError } from './parse.js'
import { parseWith, withoutByteOrderMark } from './parse.js'
import type { loadParser } from './parser.js'
import { type LineIndex, byteOffsetConverter, codePointToOffset } from './position.js'

type Parser = Pick<Awaited<ReturnType<typeof loadParser>>, 'parseSync' | 'normalizeSync'>

export interface PieceLimits {
  /** Statements are parsed together up to about this many characters; a longer statement is a piece alone. */
  pieceChars: number
  /** An INSERT whose VALUES rows after the first take more characters than this is parsed with its first row only. */
  elideRowsOver: number
  /** How many characters of such rows are checked for syntax at once. */
  rowBatchChars: number
}

export const PIECE_LIMITS: PieceLimits = { pieceChars: 256 * 1024, elideRowsOver: 64 * 1024, rowBatchChars: 256 * 1024 }

export interface Piece {
  /** Set on the last piece when it is the rest of the file, parsed at once after a piece did not. */
  rest?: true
  /** The statements of this piece, located in the file. */
  statements: Statement[]
  /** Character offset in the file of a parser node location (which counts UTF-8 bytes of the parsed text). */
  offsetOf(byteLocation: number): number
}

/** Rows cut out of the parsed text: at `at` in it, `removed` characters of the file are left out. */
interface Cut {
  at: number
  removed: number
}

/**
 * The file's statements, piece by piece; when the file does not parse, the pieces before the error and then
 * `{ error }`. A caller that keeps nothing of a piece's trees holds at most one piece's worth of them.
 */
export function* parsePieces(
  parser: Parser,
  text: string,
  lines: LineIndex,
  limits: PieceLimits = PIECE_LIMITS,
): Generator<Piece | { error: SqlSyntaxError }> {
  const source = withoutByteOrderMark(text)
  if (!/\S/.test(source)) return
  let start = 0
  let end = 0
  let elided: number[][] = []
  // Parses source[start, end); when that fails, the rest of the file decides, parsed at once.
  const flush = (): Piece | { error: SqlSyntaxError } => {
    const at = start
    const attempt = parsePiece(parser, source, lines, at, end, elided, limits)
    const wholeRest = elided.length === 0 && end === source.length
    start = end
    elided = []
    if ('statements' in attempt) return attempt
    return wholeRest ? syntaxError(attempt.failure, source, lines, at) : parseRest(parser, source, lines, at)
  }
  // A file shorter than a piece and than a VALUES list worth cutting is one piece: parsed at once, as always.
  if (source.length <= Math.min(limits.pieceChars, limits.elideRowsOver)) {
    end = source.length
    return yield flush()
  }
  for (const span of statementSpans(source)) {
    if (end > start && span.end - start > limits.pieceChars) {
      const piece = flush()
      yield piece
      if (!('offsetOf' in piece) || piece.rest) return
    }
    end = span.end
    const rows = span.rows
    if (rows.length >= 4 && rows[rows.length - 1]! - rows[2]! > limits.elideRowsOver) elided.push(rows)
  }
  if (end > start) yield flush()
}

/** Parses source[start, end) with the rows in `elided` cut out; the parser's exception when anything in it does not parse. */
function parsePiece(
  parser: Parser,
  source: string,
  lines: LineIndex,
  start: number,
  end: number,
  elided: number[][],
  limits: PieceLimits,
): Piece | { failure: unknown } {
  let parsed = ''
  let from = start
  const cuts: Cut[] = []
  for (const rows of elided) {
    const failure = rowsFailure(parser, source, rows, limits.rowBatchChars)
    if (failure) return { failure }
    // Keep the first row; leave out `, (row 2), ..., (row n)`.
    const cutFrom = rows[1]!
    const cutTo = rows[rows.length - 1]!
    parsed += source.slice(from, cutFrom)
    cuts.push({ at: parsed.length, removed: cutTo - cutFrom })
    from = cutTo
  }
  parsed += source.slice(from, end)
  try {
    return located(parser.parseSync(parsed), parsed, source, lines, start, end, cuts)
  } catch (failure) {
    return { failure }
  }
}

/** Rows 2..n of a VALUES list, checked in batches as `VALUES <rows>` (the same grammar); no tree is built for them. */
function rowsFailure(parser: Parser, source: string, rows: number[], batchChars: number): unknown {
  for (let first = 2; first < rows.length;) {
    let last = first
    while (last + 2 < rows.length && rows[last + 3]! - rows[first]! <= batchChars) last += 2
    try {
      parser.normalizeSync(`VALUES ${source.slice(rows[first], rows[last + 1])}`)
    } catch (failure) {
      return failure ?? new Error('does not parse')
    }
    first = last + 2
  }
  return undefined
}

/**
 * Everything from `start` to the end of the file, parsed at once, as parsing the whole file would: its
 * statements (then the lexer cut a piece where the parser would not), or its first syntax error.
 */
function parseRest(parser: Parser, source: string, lines: LineIndex, start: number): (Piece & { rest: true }) | { error: SqlSyntaxError } {
  const rest = source.slice(start)
  try {
    return { ...located(parser.parseSync(rest), rest, source, lines, start, source.length, []), rest: true }
  } catch (failure) {
    return syntaxError(failure, source, lines, start)
  }
}

function syntaxError(failure: unknown, source: string, lines: LineIndex, start: number): { error: SqlSyntaxError } {
  const message = failure instanceof Error ? failure.message : String(failure)
  const cursor = (failure as { sqlDetails?: { cursorPosition?: number } }).sqlDetails?.cursorPosition ?? 0
  // Postgres counts code points from where the parsed text starts.
  const offset = start + codePointToOffset(start === 0 ? source : source.slice(start), cursor)
  return { error: { message, offset, ...lines.position(offset) } }
}

/** The statements of a parse of `parsed` (source[start, end) with `cuts` left out), located in the file. */
function located(result: ParseResult, parsed: string, source: string, lines: LineIndex, start: number, end: number, cuts: Cut[]): Piece {
  const toChar = byteOffsetConverter(parsed)
  const inFile = (offset: number) => {
    let shift = start
    for (const cut of cuts) if (cut.at <= offset) shift += cut.removed
    return offset + shift
  }
  const statements = (result.stmts ?? []).map((raw): Statement => {
    const node = raw.stmt as Node
    const location = raw.stmt_location ?? 0
    const first = inFile(toChar(location))
    // stmt_len 0 means "to the end of the text" (a last statement without a semicolon).
    let last = raw.stmt_len ? inFile(toChar(location + raw.stmt_len)) : end
    while (last > first && /\s/.test(source[last - 1]!)) last--
    return { node, kind: Object.keys(node)[0]!, start: first, end: last, text: source.slice(first, last), ...lines.position(first) }
  })
  return { statements, offsetOf: (byteLocation) => inFile(toChar(byteLocation)) }
}

/** Files up to this size are parsed at once: one parse, and their trees are small anyway. */
const WHOLE_FILE_CHARS = 1024 * 1024

export interface VisitLimits extends PieceLimits {
  /** Files up to this many characters are parsed at once (tests set 0 to take the piece path). */
  wholeFileChars?: number
}

/**
 * Every statement of `text`, in order, for callers that look at each statement once and keep nothing of its
 * tree (verify, backup): what parsing the file at once gives, in bounded memory. A file that does not parse
 * gives its error and no statement, as a whole-file parse does; so a large file is checked piece by piece
 * first, then read again for its statements (twice the parsing, for files over a megabyte only).
 * Long INSERT ... VALUES lists come with their first row only (see above).
 */
export function visitStatements(
  parser: Parser,
  text: string,
  lines: LineIndex,
  visit: (statement: Statement) => void,
  limits: VisitLimits = PIECE_LIMITS,
): SqlSyntaxError | undefined {
  if (text.length <= (limits.wholeFileChars ?? WHOLE_FILE_CHARS)) {
    const parsed = parseWith(parser.parseSync, text, lines)
    if (!parsed.error) parsed.statements.forEach(visit)
    return parsed.error
  }
  for (const piece of parsePieces(parser, text, lines, limits)) if ('error' in piece) return piece.error
  for (const piece of parsePieces(parser, text, lines, limits)) if (!('error' in piece)) piece.statements.forEach(visit)
  return undefined
}
