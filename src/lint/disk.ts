/**
 * The lint configuration of a project on disk: rule settings, and the two things rules may look up besides the
 * file they check (whether its down file exists; the files before it, read only when a rule asks). Built the
 * same way by `strata lint` and by `migrate`'s lint step.
 */
import { existsSync, readdirSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { readMigrationText } from '../runner/file-format.js'
import type { EarlierFiles, Source } from './history.js'
import type { LintConfig, SeveritySetting } from './types.js'

/**
 * `known`: sources already read; earlier files among them are not read again. `history`: the migration history
 * in the order the runner applies it (any layout), when the caller has read it; for a file outside it, the files
 * before it are the numbered files beside it.
 */
export function lintConfigOnDisk(
  cwd: string,
  rules: Record<string, SeveritySetting>,
  known: Source[] = [],
  history?: readonly Source[],
): LintConfig {
  const contents = new Map(known.map((source) => [source.path, source.content]))
  const onDisk = earlierOnDisk(
    (path) => resolve(cwd, path),
    (path) => contents.get(path) ?? readMigrationText(resolve(cwd, path), path),
  )
  const inHistory = history && earlierInHistory(history)
  return {
    rules,
    fileExists: (path) => existsSync(resolve(cwd, path)),
    earlier: inHistory ? (path) => inHistory(path) ?? onDisk(path) : onDisk,
  }
}

function earlierInHistory(history: readonly Source[]): EarlierFiles {
  const index = new Map(history.map((file, i) => [file.path, i]))
  return (path) => {
    const at = index.get(path)
    return at === undefined ? undefined : history.slice(0, at)
  }
}

const VERSIONED = /^(\d+)_[A-Za-z0-9_-]+(\.sql)?$/

interface Versioned extends Source {
  version: number
}

/**
 * The files before a migration file on disk: the up files beside it with a smaller version (or, in a Prisma
 * folder, the `migration.sql` of the folders before its own), read with `read` once per folder.
 */
export function earlierOnDisk(resolvePath: (path: string) => string, read: (path: string) => string): EarlierFiles {
  const folders = new Map<string, Versioned[]>()
  return (path) => {
    const name = basename(path)
    const prisma = name === 'migration.sql'
    const own = VERSIONED.exec(prisma ? basename(dirname(path)) : name)
    if (!own || name.endsWith('.down.sql')) return undefined
    const parent = prisma ? dirname(dirname(path)) : dirname(path)
    const key = `${prisma}:${parent}`
    let files = folders.get(key)
    if (!files) folders.set(key, (files = readFolder(parent, prisma, resolvePath, read)))
    const version = Number(own[1])
    let end = 0
    while (end < files.length && files[end]!.version < version) end++
    return files.slice(0, end)
  }
}

function readFolder(parent: string, prisma: boolean, resolvePath: (path: string) => string, read: (path: string) => string): Versioned[] {
  let entries: string[]
  try {
    entries = readdirSync(resolvePath(parent))
  } catch {
    return []
  }
  const files: Versioned[] = []
  for (const entry of entries) {
    const version = VERSIONED.exec(entry)?.[1]
    if (version === undefined || entry.endsWith('.down.sql') || entry.endsWith('.sql') === prisma) continue
    const path = prisma ? join(parent, entry, 'migration.sql') : join(parent, entry)
    try {
      files.push({ path, content: read(path), version: Number(version) })
    } catch {
      // a folder without migration.sql, or an unreadable file: the runner refuses it by name; here it just says nothing
    }
  }
  return files.sort((a, b) => a.version - b.version)
}
