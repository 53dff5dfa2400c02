/**
 * node-pg-migrate's SQL migrations: `<number>_<name>.sql`, with `-- Up Migration` and `-- Down Migration`
 * comments (any case; dashes and spaces between `--` and the words). Without an up marker the whole file is
 * the up migration. Files are ordered by their numeric prefix; a 17-digit prefix is a UTC time
 * (YYYYMMDDHHmmssSSS) and counts as its milliseconds, as node-pg-migrate counts it. The name recorded in its
 * `pgmigrations` table is the file name without `.sql`. JavaScript and TypeScript migrations are refused.
 */
import { byVersion, filesIn, readEntry, refuse, sectionedFile, type LayoutRead, type Skipped } from './folder.js'
import { linesOf, sectionText, sections } from './sections.js'
import type { MigrationFile } from '../runner/file-format.js'

const MARKER = /^\s*--[\s-]*(up|down)\s+migration/i
const CODE = /\.(js|cjs|mjs|ts|cts|mts)$/

export function readNodePgMigrate(dir: string, cwd: string): LayoutRead {
  const files: MigrationFile[] = []
  const skipped: Skipped[] = []
  const problems: string[] = []
  for (const entry of filesIn(dir, cwd)) {
    if (entry.name.startsWith('.')) continue
    if (CODE.test(entry.name)) {
      problems.push(`${entry.path}: a JavaScript/TypeScript migration; Strata runs SQL only`)
      continue
    }
    if (!entry.name.toLowerCase().endsWith('.sql')) continue
    const version = numericPrefix(entry.name)
    if (version === undefined) {
      skipped.push({ path: entry.path, reason: 'no numeric prefix: node-pg-migrate cannot order it' })
      continue
    }
    const lines = linesOf(readEntry(entry))
    const { up, down } = sections(lines, (line) => MARKER.exec(line)?.[1].toLowerCase() as 'up' | 'down' | undefined)
    const upSection = up ?? { from: 0, to: down && down.from > 0 ? down.from : lines.length, marker: '' }
    const name = entry.name.slice(0, -'.sql'.length).replace(/^\d+_?/, '')
    const downSection = down && { path: `${entry.path} (Down Migration)`, content: sectionText(lines, down), noTransaction: false }
    files.push(sectionedFile(version, name, entry.path, sectionText(lines, upSection), false, downSection))
  }
  if (problems.length) refuse(problems, 'node-pg-migrate', dir, 'convert them to SQL migrations')
  return { files: byVersion(files, 'node-pg-migrate', dir), skipped }
}

/** node-pg-migrate's getNumericPrefix: the leading digits; 17 of them are a UTC timestamp with milliseconds. */
export function numericPrefix(name: string): number | undefined {
  const digits = /^\d+/.exec(name)?.[0]
  if (!digits) return undefined
  if (digits.length === 17) {
    const [y, mo, d, h, mi, s, ms] = [0, 4, 6, 8, 10, 12, 14].map((i, k, all) => digits.slice(i, all[k + 1] ?? 17))
    const time = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}Z`)
    return Number.isNaN(time) ? undefined : time
  }
  const n = Number(digits)
  return Number.isSafeInteger(n) ? n : undefined
}
