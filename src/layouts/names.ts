/**
 * The layouts Strata reads and how a folder shows its layout by its names alone: all that a run in Strata's own
 * layout needs. The readers of the other tools' folders (index.ts) load only when a folder is one of theirs.
 */
import { existsSync, readdirSync, type Dirent } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import { StrataError } from '../errors.js'

export const LAYOUTS = [
  'strata',
  'prisma',
  'supabase',
  'dbmate',
  'goose',
  'golang-migrate',
  'flyway',
  'sqlx',
  'node-pg-migrate',
  'postgres-migrations',
  'authelia',
] as const
export type LayoutName = (typeof LAYOUTS)[number]

/** A layout name as given by a flag, the environment or package.json, checked. */
export function layoutName(value: unknown, source: string): LayoutName {
  if (typeof value === 'string' && (LAYOUTS as readonly string[]).includes(value)) return value as LayoutName
  throw new StrataError(
    source === 'package.json "strata.layout"' ? 'config' : 'usage',
    `${source}: unknown layout ${JSON.stringify(value)}`,
    {
      hint: `the layouts Strata reads: ${LAYOUTS.join(', ')}`,
    },
  )
}

const PRISMA_LOCK = 'migration_lock.toml'

/** A Prisma migrations folder: it has Prisma's lock file, or subfolders holding a migration.sql. */
export function isPrismaLayout(absDir: string, entries?: Dirent[]): boolean {
  if (existsSync(join(absDir, PRISMA_LOCK))) return true
  try {
    // Only folders can hold one: a history of 5,000 .sql files is not 5,000 existsSync calls.
    return (entries ?? readdirSync(absDir, { withFileTypes: true })).some(
      (entry) => !entry.isFile() && existsSync(join(absDir, entry.name, 'migration.sql')),
    )
  } catch {
    return false
  }
}

/**
 * The layout a folder's names show without doubt, or why there is doubt. Content markers (goose, dbmate,
 * node-pg-migrate) are found while Strata's own reader reads the files (src/runner/files.ts).
 */
export function detectByNames(absDir: string, dirents: Dirent[]): { layout?: LayoutName; doubt?: string } {
  if (isPrismaLayout(absDir, dirents)) return { layout: 'prisma' }
  const sql = dirents.filter((d) => !d.isDirectory() && d.name.toLowerCase().endsWith('.sql')).map((d) => d.name)
  if (basename(absDir) === 'migrations' && basename(resolve(absDir, '..')) === 'supabase') return { layout: 'supabase' }
  if (!sql.length) return {}
  const every = (re: RegExp) => sql.every((n) => re.test(n))
  if (every(/^[VUR][0-9._]*__.+\.sql$/)) return { layout: 'flyway' }
  if (every(/^V\d{4}\.[^.]+\.(up|down)\.sql$/)) return { layout: 'authelia' }
  if (sql.some((n) => /^\d+_.*\.up\.sql$/.test(n)))
    return {
      doubt:
        'its files are named <version>_<name>.up.sql, as golang-migrate and sqlx name them: pass --layout golang-migrate or --layout sqlx',
    }
  if (every(/^\d+-.*\.sql$/))
    return { doubt: 'its files are named <id>-<name>.sql: pass --layout postgres-migrations if that is the tool that wrote them' }
  return {}
}
