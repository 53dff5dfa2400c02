/**
 * `strata backup`: copy the data that the pending migrations would destroy (tables they drop, truncate
 * or empty, the rows foreign keys cascade to; columns they drop, retype or overwrite) into
 * `.strata/backups/<timestamp>/`. `--all`: a full backup of the database (src/backup/full.ts), `--check`
 * restores it into a scratch database and compares. Touches nothing in the database.
 */
import { join, relative, resolve } from 'node:path'
import { resolveOptions, type CommonOptions } from '../config/index.js'
import { withTarget, type Target } from '../db/target.js'
import { readMigrations } from '../runner/files.js'
import { readLedger } from '../runner/ledger.js'
import { lintPending } from '../runner/lint-gate.js'
import { makePlan } from '../runner/plan.js'
import { backupAtRisk, type BackupResult } from '../backup/index.js'
import type { BackupProgress } from '../backup/full.js'
import type { CheckResult } from '../backup/check.js'
import type { RestoreProgress } from '../backup/restore-full.js'

export interface BackupOptions extends CommonOptions {
  /** Only the pending files up to this version (as `migrate --to` would apply). */
  to?: number
  /** Include pending files that sort before the last applied one (as `migrate --out-of-order`). */
  outOfOrder?: boolean
  /** Where backup directories go; default `.strata/backups`. With `all`: the backup directory itself. */
  root?: string
  onNote?: (message: string) => void
  /** A full backup: the ledger and every table's rows. */
  all?: boolean
  /** --all: back up even when the database does not match its history. */
  allowDrift?: boolean
  /** --all: restore into a scratch database and compare. */
  check?: boolean
  /** --check: an empty database to restore into instead of an embedded scratch Postgres. */
  scratchUrl?: string
  /** --all: schemas to leave out (a platform's own, e.g. auth, storage). */
  excludeSchemas?: string[]
  onProgress?: (event: BackupProgress | RestoreProgress) => void
}

export interface BackupCommandResult {
  target: string
  server: Target['server']
  /** The pending files that were looked at. */
  pending: string[]
  /** Null when no data the pending files put at risk exists in the database. */
  backup: BackupResult | null
}

export interface FullBackupResult {
  target: string
  server: Target['server']
  /** The backup directory, relative to cwd when inside it. */
  dir: string
  /** The last applied version: restore replays the files up to it. */
  version: number | null
  files: { file: string; table: string; rows: number; bytes: number; sha256: string }[]
  rows: number
  bytes: number
  sequences: number
  notes: string[]
  /** With --check: the restore into a scratch database and what it found. */
  check: CheckResult | null
}

export async function backup(options: BackupOptions & { all?: false }): Promise<BackupCommandResult>
export async function backup(options: BackupOptions & { all: true }): Promise<FullBackupResult>
export async function backup(options: BackupOptions): Promise<BackupCommandResult | FullBackupResult>
export async function backup(options: BackupOptions = {}): Promise<BackupCommandResult | FullBackupResult> {
  const cfg = resolveOptions(options)
  if (options.all) return backupFull(options)
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

async function backupFull(options: BackupOptions): Promise<FullBackupResult> {
  const cfg = resolveOptions(options)
  const dir = resolve(cfg.cwd, options.root ?? join('.strata', 'backups', `full-${new Date().toISOString().replace(/[:.]/g, '-')}`))
  return withTarget(
    cfg,
    () => readMigrations(cfg.dir, cfg.cwd, cfg.layout),
    async (target, files) => {
      const { backupAll } = await import('../backup/full.js')
      const manifest = await backupAll({
        sql: target.sql,
        url: target.url,
        files,
        schema: cfg.schema,
        dir,
        allowDrift: options.allowDrift,
        excludeSchemas: options.excludeSchemas,
        onProgress: options.onProgress,
      })
      let check: CheckResult | null = null
      if (options.check) {
        const { checkBackup } = await import('../backup/check.js')
        check = await checkBackup({
          source: target.sql,
          dir,
          manifest,
          files,
          scratchUrl: options.scratchUrl,
          excludeSchemas: options.excludeSchemas,
          onProgress: options.onProgress,
        })
      }
      const shown = relative(cfg.cwd, dir)
      return {
        target: target.shown,
        server: target.server,
        dir: shown.startsWith('..') ? dir : shown,
        version: manifest.ledger.at(-1)?.version ?? null,
        files: [
          ...manifest.tables.map((t) => ({ file: t.file, table: t.table, rows: t.rows, bytes: t.bytes, sha256: t.sha256 })),
          ...(manifest.events ? [{ ...manifest.events, table: `${manifest.ledgerSchema}.events` }] : []),
        ],
        rows: manifest.tables.reduce((n, t) => n + t.rows, 0),
        bytes: manifest.tables.reduce((n, t) => n + t.bytes, 0),
        sequences: manifest.sequences.length,
        notes: manifest.notes,
        check,
      }
    },
  )
}
