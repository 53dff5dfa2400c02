/**
 * Layouts with one file per direction (or per migration), read by a name pattern: golang-migrate, sqlx,
 * Authelia's migrator, postgres-migrations and the Supabase CLI each describe their names in a file of their
 * own; this is the reader they share.
 */
import { byVersion, filesIn, readEntry, refuse, safeVersion, wholeFile, type Entry, type LayoutRead, type Skipped } from './folder.js'
import type { MigrationFile } from '../runner/file-format.js'

export interface PairedTool {
  /** The tool's name, for messages. */
  tool: string
  /** version, name, direction ('up' | 'down'; undefined for a file with no direction suffix) */
  match(name: string): { version: string; name: string; direction?: 'up' | 'down' } | undefined
  /** Why a .sql file that does not match is skipped; undefined: such a file is refused. */
  skipReason?: string
  /** Version 0 is a migration (golang-migrate, Authelia); elsewhere it is refused. */
  zeroAllowed?: boolean
  noTransaction?(text: string): boolean
  check?(files: MigrationFile[], dir: string): void
}

/** `re` captures version, name and direction. */
export function pattern(re: RegExp) {
  return (name: string) => {
    const m = re.exec(name)
    return m ? { version: m[1], name: m[2], direction: m[3] as 'up' | 'down' | undefined } : undefined
  }
}

export function readPaired(tool: PairedTool, dir: string, cwd: string): LayoutRead {
  const ups: { entry: Entry; version: number; name: string }[] = []
  const downs = new Map<number, Entry>()
  const skipped: Skipped[] = []
  const problems: string[] = []
  for (const entry of filesIn(dir, cwd)) {
    if (!entry.name.toLowerCase().endsWith('.sql')) continue
    const m = tool.match(entry.name)
    if (!m) {
      if (tool.skipReason) skipped.push({ path: entry.path, reason: tool.skipReason })
      else problems.push(`${entry.path}: not a ${tool.tool} file name`)
      continue
    }
    const version = safeVersion(m.version)
    if (version === undefined || (version === 0 && !tool.zeroAllowed)) {
      problems.push(`${entry.path}: version ${m.version} is ${version === 0 ? 'zero' : 'too large'}`)
      continue
    }
    if (m.direction === 'down') {
      if (downs.has(version)) problems.push(`${entry.path} and ${downs.get(version)!.path}: two down files for version ${version}`)
      downs.set(version, entry)
    } else ups.push({ entry, version, name: m.name })
  }
  if (problems.length) refuse(problems, tool.tool, dir, `${tool.tool} would not read these either`)
  const files = ups.map(({ entry, version, name }) => {
    const content = readEntry(entry)
    const down = downs.get(version)
    downs.delete(version)
    return wholeFile(version, name, entry.path, content, {
      noTransaction: tool.noTransaction?.(content) ?? false,
      ...(down ? { downPath: down.path } : {}),
    })
  })
  for (const orphan of downs.values()) skipped.push({ path: orphan.path, reason: 'a down file without its up file' })
  byVersion(files, tool.tool, dir)
  tool.check?.(files, dir)
  return { files, skipped }
}
