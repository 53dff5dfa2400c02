/**
 * Folders other tools leave behind, read as those tools read them, so that a team can switch to Strata
 * without editing or renaming a file: `--layout <name>` (else STRATA_LAYOUT, else `"strata": { "layout" }` in
 * package.json, else detected when the folder leaves no doubt). Each tool has a file here; `strata` is
 * Strata's own layout (src/runner/files.ts).
 */
import type { Dirent } from 'node:fs'
import { basename, resolve } from 'node:path'
import { StrataError } from '../errors.js'
import { readDbmate } from './dbmate.js'
import { readFlyway } from './flyway.js'
import { readGoose } from './goose.js'
import { readNodePgMigrate } from './node-pg-migrate.js'
import { readPaired, type PairedTool } from './paired.js'
import { isPrismaLayout, readPrismaMigrations } from './prisma.js'
import { golangMigrate } from './golang-migrate.js'
import { sqlx } from './sqlx.js'
import { authelia } from './authelia.js'
import { postgresMigrations } from './postgres-migrations.js'
import { supabase } from './supabase.js'
import type { LayoutRead } from './folder.js'

export type { LayoutRead, Skipped } from './folder.js'

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

const PAIRED: Partial<Record<LayoutName, PairedTool>> = {
  supabase,
  'golang-migrate': golangMigrate,
  sqlx,
  authelia,
  'postgres-migrations': postgresMigrations,
}

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

/** Read a folder in another tool's layout (never `strata`: src/runner/files.ts reads that one). */
export function readLayout(layout: Exclude<LayoutName, 'strata'>, dir: string, cwd: string): LayoutRead {
  if (layout === 'prisma') return { files: readPrismaMigrations(dir, cwd), skipped: [] }
  if (layout === 'goose') return readGoose(dir, cwd)
  if (layout === 'dbmate') return readDbmate(dir, cwd)
  if (layout === 'node-pg-migrate') return readNodePgMigrate(dir, cwd)
  if (layout === 'flyway') return readFlyway(dir, cwd)
  return readPaired(PAIRED[layout]!, dir, cwd)
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
