/**
 * The rows pg_dump (or a hand-written psql script) puts after `COPY ... FROM stdin;`, up to a line `\.`.
 * They are data for psql to send, not SQL, so such a file never parses. To report it as what it is
 * (copy-from-stdin, at the COPY) rather than as a syntax error in the first row, the engine lints the file
 * again with the rows blanked out: every character but line breaks becomes a space, so positions stay put.
 */

// A COPY ... FROM STDIN statement (pg_dump writes it on one line; [^;]* lets a hand-written one span lines),
// ending a line; its data starts on the next line.
const COPY_FROM_STDIN = /^[ \t]*COPY\b[^;]*?\bFROM[ \t\r\n]+STDIN\b[^;]*;[ \t]*\r?\n/gim
const END_OF_DATA = /^\\\.[ \t]*(?:\r?\n|\r|$)/gm

/** The text with every COPY data block blanked, when one of them holds `errorOffset`; else undefined. */
export function blankCopyData(text: string, errorOffset: number): string | undefined {
  const blocks: [number, number][] = []
  COPY_FROM_STDIN.lastIndex = 0
  for (let copy; (copy = COPY_FROM_STDIN.exec(text));) {
    const start = copy.index + copy[0].length
    END_OF_DATA.lastIndex = start
    const end = END_OF_DATA.exec(text)
    const blockEnd = end ? end.index + end[0].length : text.length
    blocks.push([start, blockEnd])
    COPY_FROM_STDIN.lastIndex = blockEnd // a row that looks like a COPY is still a row
  }
  if (!blocks.some(([start, end]) => start <= errorOffset && errorOffset <= end)) return undefined
  let out = ''
  let at = 0
  for (const [start, end] of blocks) {
    out += text.slice(at, start) + text.slice(start, end).replace(/[^\r\n]/g, ' ')
    at = end
  }
  return out + text.slice(at)
}
