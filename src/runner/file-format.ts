/**
 * The migration file format, in one place (docs/file-format.md): names, how a file's bytes become text,
 * checksums and directives. Lint and runner read files through `readMigrationText` and directives through
 * `readDirectives`, so they cannot disagree about a file.
 */
import { createHash } from 'node:crypto'
import { isUtf8 } from 'node:buffer'
import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, readlinkSync, type Stats } from 'node:fs'
import { StrataError } from '../errors.js'
import { caretLines } from '../location.js'

/** What runs: an up or down file (or a setup file), by the path people know it by. */
export interface Source {
  path: string
  content: string
}

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
  // What another tool's layout (src/layouts/) and the run-mode decision (src/runner/run-mode.ts) add:
  /** The down the history itself holds: a Down section of the file, or the down file its tool pairs with it. */
  down?: DownSection
  /** A Flyway repeatable (R__*.sql): not a step of history, but applied again whenever its checksum changes. */
  repeatable?: boolean
  /** It holds its own BEGIN … COMMIT: run statement by statement, honouring them, as its tool ran it. */
  ownTransaction?: boolean
  /** Why it runs outside Strata's transaction when no directive of its own says so (recorded in its event). */
  modeReason?: string
}

/** A down section kept in memory (its path says where it is, e.g. `migrations/001_init.sql (Down section)`). */
export interface DownSection {
  path: string
  /** Lines before the section are blank, so that line numbers are the file's own. */
  content: string
  noTransaction: boolean
}

export const UP = /^(\d+)_([A-Za-z0-9_-]+)\.sql$/
export const DOWN = /^(\d+)_([A-Za-z0-9_-]+)\.down\.sql$/

/** Strip a UTF-8 BOM and turn CRLF/CR into LF, so editors and git settings do not change a checksum. */
export function normalize(content: string): string {
  return content.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n')
}

/**
 * sha256 hex of the normalised text. Text comes only from `decodeMigration`, which refuses bytes that are not
 * UTF-8, so this is also the hash of the file's bytes after BOM and line-ending normalisation.
 */
export function checksum(content: string): string {
  return createHash('sha256').update(normalize(content)).digest('hex')
}

/**
 * The text of a migration or down file, read as bytes. Refuses (StrataError 'files', exit 2) what is not a
 * readable regular file, bytes that are not UTF-8 and NUL bytes, at file:line:col: decoding them anyway would
 * send the server something other than the file, and an edit to them would change no checksum.
 * `shown` is the path as the user should read it. `regularFile`: the directory listing already says it is one
 * (not a link, pipe or directory), so it is read at once; a long history is read a little faster so.
 */
export function readMigrationText(absPath: string, shown: string, regularFile = false): string {
  if (regularFile) {
    // Node's own UTF-8 read is a single call; when decoding replaced nothing (no U+FFFD) and there is no NUL,
    // the text is exactly the file's bytes. Anything else is read again as bytes, to refuse it at its place.
    const text = readRegularFile(absPath, shown, 'utf8')
    if (!text.includes('\uFFFD') && !text.includes('\0')) return text
  }
  return decodeMigration(regularFile ? readRegularFile(absPath, shown) : readBytes(absPath, shown), shown)
}

function readRegularFile(absPath: string, shown: string): Buffer
function readRegularFile(absPath: string, shown: string, encoding: 'utf8'): string
function readRegularFile(absPath: string, shown: string, encoding?: 'utf8'): Buffer | string {
  try {
    return readFileSync(absPath, encoding)
  } catch (e) {
    throw unreadable(e as NodeJS.ErrnoException, absPath, shown)
  }
}

/** Bytes to text, or the located refusal `readMigrationText` describes. */
export function decodeMigration(bytes: Buffer, shown: string): string {
  const nul = bytes.indexOf(0)
  const invalid = isUtf8(bytes) ? undefined : invalidUtf8(bytes)
  if (invalid && (nul === -1 || invalid.start < nul)) throw badBytes(bytes, invalid.start, invalid.end, shown, 'utf8')
  if (nul !== -1) throw badBytes(bytes, nul, nul + 1, shown, 'nul')
  return bytes.toString('utf8')
}

