/** The source line with a caret under the column, for errors people read in a terminal. */

export function caretLines(text: string, line: number, column: number): string[] {
  const source = text.split('\n')[line - 1] ?? ''
  const gutter = `${line} | `
  const pad = source.slice(0, column - 1).replace(/[^\t]/g, ' ')
  return [`${gutter}${source}`, `${' '.repeat(gutter.length)}${pad}^`]
}
