/**
 * Migration layouts other tools leave behind, read as Strata migrations so that a team can switch tools
 * without renaming a file. Prisma: `prisma/migrations/<timestamp>_<name>/migration.sql` becomes
 * version = timestamp, name = name; folders in name order, as Prisma applies them.
 */
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { StrataError } from '../errors.js'
import { checksum, readDirectives, readMigrationText, type MigrationFile } from '../runner/file-format.js'
export { isPrismaLayout } from './names.js'

const PRISMA_DIR = /^(\d+)_([A-Za-z0-9_-]+)$/

/** Every `<timestamp>_<name>/migration.sql`, sorted by version. A folder that does not fit is an error, never skipped. */
export function readPrismaMigrations(dir: string, cwd = process.cwd()): MigrationFile[] {
  const abs = resolve(cwd, dir)
  const show = (...parts: string[]) => relative(cwd, join(abs, ...parts)) || parts.join('/')
  const files: MigrationFile[] = []
  const bad: string[] = []
  for (const entry of readdirSync(abs).sort()) {
    const path = join(abs, entry)
    if (!isDirectory(path)) {
      if (entry.toLowerCase().endsWith('.sql')) bad.push(`${show(entry)} (a .sql file beside Prisma's migration folders)`)
      continue
    }
    const m = PRISMA_DIR.exec(entry)
    if (!m || !Number.isSafeInteger(Number(m[1]))) {
      bad.push(`${show(entry)} (folder name is not <timestamp>_<name>)`)
      continue
    }
    if (!existsSync(join(path, 'migration.sql'))) {
      bad.push(`${show(entry)} (no migration.sql inside)`)
      continue
    }
    const shown = show(entry, 'migration.sql')
    const content = readMigrationText(join(path, 'migration.sql'), shown)
    files.push({
      version: Number(m[1]),
      name: m[2],
      path: shown,
      content,
      checksum: checksum(content),
      noTransaction: readDirectives(content).noTransaction,
    })
  }
  if (bad.length) {
    throw new StrataError('files', `the Prisma migrations folder ${dir} has entries that are not migrations:\n  ${bad.join('\n  ')}`, {
      file: bad[0],
      hint: 'each migration is a folder <timestamp>_<name> with a migration.sql inside',
    })
  }
  return withDistinctVersions(files)
}

/**
 * Prisma orders folders by name, so two folders may share a timestamp. The ledger keys rows by version: the
 * second of a timestamp gets timestamp + 1 (the third + 2, …), which keeps Prisma's order as long as no folder
 * has that later timestamp; one that does is refused, naming both.
 */
function withDistinctVersions(files: MigrationFile[]): MigrationFile[] {
  const taken = new Set(files.map((f) => f.version))
  for (let i = 1, k = 1; i < files.length; i++) {
    const first = files[i - k]
    if (Number(/^(\d+)_/.exec(prismaMigrationName(files[i]))![1]) !== Number(/^(\d+)_/.exec(prismaMigrationName(first))![1])) {
      k = 1
      continue
    }
    const version = first.version + k++
    if (taken.has(version))
      throw new StrataError(
        'files',
        `${files[i].path} shares its timestamp with ${first.path}, and a later folder has version ${version}`,
        {
          file: files[i].path,
          hint: 'Strata gives the second folder of a timestamp the next second as its ledger version; rename one of the folders to a free timestamp',
        },
      )
    taken.add(version)
    files[i].version = version
  }
  return files
}

/** A dangling symbolic link is not a folder (and, named like a .sql file, is reported as one). */
function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

/** Prisma's checksum: sha256 hex of the file's raw bytes (Strata's own strips a BOM and CRs first). */
export function prismaChecksum(file: MigrationFile, cwd = process.cwd()): string {
  return sha256(readFileSync(resolve(cwd, file.path)))
}

/**
 * Whether a file matches the checksum Prisma recorded. Like Prisma, a checkout with other line endings
 * (git on Windows) still matches: the raw bytes, or the text with LF or with CRLF line endings.
 */
export function matchesPrismaChecksum(file: MigrationFile, recorded: string, cwd = process.cwd()): boolean {
  const raw = readFileSync(resolve(cwd, file.path))
  const text = raw.toString('utf8')
  const lf = text.replace(/\r\n/g, '\n')
  return [sha256(raw), sha256(Buffer.from(lf)), sha256(Buffer.from(lf.replace(/\n/g, '\r\n')))].includes(recorded.toLowerCase())
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex')

/** The name Prisma records in `_prisma_migrations.migration_name`: the folder name (or the file's, once renamed to Strata's layout). */
export function prismaMigrationName(file: MigrationFile): string {
  const parts = file.path.replace(/\\/g, '/').split('/')
  const last = parts[parts.length - 1]
  if (last === 'migration.sql' && parts.length > 1) return parts[parts.length - 2]
  return last.replace(/\.sql$/i, '')
}
