/**
 * `strata backup`: copy the data that the pending migrations would destroy (tables they drop, truncate
 * or empty; columns they drop, retype or overwrite) into `.strata/backups/<timestamp>/`. Touches nothing.
 */
import { resolveOptions, type CommonOptions } from '../config/index.js'
import { withTarget, type Target } from '../db/target.js'
import { readMigrations } from '../runner/files.js'
import { readLedger } from '../runner/ledger.js'
import { lintPending } from '../runner/lint-gate.js'
import { makePlan } from '../runner/plan.js'
import { backupAtRisk, type BackupResult } from '../backup/index.js'

export interface BackupOptions extends CommonOptions {
  /** Only the pending files up to this version (as `migrate --to` would apply). */
  to?: number
  /** Include pending files that sort before the last applied one (as `migrate --out-of-order`). */
  outOfOrder?: boolean
  /** Where backup directories go; default `.strata/backups`. */
  root?: string
  onNote?: (message: string) => void
}

export interface BackupCommandResult {
  target: string
  server: Target['server']
  /** The pending files that were looked at. */
  pending: string[]
  /** Null when no data the pending files put at risk exists in the database. */
  backup: BackupResult | null
}

export async function backup(options: BackupOptions = {}): Promise<BackupCommandResult> {
  const cfg = resolveOptions(options)
  return withTarget(
    cfg,
    () => readMigrations(cfg.dir, cfg.cwd, cfg.layout),
    async (target, files) => {
      const plan = makePlan(files, await readLedger(target.sql, cfg.schema), { to: options.to, outOfOrder: options.outOfOrder })
      const { findings } = await lintPending(plan.pending, { cwd: cfg.cwd, gate: false })
      const result = await backupAtRisk({
        sql: target.sql,
        files: plan.pending,
        findings,
        cwd: cfg.cwd,
        target: target.url,
        root: options.root,
        onNote: options.onNote,
      })
      return { target: target.shown, server: target.server, pending: plan.pending.map((f) => f.path), backup: result }
    },
  )
}