// O_NONBLOCK: opening a FIFO named like a migration must not wait forever for a writer.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0)

function readBytes(absPath: string, shown: string): Buffer {
  let fd: number
  try {
    fd = openSync(absPath, OPEN_FLAGS)
  } catch (e) {
    throw unreadable(e as NodeJS.ErrnoException, absPath, shown)
  }
  try {
    const stats = fstatSync(fd)
    if (!stats.isFile()) throw notAFile(stats, shown)
    return readFileSync(fd)
  } catch (e) {
    throw e instanceof StrataError ? e : unreadable(e as NodeJS.ErrnoException, absPath, shown)
  } finally {
    closeSync(fd)
  }
}

/** The error `readMigrationText` gives for a path where there is nothing at all (not a link, not a directory). */
export function isMissingFile(e: unknown): boolean {
  return e instanceof StrataError && e.facts.missing === true
}

function notAFile(stats: Stats, shown: string): StrataError {
  const what = stats.isDirectory()
    ? 'a directory'
    : stats.isFIFO()
      ? 'a named pipe (FIFO)'
      : stats.isSocket()
        ? 'a socket'
        : stats.isCharacterDevice() || stats.isBlockDevice()
          ? 'a device'
          : 'not a regular file'
  return new StrataError('files', `${shown} is ${what}, not a migration file`, {
    file: shown,
    hint: 'a name ending in .sql in the migrations directory must be a file of SQL: move it out, or rename it',
  })
}

function unreadable(e: NodeJS.ErrnoException, absPath: string, shown: string): StrataError {
  const facts = { file: shown, errno: e.code }
  if (e.code === 'EISDIR') return notAFile({ isDirectory: () => true } as Stats, shown)
  if (e.code === 'ENOENT') {
    const link = symlinkTarget(absPath)
    if (link !== undefined)
      return new StrataError('files', `${shown} is a symbolic link to ${link}, which does not exist`, {
        ...facts,
        hint: 'restore what it points to, or remove the link',
      })
    return new StrataError('files', `${shown} does not exist`, { ...facts, missing: true })
  }
  if (e.code === 'EACCES' || e.code === 'EPERM')
    return new StrataError('files', `${shown} cannot be read: permission denied`, {
      ...facts,
      hint: 'let the user running strata read it (e.g. chmod a+r), or run strata as a user who can',
    })
  if (e.code === 'ELOOP') return new StrataError('files', `${shown} is a symbolic link that points to itself, in a loop`, facts)
  return new StrataError('files', `${shown} cannot be read: ${e.code ?? ''} ${e.message}`.replace('  ', ' '), facts)
}

function symlinkTarget(absPath: string): string | undefined {
  try {
    return lstatSync(absPath).isSymbolicLink() ? readlinkSync(absPath) : undefined
  } catch {
    return undefined
  }
}

/**
 * The first byte sequence that is not UTF-8 (overlong forms, surrogates and > U+10FFFF included): where it
 * starts, and where it ends (before the byte that made it invalid, or at the end of the file).
 */
function invalidUtf8(bytes: Uint8Array): { start: number; end: number } | undefined {
  for (let i = 0; i < bytes.length;) {
    const lead = bytes[i]!
    if (lead < 0x80) {
      i++
      continue
    }
    const trail = lead >= 0xc2 && lead <= 0xdf ? 1 : lead >= 0xe0 && lead <= 0xef ? 2 : lead >= 0xf0 && lead <= 0xf4 ? 3 : 0
    if (!trail) return { start: i, end: i + 1 }
    // The second byte's range shuts out overlong forms, UTF-16 surrogates and code points past U+10FFFF.
    const low = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80
    const high = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf
    for (let k = 1; k <= trail; k++) {
      const byte = bytes[i + k]
      if (byte === undefined) return { start: i, end: bytes.length }
      if (byte < (k === 1 ? low : 0x80) || byte > (k === 1 ? high : 0xbf)) return { start: i, end: i + k }
    }
    i += trail + 1
  }
  return undefined
}

