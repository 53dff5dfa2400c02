/**
 * goose (pressly/goose): `<version>_<name>.sql` (version > 0, any digits), annotated
 *   -- +goose Up / -- +goose Down            the two sections; Up comes first
 *   -- +goose StatementBegin / StatementEnd  where goose's own splitter must not split (Postgres's parser needs no help)
 *   -- +goose NO TRANSACTION                 both sections run outside a transaction
 *   -- +goose ENVSUB ON / OFF                environment substitution: refused, Strata sends the file as it is
 * Annotations are case-insensitive and stand on a line of their own. Files whose name has no numeric prefix and
 * `_` are not migrations to goose (it skips them); `.go` migrations cannot be run by Strata and are refused.
 */
import { readEntry, byVersion, filesIn, refuse, safeVersion, sectionedFile, type LayoutRead, type Skipped } from './folder.js'
import { at, linesOf, sectionText, sections } from './sections.js'
import type { MigrationFile } from '../runner/file-format.js'

const NAME = /^(\d+)_(.*)\.(sql|go)$/i
const ANNOTATIONS = ['up', 'down', 'statementbegin', 'statementend', 'no transaction', 'envsub on', 'envsub off']

export function readGoose(dir: string, cwd: string): LayoutRead {
  const files: MigrationFile[] = []
  const skipped: Skipped[] = []
  const problems: string[] = []
  for (const entry of filesIn(dir, cwd)) {
    const m = NAME.exec(entry.name)
    if (!m || !(Number(m[1]) > 0)) {
      if (entry.name.toLowerCase().endsWith('.sql')) skipped.push({ path: entry.path, reason: 'no <version>_ prefix: goose skips it' })
      continue
    }
    if (entry.name.endsWith('_test.go')) continue
    if (m[3].toLowerCase() === 'go') {
      problems.push(
        `${entry.path}: a Go migration; Strata runs SQL only (write it as SQL, or run it with goose and record it with strata repair --applied)`,
      )
      continue
    }
    const version = safeVersion(m[1])
    if (version === undefined) {
      problems.push(`${entry.path}: version ${m[1]} is too large`)
      continue
    }
    const text = readEntry(entry)
    const parsed = parseGoose(text, entry.path)
    if (typeof parsed === 'string') problems.push(parsed)
    else files.push(sectionedFile(version, m[2], entry.path, parsed.up, parsed.noTransaction, parsed.down, text))
  }
  if (problems.length)
    refuse(problems, 'goose', dir, 'goose itself would stop at these too; see https://pressly.github.io/goose/ for the annotations')
  return { files: byVersion(files, 'goose', dir), skipped }
}

/** The sections of one goose file, or what is wrong with it (as goose would say). */
export function parseGoose(text: string, path: string) {
  const lines = linesOf(text)
  let noTransaction = false
  for (const [i, line] of lines.entries()) {
    if (!/^\s*--/.test(line) || !line.includes('+goose')) continue
    const annotation = line.replace(/--/g, '').replace('+goose', '').trim().toLowerCase()
    if (/^\s/.test(line))
      return `${at(path, i)}: the annotation "${line.trim()}" is indented; goose refuses annotations with leading whitespace`
    if (!ANNOTATIONS.includes(annotation)) return `${at(path, i)}: "${line.trim()}" is not a goose annotation`
    if (annotation === 'no transaction') noTransaction = true
    if (annotation === 'envsub on')
      return `${at(path, i)}: -- +goose ENVSUB ON substitutes environment variables into the SQL; Strata sends the file as it is (write the values into the file)`
  }
  const kind = (line: string) => {
    const m = /^--\s*\+goose\s+(up|down)\s*$/i.exec(line.trim())
    return m ? (m[1].toLowerCase() as 'up' | 'down') : undefined
  }
  const { up, down } = sections(lines, kind)
  if (!up) return `${path}: no "-- +goose Up" annotation; goose requires one`
  if (down && down.from < up.from) return `${at(path, down.from)}: "-- +goose Down" before "-- +goose Up"; goose requires Up first`
  const before = lines.slice(0, up.from).findIndex((line) => line.trim() !== '' && !line.trim().startsWith('--'))
  if (before !== -1) return `${at(path, before)}: SQL before "-- +goose Up"; goose refuses it (it belongs to no section)`
  const downPath = `${path} (Down section)`
  return {
    up: sectionText(lines, up),
    noTransaction,
    down: down ? { path: downPath, content: sectionText(lines, down), noTransaction } : undefined,
  }
}
