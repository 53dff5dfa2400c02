/**
 * Migration files on disk: discovery and naming rules. The format itself (checksums, directives) is in
 * file-format.ts; other tools' layouts are in src/layouts/.
 */
import { readdirSync, statSync, type Dirent } from 'node:fs'
import { join, relative, resolve, sep } from 'node:path'
import { StrataError } from '../errors.js'
import { isPrismaLayout, readPrismaMigrations } from '../layouts/prisma.js'
import { checksum, DOWN, readDirectives, readMigrationText, UP, type MigrationFile } from './file-format.js'

export { resolveDir } from '../config/dir.js'

/** Read every migration in `dir`, sorted by the integer value of the version. Bad names are errors, never skipped. */
export function readMigrations(dir: string, cwd = process.cwd()): MigrationFile[] {
  const reading = migrationReader(dir, cwd)
  for (;;) {
    const step = reading.next()
    if (step.done) return step.value
  }
}

/**
 * `readMigrations`, letting the event loop run every few files: a connection opened meanwhile logs in while
 * the files are read and hashed, instead of after (src/db/target.ts).
 */
export async function readMigrationsMeanwhile(dir: string, cwd = process.cwd()): Promise<MigrationFile[]> {
  const reading = migrationReader(dir, cwd)
  for (;;) {
    const step = reading.next()
    if (step.done) return step.value
    await new Promise(setImmediate)
  }
}

/** Files read between two pauses of `readMigrationsMeanwhile`: about a millisecond of work. */
const FILES_PER_PAUSE = 25

function* migrationReader(dir: string, cwd: string): Generator<void, MigrationFile[], void> {
  const abs = resolve(cwd, dir)
  let dirents: Dirent[]
  try {
    if (!statSync(abs).isDirectory()) throw new Error('not a directory')
    dirents = readdirSync(abs, { withFileTypes: true })
  } catch (e) {
    throw new StrataError('config', `cannot read the migrations directory ${dir}: ${(e as Error).message}`, {
      file: dir,
      hint: 'pass --dir <path>, set STRATA_DIR, or create core/migrations or migrations',
    })
  }
  // A Prisma folder (<timestamp>_<name>/migration.sql) runs as it is, so a team can leave Prisma Migrate without renaming.
  if (isPrismaLayout(abs, dirents)) return readPrismaMigrations(dir, cwd)
  const shownDir = relative(cwd, abs)
  const show = (f: string) => (shownDir ? shownDir + sep + f : f) // a plain name in a normalized directory: no join needed
  const ups: MigrationFile[] = []
  const downs = new Map<string, string>()
  const badNames: string[] = []
  const stems = new Map<MigrationFile, string>()
  for (const dirent of dirents) {
    const entry = dirent.name
    if (!entry.toLowerCase().endsWith('.sql')) continue
    const down = DOWN.exec(entry)
    if (down) {
      downs.set(entry.slice(0, -'.down.sql'.length), show(entry))
      continue
    }
    const up = UP.exec(entry)
    if (!up) {
      badNames.push(show(entry))
      continue
    }
    const version = Number(up[1])
    if (!Number.isSafeInteger(version)) {
      badNames.push(`${show(entry)} (version too large)`)
      continue
    }
    const path = show(entry)
    const content = readMigrationText(join(abs, entry), path, dirent.isFile())
    const file: MigrationFile = {
      version,
      name: up[2],
      path,
      content,
      checksum: checksum(content),
      noTransaction: readDirectives(content).noTransaction,
    }
    stems.set(file, entry.slice(0, -'.sql'.length))
    if (ups.push(file) % FILES_PER_PAUSE === 0) yield
  }
  if (badNames.length) {
    throw new StrataError(
      'files',
      `${badNames.length === 1 ? 'a file does' : `${badNames.length} files do`} not match <version>_<name>.sql or <version>_<name>.down.sql:\n  ${badNames.join('\n  ')}`,
      { file: badNames[0], hint: 'rename them (version = digits, name = letters, digits, _ and -), or move them out of the directory' },
    )
  }
  ups.sort((a, b) => a.version - b.version || a.path.localeCompare(b.path))
  const clashes: string[] = []
  for (let i = 1; i < ups.length; i++) {
    if (ups[i].version === ups[i - 1].version) clashes.push(`version ${ups[i].version}: ${ups[i - 1].path} and ${ups[i].path}`)
  }
  if (clashes.length) {
    throw new StrataError('files', `duplicate migration versions:\n  ${clashes.join('\n  ')}`, {
      file: ups.find((u) => clashes[0].includes(u.path))?.path,
      hint: 'give each file its own version number (strata new <name> picks the next one)',
    })
  }
  for (const up of ups) {
    const down = downs.get(stems.get(up)!)
    if (down) up.downPath = down
  }
  return ups
}
