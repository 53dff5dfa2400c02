/**
 * dbmate: `<version><anything>.sql` (version = the leading digits; files are ordered by name), with
 *   -- migrate:up [transaction:false]      the up section (options on the marker line)
 *   -- migrate:down [transaction:false]    the down section, required by dbmate
 * No statement may come before `-- migrate:up`. dbmate's later "several sections per file" are refused here:
 * Strata reads one up and one down section.
 */
import { byVersion, filesIn, readEntry, refuse, safeVersion, sectionedFile, type LayoutRead, type Skipped } from './folder.js'
import { at, linesOf, sectionText, sections } from './sections.js'
import type { MigrationFile } from '../runner/file-format.js'

const NAME = /^(\d+)(.*)\.sql$/
const MARKER = /^--\s*migrate:(up|down)(\s*$|\s+\S+)/

export function readDbmate(dir: string, cwd: string): LayoutRead {
  const files: MigrationFile[] = []
  const skipped: Skipped[] = []
  const problems: string[] = []
  for (const entry of filesIn(dir, cwd)) {
    const m = NAME.exec(entry.name)
    if (!m) {
      if (entry.name.toLowerCase().endsWith('.sql'))
        skipped.push({ path: entry.path, reason: 'its name does not start with a version: dbmate skips it' })
      continue
    }
    const version = safeVersion(m[1])
    if (version === undefined) {
      problems.push(`${entry.path}: version ${m[1]} is too large`)
      continue
    }
    const text = readEntry(entry)
    const parsed = parseDbmate(text, entry.path)
    if (typeof parsed === 'string') problems.push(parsed)
    else
      files.push(
        sectionedFile(version, m[2].replace(/^[_-]/, '') || m[1], entry.path, parsed.up, parsed.upNoTransaction, parsed.down, text),
      )
  }
  if (problems.length) refuse(problems, 'dbmate', dir, 'dbmate itself would stop at these too')
  return { files: byVersion(files, 'dbmate', dir), skipped }
}

export function parseDbmate(text: string, path: string) {
  const lines = linesOf(text)
  const kind = (line: string) => MARKER.exec(line)?.[1] as 'up' | 'down' | undefined
  const ups = lines.filter((l) => kind(l) === 'up').length
  if (ups > 1) return `${path}: ${ups} "-- migrate:up" sections; Strata reads one up and one down section per dbmate file`
  const { up, down } = sections(lines, kind)
  if (!up) return `${path}: no "-- migrate:up" section; dbmate requires one`
  if (!down) return `${path}: no "-- migrate:down" section; dbmate requires one (it may be empty)`
  if (down.from < up.from) return `${at(path, down.from)}: "-- migrate:down" before "-- migrate:up"; dbmate requires up first`
  const before = lines.slice(0, up.from).findIndex((line) => line.trim() !== '' && !line.trim().startsWith('--'))
  if (before !== -1) return `${at(path, before)}: SQL before "-- migrate:up"; dbmate refuses it`
  const noTransaction = (s: { marker: string }) => /\btransaction:false\b/.test(s.marker)
  return {
    up: sectionText(lines, up),
    upNoTransaction: noTransaction(up),
    down: { path: `${path} (down section)`, content: sectionText(lines, down), noTransaction: noTransaction(down) },
  }
}
