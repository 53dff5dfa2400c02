/**
 * `strata restore <dir>`: put a backup back.
 *   an at-risk backup (strata backup, migrate --backup, down --backup): into the database it came from
 *   a full backup (strata backup --all): into an empty database, by replaying the files and loading the rows
 */
import { resolve } from 'node:path'
import { resolveOptions, type CommonOptions } from '../config/index.js'
import { withTarget, type Target } from '../db/target.js'
import { describeTarget } from '../db/url.js'
import { readMigrations } from '../runner/files.js'
import { restoreBackup, type RestoredTable } from '../backup/restore.js'
import { isFull, readManifest } from '../backup/manifest.js'
import type { FullRestoreResult, RestoreProgress } from '../backup/restore-full.js'

export interface RestoreOptions extends CommonOptions {
  /** The backup directory. */
  dir: string
  /** The migrations directory a full backup's files are replayed from (else as for every command: STRATA_DIR, ...). */
  migrationsDir?: string
  /** Also into tables that have rows, and over column values that are not NULL. */
  force?: boolean
  /** Only these tables (`schema.name` or `name`). */
  tables?: string[]
  /** A full backup: what happens, table by table. */
  onProgress?: (event: RestoreProgress) => void
}

export interface RestoreCommandResult {
  target: string
  server: Target['server']
  backup: string
  kind: 'at-risk' | 'full'
  /** Where and when the backup was taken (masked URL). */
  takenFrom: string
  takenAt: string
  tables: RestoredTable[]
  /** Set when the backup came from another database than the one restored into. */
  otherDatabase?: string
  /** A full backup: files replayed, rows per table, sequences set. */
  full?: FullRestoreResult & { version: number | null }
}

export async function restore(options: RestoreOptions): Promise<RestoreCommandResult> {
  const cfg = resolveOptions({ ...options, dir: options.migrationsDir })
  const dir = resolve(cfg.cwd, options.dir)
  const manifest = readManifest(dir)
  const full = isFull(manifest)
  return withTarget(
    cfg,
    () => (full ? readMigrations(cfg.dir, cfg.cwd, cfg.layout) : []),
    async (target, files) => {
      const here = `${describeTarget(target.url).host}/${target.server.database}`
      const there = `${safeHost(manifest.target)}/${manifest.database}`
      const base = {
        target: target.shown,
        server: target.server,
        backup: options.dir,
        takenFrom: manifest.target,
        takenAt: manifest.createdAt,
        ...(here !== there && { otherDatabase: `the backup was taken from ${there}; restored into ${here}` }),
      }
      if (isFull(manifest)) {
        const { restoreFull } = await import('../backup/restore-full.js')
        const result = await restoreFull({
          sql: target.sql,
          shown: target.shown,
          openSide: () => target.side(),
          files,
          dir,
          manifest,
          schema: options.schema ?? manifest.ledgerSchema,
          onProgress: options.onProgress,
        })
        return { ...base, kind: 'full', tables: [], full: { ...result, version: manifest.ledger.at(-1)?.version ?? null } }
      }
      const result = await restoreBackup({ sql: target.sql, dir, force: options.force, tables: options.tables })
      return { ...base, kind: 'at-risk', tables: result.tables }
    },
  )
}

function safeHost(url: string): string {
  try {
    return describeTarget(url).host
  } catch {
    return url
  }
}
