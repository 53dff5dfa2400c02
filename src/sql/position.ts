/** 1-based line and column of a character offset; columns count UTF-16 code units of the JS string. */
export interface Position {
  line: number
  column: number
}

/** Line starts of a text, computed once, so that many offsets can be located in O(log n) each. */
export class LineIndex {
  private readonly starts: number[] = [0]

  constructor(readonly text: string) {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1)
  }

  position(offset: number): Position {
    const clamped = Math.max(0, Math.min(offset, this.text.length))
    let low = 0
    let high = this.starts.length - 1
    while (low < high) {
      const middle = (low + high + 1) >> 1
      if (this.starts[middle]! <= clamped) low = middle
      else high = middle - 1
    }
    return { line: low + 1, column: clamped - this.starts[low]! + 1 }
  }

  /** Character offset where a 1-based line starts. */
  lineStart(line: number): number {
    return this.starts[line - 1] ?? this.text.length
  }

  get lineCount(): number {
    return this.starts.length
  }

  /** The text of a 1-based line, without its line break. */
  lineText(line: number): string {
    const start = this.starts[line - 1] ?? this.text.length
    const next = this.starts[line]
    const end = next === undefined ? this.text.length : next - 1
    return this.text.slice(start, end).replace(/\r$/, '')
  }
}

export function lineColumn(text: string, offset: number): Position {
  return new LineIndex(text).position(offset)
}

const NON_ASCII = /[^\x00-\x7f]/

/**
 * libpg-query reports statement locations in bytes of UTF-8; JS strings index UTF-16 code units.
 * Returns a function converting a byte offset into a string offset.
 */
export function byteOffsetConverter(text: string): (byteOffset: number) => number {
  if (!NON_ASCII.test(text)) return (byteOffset) => Math.min(byteOffset, text.length)
  const charAt = new Int32Array(utf8Length(text) + 1)
  let byte = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    const isPair = code >= 0xd800 && code <= 0xdbff && i + 1 < text.length
    const width = code < 0x80 ? 1 : code < 0x800 ? 2 : isPair ? 4 : 3
    charAt.fill(i, byte, byte + width)
    byte += width
    if (isPair) i++
  }
  charAt[byte] = text.length
  return (byteOffset) => charAt[Math.max(0, Math.min(byteOffset, byte))]!
}

function utf8Length(text: string): number {
  let bytes = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code < 0x80) bytes += 1
    else if (code < 0x800) bytes += 2
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      bytes += 4
      i++
    } else bytes += 3
  }
  return bytes
}

/** Postgres error cursors count code points; characters beyond the BMP take two JS string units. */
export function codePointToOffset(text: string, codePoints: number): number {
  let offset = 0
  for (let seen = 0; seen < codePoints && offset < text.length; seen++) {
    const code = text.charCodeAt(offset)
    offset += code >= 0xd800 && code <= 0xdbff ? 2 : 1
  }
  return offset
}
