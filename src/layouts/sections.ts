/**
 * Files that hold both directions (goose, dbmate, node-pg-migrate): where each section starts and ends, and
 * its text with the lines before it blank, so that a server error or a lint finding in a section is reported
 * at the file's own line.
 */

export interface Section {
  /** 0-based line of the marker that opens the section (the marker is part of it: a comment). */
  from: number
  /** 0-based line where the section stops (exclusive). */
  to: number
  /** The marker line as written, for messages. */
  marker: string
}

/** The lines of a text, split on LF (files reach layouts with CRLF already normalised or not: `\r` stays on its line). */
export const linesOf = (text: string) => text.split('\n')

/** The section's text: blank lines before it (for line numbers), then its own lines. */
export function sectionText(lines: string[], section: Section): string {
  return '\n'.repeat(section.from) + lines.slice(section.from, section.to).join('\n')
}

/**
 * Up and down sections from marker lines. `kind` says whether a line opens the up or the down section. Each
 * section runs to the next marker of the other kind, or to the end. Returns undefined for a direction with no
 * marker.
 */
export function sections(lines: string[], kind: (line: string) => 'up' | 'down' | undefined): { up?: Section; down?: Section } {
  const marks: { at: number; kind: 'up' | 'down' }[] = []
  lines.forEach((line, at) => {
    const k = kind(line)
    if (k) marks.push({ at, kind: k })
  })
  const found: { up?: Section; down?: Section } = {}
  for (const [i, mark] of marks.entries()) {
    if (found[mark.kind]) continue
    const next = marks.slice(i + 1).find((m) => m.kind !== mark.kind)
    found[mark.kind] = { from: mark.at, to: next?.at ?? lines.length, marker: lines[mark.at].trim() }
  }
  return found
}

/** Line `at` (0-based) of a file as `path:line`, for messages. */
export const at = (path: string, line: number) => `${path}:${line + 1}`

/**
 * Markers of the tools whose files hold both directions. Without that tool's layout such a file would run
 * whole, its down section too: it is refused instead (src/runner/files.ts).
 */
export const BOTH_DIRECTIONS: { layout: string; marker: RegExp; example: string }[] = [
  { layout: 'goose', marker: /^--\s*\+goose\s+(up|down)\b/im, example: '-- +goose Down' },
  { layout: 'dbmate', marker: /^--\s*migrate:(up|down)\b/im, example: '-- migrate:down' },
  { layout: 'node-pg-migrate', marker: /^\s*--[\s-]*(up|down)\s+migration\b/im, example: '-- Down Migration' },
]

/** The first marker of another tool in a file, with its line, when there is one. */
export function foreignMarker(text: string): { layout: string; line: number; marker: string } | undefined {
  for (const { layout, marker } of BOTH_DIRECTIONS) {
    const m = marker.exec(text)
    if (m) return { layout, line: text.slice(0, m.index).split('\n').length, marker: m[0].trim() }
  }
  return undefined
}
