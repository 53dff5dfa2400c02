/**
 * What every layout of another tool needs from a folder: its .sql files as that tool lists them, read as
 * Strata reads any migration (bytes, UTF-8, located refusals), turned into MigrationFiles, and the errors
 * that name what does not fit.
 */
import { readdirSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { StrataError } from '../errors.js'
import { checksum, readDirectives, readMigrationText, type DownSection, type MigrationFile } from '../runner/file-format.js'

export interface Entry {
  /** The file's name, or its path below the folder for a tool that reads subfolders (Flyway). */
  name: string
  /** As the user should read it (relative to the working directory). */
  path: string
  abs: string
}

/** A file the tool itself skips, and why; listed so that nothing is skipped silently. */
export interface Skipped {
  path: string
  reason: string
}

export interface LayoutRead {
  files: MigrationFile[]
  skipped: Skipped[]
}

export function folderOf(dir: string, cwd: string): { abs: string; show: (...parts: string[]) => string } {
  const abs = resolve(cwd, dir)
  try {
    if (!statSync(abs).isDirectory()) throw new Error('not a directory')
  } catch (e) {
    throw new StrataError('config', `cannot read the migrations directory ${dir}: ${(e as Error).message}`, {
      file: dir,
      hint: 'pass --dir <path>, set STRATA_DIR, or create core/migrations or migrations',
    })
  }
  return { abs, show: (...parts) => relative(cwd, join(abs, ...parts)) || parts.join('/') }
}

/** The files of a folder (not its subfolders, unless `deep`), by name; dangling links and the like are files too (they are refused when read). */
export function filesIn(dir: string, cwd: string, deep = false): Entry[] {
  const { abs, show } = folderOf(dir, cwd)
  const found: Entry[] = []
  const walk = (sub: string) => {
    for (const dirent of readdirSync(join(abs, sub), { withFileTypes: true })) {
      const name = sub ? `${sub}/${dirent.name}` : dirent.name
      if (dirent.isDirectory() || (dirent.isSymbolicLink() && isDirectory(join(abs, name)))) {
        if (deep && !dirent.name.startsWith('.')) walk(name)
        continue
      }
      found.push({ name, path: show(name), abs: join(abs, name) })
    }
  }
  walk('')
  return found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

export const readEntry = (entry: Entry): string => readMigrationText(entry.abs, entry.path)

/** A MigrationFile whose whole text runs (no sections), its checksum Strata's own. Strata's own directives hold in every layout. */
export function wholeFile(version: number, name: string, path: string, content: string, extra: Partial<MigrationFile> = {}): MigrationFile {
  return {
    version,
    name,
    path,
    content,
    checksum: checksum(content),
    ...extra,
    noTransaction: !!extra.noTransaction || readDirectives(content).noTransaction,
  }
}

/**
 * A file whose up section is only part of its text: `content` is that section (lines before it blank, so that
 * errors keep the file's own line numbers); the checksum covers the up section alone, so that mending a down
 * section of an applied file is not an edit of history.
 */
export function sectionedFile(
  version: number,
  name: string,
  path: string,
  up: string,
  noTransaction: boolean,
  down?: DownSection,
  whole = up,
): MigrationFile {
  noTransaction ||= readDirectives(whole).noTransaction // Strata's own directive holds in every layout
  return { version, name, path, content: up, checksum: checksum(up), noTransaction, ...(down ? { down } : {}) }
}

/** A version that JavaScript and a bigint ledger column both hold exactly, or undefined. */
export function safeVersion(digits: string): number | undefined {
  const n = Number(digits)
  return digits !== '' && Number.isSafeInteger(n) ? n : undefined
}

/** Refuse, naming every entry, the things a tool would itself refuse. */
export function refuse(problems: string[], tool: string, dir: string, hint: string): never {
  throw new StrataError(
    'files',
    `${problems.length === 1 ? 'an entry' : `${problems.length} entries`} of ${dir} cannot be read as ${tool} reads them:\n  ${problems.join('\n  ')}`,
    { file: problems[0]?.split(' ')[0], problems, hint },
  )
}

/** Sort by version and refuse two files with one version, naming both. */
export function byVersion(files: MigrationFile[], tool: string, dir: string): MigrationFile[] {
  files.sort((a, b) => a.version - b.version || a.path.localeCompare(b.path))
  const clashes: string[] = []
  for (let i = 1; i < files.length; i++)
    if (files[i].version === files[i - 1].version) clashes.push(`${files[i - 1].path} and ${files[i].path} (version ${files[i].version})`)
  if (clashes.length) refuse(clashes, tool, dir, `${tool} refuses two migrations with one version too: give one of them another version`)
  return files
}
