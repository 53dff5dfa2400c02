/**
 * Where statements end, found without the parser: a small lexer that knows just enough of Postgres's
 * (comments, nested block comments, '' / E'' strings, "" identifiers, $tag$ bodies, parentheses and
 * BEGIN ATOMIC ... END) to tell a semicolon that ends a statement from one that does not.
 *
 * It lets a large file be parsed in pieces (see chunks.ts). The parser stays the judge: a piece that
 * does not parse is parsed again together with the rest of the file, so a boundary this lexer got wrong
 * can cost memory, never a finding.
 */

export interface StatementSpan {
  /** Where the lexer started on this statement: right after the previous statement's semicolon (or 0). */
  start: number
  /** Right after the semicolon that ends it, or the end of the text. */
  end: number
  /**
   * For `INSERT ... VALUES (...), (...)`: the start and end (exclusive) of each row at the top level, as
   * [start0, end0, start1, end1, ...]; empty for any other statement, or rows that are not well formed.
   */
  rows: number[]
}

// Character codes.
const C_TAB = 9
const C_LINE_FEED = 10
const C_RETURN = 13
const C_SPACE = 32
const C_DOUBLE_QUOTE = 34
const C_DOLLAR = 36
const C_QUOTE = 39
const C_OPEN = 40
const C_CLOSE = 41
const C_STAR = 42
const C_COMMA = 44
const C_MINUS = 45
const C_DOT = 46
const C_SLASH = 47
const C_ZERO = 48
const C_NINE = 57
const C_SEMICOLON = 59
const C_UPPER_A = 65
const C_UPPER_E = 69
const C_UPPER_Z = 90
const C_BACKSLASH = 92
const C_UNDERSCORE = 95
const C_LOWER_A = 97
const C_LOWER_E = 101
const C_LOWER_Z = 122

const isSpace = (c: number) => c === C_SPACE || (c >= C_TAB && c <= C_RETURN)
const isDigit = (c: number) => c >= C_ZERO && c <= C_NINE
// Postgres: ident_start [A-Za-z\200-\377_]; ident_cont adds digits and $. Any non-ASCII character counts.
const isIdentStart = (c: number) =>
  (c >= C_LOWER_A && c <= C_LOWER_Z) || (c >= C_UPPER_A && c <= C_UPPER_Z) || c === C_UNDERSCORE || c >= 0x80
const isIdentCont = (c: number) => isIdentStart(c) || isDigit(c) || c === C_DOLLAR
const DOLLAR_TAG = /\$(?:[A-Za-z_\u0080-\uffff][A-Za-z_0-9\u0080-\uffff]*)?\$/y

