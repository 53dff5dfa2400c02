/**
 * Folders other tools leave behind, read as those tools read them, so that a team can switch to Strata
 * without editing or renaming a file: `--layout <name>` (else STRATA_LAYOUT, else `"strata": { "layout" }` in
 * package.json, else detected when the folder leaves no doubt). Each tool has a file here; `strata` is
 * Strata's own layout (src/runner/files.ts).
 */
import { readDbmate } from './dbmate.js'
import { readFlyway } from './flyway.js'
import { readGoose } from './goose.js'
import { readNodePgMigrate } from './node-pg-migrate.js'
import { readPaired, type PairedTool } from './paired.js'
import { readPrismaMigrations } from './prisma.js'
import { golangMigrate } from './golang-migrate.js'
import { sqlx } from './sqlx.js'
import { authelia } from './authelia.js'
import { postgresMigrations } from './postgres-migrations.js'
import { supabase } from './supabase.js'
import type { LayoutRead } from './folder.js'
import type { LayoutName } from './names.js'

export { LAYOUTS, layoutName, detectByNames, isPrismaLayout, type LayoutName } from './names.js'

export type { LayoutRead, Skipped } from './folder.js'

const PAIRED: Partial<Record<LayoutName, PairedTool>> = {
  supabase,
  'golang-migrate': golangMigrate,
  sqlx,
  authelia,
  'postgres-migrations': postgresMigrations,
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