function badBytes(bytes: Buffer, start: number, end: number, shown: string, kind: 'utf8' | 'nul'): StrataError {
  // Positions in the text as migrate sends it: BOM removed, CRLF and CR counted as one line break.
  const before = normalize(bytes.subarray(0, start).toString('utf8'))
  const line = before.split('\n').length
  const column = before.length - before.lastIndexOf('\n')
  const where = `${shown}:${line}:${column}`
  const context = caretLines(normalize(bytes.toString('utf8')), line, column)
  const facts = { file: shown, line, column, context }
  if (kind === 'nul') {
    return new StrataError('files', `${where}: a NUL byte (0x00), which Postgres cannot take in query text`, {
      ...facts,
      hint: utf16(bytes) ? 'this looks like a UTF-16 file: save it as UTF-8' : 'remove the byte; migration files are UTF-8 text',
    })
  }
  const hex = [...bytes.subarray(start, end)].map((b) => `0x${b.toString(16).toUpperCase().padStart(2, '0')}`)
  return new StrataError('files', `${where}: not valid UTF-8 (${hex.join(' ')}); Strata reads migration files as UTF-8`, {
    ...facts,
    hint: utf16(bytes)
      ? 'this looks like a UTF-16 file: save it as UTF-8'
      : 'save the file as UTF-8 (it may be Latin-1 or Windows-1252: iconv -f windows-1252 -t utf-8 old.sql > new.sql), then check the text',
  })
}

/** A UTF-16 byte order mark, or ASCII text with a NUL after (or before) every character. */
function utf16(bytes: Buffer): boolean {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) return true
  return bytes.length >= 4 && (bytes[1] === 0 && bytes[3] === 0 ? bytes[0] !== 0 : bytes[0] === 0 && bytes[2] === 0 && bytes[1] !== 0)
}

export interface Directives {
  /** `-- strata:no-transaction`: run the file outside a transaction, statement by statement. */
  noTransaction: boolean
}

/**
 * The `-- strata:<name>` comments before the first statement. Whatever Postgres skips before a statement may
 * come first: a byte order mark, blank lines, `--` comments and `/* block comments *\/` (nested, as Postgres
 * reads them), with any line endings. A directive inside a block comment is text in a comment, not a directive.
 */
export function readDirectives(text: string): Directives {
  const names = directiveNames(text)
  return { noTransaction: names.has('no-transaction') }
}

/** True when `-- strata:<name>` stands in a comment before the first statement (see readDirectives). */
export function hasDirective(content: string, name: string): boolean {
  return directiveNames(content).has(name)
}

const DIRECTIVE = /^--\s*strata:([A-Za-z-]+)\s*$/

// A scan of the header only, never a split of the file: a seed file can have a million lines.
function directiveNames(text: string): Set<string> {
  const names = new Set<string>()
  let at = text.charCodeAt(0) === 0xfeff ? 1 : 0
  while (at < text.length) {
    const code = text.charCodeAt(at)
    if (code === 0x20 || (code >= 0x09 && code <= 0x0d))
      at++ // Postgres's whitespace: space, \t \n \v \f \r
    else if (text.startsWith('--', at)) {
      const end = lineEnd(text, at)
      const directive = DIRECTIVE.exec(text.slice(at, end))
      if (directive) names.add(directive[1]!)
      at = end
    } else if (text.startsWith('/*', at)) at = blockCommentEnd(text, at)
    else break
  }
  return names
}

function lineEnd(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code === 0x0a || code === 0x0d) return i
  }
  return text.length
}

function blockCommentEnd(text: string, from: number): number {
  let depth = 0
  for (let i = from; i < text.length - 1; i++) {
    if (text.startsWith('/*', i)) {
      depth++
      i++
    } else if (text.startsWith('*/', i)) {
      depth--
      i++
      if (depth === 0) return i + 1
    }
  }
  return text.length // never closed: the rest is comment
}