/** Statements of `text` from `from` on, one span at a time. */
export function* statementSpans(text: string, from = 0): Generator<StatementSpan> {
  const length = text.length
  let i = from
  let start = from
  // Per statement:
  let depth = 0 // parentheses
  let atomic = 0 // BEGIN ATOMIC ... END, and CASE ... END inside one
  let previousWord = ''
  let firstWord = ''
  // INSERT ... VALUES rows: 0 none yet, 1 after VALUES or a comma (a row must follow), 2 in a row, 3 after a row, 4 done
  let rowState = 0
  let rows: number[] = []
  const endRows = (ok: boolean) => {
    if (!ok) rows = []
    rowState = 4
  }
  const finish = (end: number): StatementSpan => {
    if (rowState !== 3 && rowState !== 4) rows = []
    const span = { start, end, rows }
    start = end
    depth = atomic = rowState = 0
    previousWord = firstWord = ''
    rows = []
    return span
  }

  while (i < length) {
    const c = text.charCodeAt(i)
    if (isSpace(c)) {
      i++
      continue
    }
    const next = i + 1 < length ? text.charCodeAt(i + 1) : 0
    if (c === C_MINUS && next === C_MINUS) {
      // A line comment ends at a line break (\n or \r).
      let end = i + 2
      while (end < length) {
        const d = text.charCodeAt(end)
        if (d === C_LINE_FEED || d === C_RETURN) break
        end++
      }
      i = end
      continue
    }
    if (c === C_SLASH && next === C_STAR) {
      i = skipBlockComment(text, i)
      continue
    }

    // Everything below is a token: it may start or continue rows of a VALUES list.
    const eString = (c === C_UPPER_E || c === C_LOWER_E) && next === C_QUOTE
    if (firstWord === '' && (eString || !isIdentStart(c))) firstWord = '?'
    if (rowState === 1 && !(c === C_OPEN && depth === 0)) endRows(false)
    else if (rowState === 3 && depth === 0 && c !== C_COMMA) endRows(true)

    if (c === C_QUOTE) {
      i = skipQuoted(text, i, C_QUOTE)
      previousWord = ''
    } else if (eString) {
      i = skipEscapedString(text, i + 1)
      previousWord = ''
    } else if (c === C_DOUBLE_QUOTE) {
      i = skipQuoted(text, i, C_DOUBLE_QUOTE)
      previousWord = ''
    } else if (c === C_DOLLAR && !isDigit(next)) {
      DOLLAR_TAG.lastIndex = i
      const tag = DOLLAR_TAG.exec(text)
      if (tag) {
        const close = text.indexOf(tag[0], i + tag[0].length)
        i = close === -1 ? length : close + tag[0].length
      } else i++
      previousWord = ''
    } else if (isIdentStart(c)) {
      let end = i + 1
      while (end < length && isIdentCont(text.charCodeAt(end))) end++
      // Only short words can be keywords that matter here.
      const word = end - i <= 6 ? text.slice(i, end).toUpperCase() : ''
      if (firstWord === '') firstWord = word || '?'
      if (word === 'ATOMIC' && previousWord === 'BEGIN') atomic++
      else if (word === 'CASE' && atomic > 0) atomic++
      else if (word === 'END' && atomic > 0) atomic--
      else if (word === 'VALUES' && depth === 0 && firstWord === 'INSERT' && rowState === 0) rowState = 1
      previousWord = word
      i = end
    } else if (isDigit(c) || (c === C_DOT && isDigit(next))) {
      let end = i + 1
      while (end < length) {
        const d = text.charCodeAt(end)
        if (!(isDigit(d) || d === C_DOT || d === C_UNDERSCORE || (d >= C_LOWER_A && d <= C_LOWER_Z) || (d >= C_UPPER_A && d <= C_UPPER_Z)))
          break
        end++
      }
      i = end
      previousWord = ''
    } else {
      if (c === C_OPEN) {
        if (rowState === 1 && depth === 0) {
          rows.push(i)
          rowState = 2
        }
        depth++
      } else if (c === C_CLOSE) {
        depth = Math.max(0, depth - 1)
        if (rowState === 2 && depth === 0) {
          rows.push(i + 1)
          rowState = 3
        }
      } else if (c === C_COMMA && rowState === 3 && depth === 0) {
        rowState = 1
      } else if (c === C_SEMICOLON && depth === 0 && atomic === 0) {
        i++
        yield finish(i)
        continue
      }
      previousWord = ''
      i++
    }
  }
  if (start < length) yield finish(length)
}

/** `/* ... *\/`, nested as Postgres nests them; an unterminated one runs to the end. */
function skipBlockComment(text: string, at: number): number {
  let depth = 0
  let i = at
  while (i < text.length) {
    const c = text.charCodeAt(i)
    const next = text.charCodeAt(i + 1)
    if (c === C_SLASH && next === C_STAR) {
      depth++
      i += 2
    } else if (c === C_STAR && next === C_SLASH) {
      depth--
      i += 2
      if (depth === 0) return i
    } else i++
  }
  return text.length
}

/** '...' or "...", where a doubled quote stands for itself; an unterminated one runs to the end. */
function skipQuoted(text: string, at: number, quote: number): number {
  const mark = String.fromCharCode(quote)
  let i = at + 1
  for (;;) {
    const close = text.indexOf(mark, i)
    if (close === -1) return text.length
    if (text.charCodeAt(close + 1) !== quote) return close + 1
    i = close + 2
  }
}

/** E'...': a backslash escapes the next character, and '' still stands for a quote. */
function skipEscapedString(text: string, quoteAt: number): number {
  let i = quoteAt + 1
  while (i < text.length) {
    const c = text.charCodeAt(i)
    if (c === C_BACKSLASH) i += 2
    else if (c === C_QUOTE) {
      if (text.charCodeAt(i + 1) === C_QUOTE) i += 2
      else return i + 1
    } else i++
  }
  return text.length
}
