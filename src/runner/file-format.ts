/**
 * The migration file format, in one place (docs/file-format.md): names, checksums and directives.
 * Pure: text in, facts out. Lint and runner read directives through the same function.
 */
import { createHash } from 'node:crypto'

export interface MigrationFile {
  version: number
  name: string
  /** Path as given to the user (relative to the cwd when possible). */
  path: string
  content: string
  checksum: string
  noTransaction: boolean
  /** The `.down.sql` beside it, when there is one. */
  downPath?: string
}

export const UP = /^(\d+)_([A-Za-z0-9_-]+)\.sql$/
export const DOWN = /^(\d+)_([A-Za-z0-9_-]+)\.down\.sql$/

/** Strip a UTF-8 BOM and turn CRLF/CR into LF, so editors and git settings do not change a checksum. */
export function normalize(content: string): string {
  return content.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n')
}

export function checksum(content: string): string {
  return createHash('sha256').update(normalize(content)).digest('hex')
}

/** True when `-- strata:<name>` stands in a comment line before the first statement. */
export function hasDirective(content: string, name: string): boolean {
  const directive = new RegExp(`^--\\s*strata:${name}\\s*$`)
  const breaks = /\r\n?|\n/g
  // Line by line from the top, without splitting the whole file: a seed file can have a million lines.
  for (let at = 0; at <= content.length;) {
    const found = breaks.exec(content)
    const end = found ? found.index : content.length
    const line = content.slice(at, end).trim() // trim() also drops a byte order mark
    at = found ? breaks.lastIndex : content.length + 1
    if (line === '') continue
    if (!line.startsWith('--')) return false
    if (directive.test(line)) return true
  }
  return false
}
