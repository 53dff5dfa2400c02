/** `strata restore <dir>`: put a backup taken by `strata backup` (or `migrate --backup`) back. */
import { resolve } from 'node:path'
import { resolveOptions, type CommonOptions } from '../config/index.js'
import { withTarget, type Target } from '../db/target.js'
import { describeTarget } from '../db/url.js'
import { restoreBackup, type RestoredTable } from '../backup/restore.js'

export interface RestoreOptions extends CommonOptions {
  dir: string
  /** Also into tables that have rows, and over column values that are not NULL. */
  force?: boolean
  /** Only these tables (`schema.name` or `name`). */
  tables?: string[]
}

export interface RestoreCommandResult {
  target: string
  server: Target['server']
  backup: string
  /** Where and when the backup was taken (masked URL). */
  takenFrom: string
  takenAt: string
  tables: RestoredTable[]
  /** Set when the backup came from another database than the one restored into. */
  otherDatabase?: string
}

export async function restore(options: RestoreOptions): Promise<RestoreCommandResult> {
  const cfg = resolveOptions(options)
  const dir = resolve(cfg.cwd, options.dir)
  return withTarget(
    cfg,
    () => undefined,
    async (target) => {
      const result = await restoreBackup({ sql: target.sql, dir, force: options.force, tables: options.tables })
      const { manifest } = result
      const here = `${describeTarget(target.url).host}/${target.server.database}`
      const there = `${safeHost(manifest.target)}/${manifest.database}`
      return {
        target: target.shown,
        server: target.server,
        backup: options.dir,
        takenFrom: manifest.target,
        takenAt: manifest.createdAt,
        tables: result.tables,
        ...(here !== there && { otherDatabase: `the backup was taken from ${there}; restored into ${here}` }),
      }
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
