/**
 * `strata migrate`: check history, lint what is pending, then apply it in order (see src/apply.ts for how a
 * file is applied). Refuses before anything runs when history was edited or lint finds errors.
 */
import { resolveOptions, type CommonOptions } from '../config/index.js'
import { withTarget, type Target } from '../db/target.js'
import { describeTarget } from '../db/url.js'
import type { Sql } from '../db/connect.js'
import { StrataError } from '../errors.js'
import { readMigrationsMeanwhile } from '../runner/files.js'
import { normalize, type MigrationFile } from '../runner/file-format.js'
import { ensureLedger, readLedgerState, recordEvent, type LedgerRow } from '../runner/ledger.js'
import { describeBlocker, makePlan, type Plan } from '../runner/plan.js'
import { migrationFailure } from '../runner/failure.js'
import { lintPending, type LintSummary } from '../runner/lint-gate.js'
import { collectEvery } from '../cli/gc.js'
import { applyAllInOneTransaction, applyEach, type Applied, type ApplyContext, type TransactionMode } from '../runner/apply.js'
import { pgDuration as checkDuration } from '../config/duration.js'

export type { TransactionMode }
export type AppliedFile = Applied

export interface MigrateOptions extends CommonOptions {
  /** Stop after this version. */
  to?: number
  dryRun?: boolean
  /** Apply pending files that sort before the last applied one. */
  outOfOrder?: boolean
  /** All pending files in one transaction: all or nothing. */
  singleTransaction?: boolean
  /** SET LOCAL lock_timeout for each file, e.g. '10s'; '0' turns it off. */
  lockTimeout?: string
  /** SET LOCAL statement_timeout for each file; default off. */
  statementTimeout?: string
  /** How long to wait for another runner's lock, in milliseconds (default 60 000). */
  waitMs?: number
  /** Let destructive lint findings through. */
  allowDestructive?: boolean
  /** Per-rule severity overrides, `<rule>=off|warning|error`. */
  rules?: string[]
  /** Before a run with destructive statements, copy the data they put at risk into .strata/backups/. */
  backup?: boolean
  /** Confirm without asking (destructive statements on a non-local database without --backup). */
  yes?: boolean
  /** Ask a person; absent when there is none (then a question that needs an answer refuses). */
  confirm?: (question: string) => Promise<boolean>
  onProgress?: (event: Progress) => void
}

export type Progress =
  | { type: 'start'; file: MigrationFile; mode: TransactionMode }
  | { type: 'applied'; file: MigrationFile; ms: number }
  | { type: 'skipped'; file: MigrationFile; reason: string }
  | { type: 'waiting'; message: string }
  | { type: 'note'; message: string }
  | { type: 'backup'; dir: string; tables: { table: string; rows: number }[] }

export interface MigrateResult {
  target: string
  server: { version: string; database: string; user: string }
  dryRun: boolean
  /** What would run (dry run) or what was pending at the start. */
  plan: { version: number; name: string; path: string; mode: TransactionMode }[]
  applied: AppliedFile[]
  /** Applied meanwhile by a concurrent runner. */
  skipped: number[]
  lint: LintSummary
  /** Where `--backup` put the data at risk, when there was any. */
  backup: { dir: string; tables: { table: string; rows: number }[] } | null
}

export async function migrate(options: MigrateOptions = {}): Promise<MigrateResult> {
  const cfg = resolveOptions(options)
  const timeouts = {
    lock_timeout: checkDuration('--lock-timeout', options.lockTimeout ?? '10s'),
    statement_timeout: checkDuration('--statement-timeout', options.statementTimeout ?? '0'),
  }
  const waitMs = options.waitMs ?? 60_000
  const progress = options.onProgress ?? (() => {})
  const onWait = (message: string) => progress({ type: 'waiting', message })

  return withTarget(
    cfg,
    () => readMigrationsMeanwhile(cfg.dir, cfg.cwd),
    async (target, files) => {
      const ledger = await settledLedger(target.sql, cfg.schema, waitMs, onWait)
      const plan = makePlan(files, ledger.rows, { outOfOrder: options.outOfOrder, to: options.to, dir: cfg.dir })
      refuseBlockers(plan)
      const modeOf = (f: MigrationFile): TransactionMode =>
        f.noTransaction ? 'no-transaction' : options.singleTransaction ? 'single-transaction' : 'transaction'
      const result: MigrateResult = {
        target: target.shown,
        server: target.server,
        dryRun: !!options.dryRun,
        plan: plan.pending.map((f) => ({ version: f.version, name: f.name, path: f.path, mode: modeOf(f) })),
        applied: [],
        skipped: [],
        backup: null,
        lint: await lintPending(plan.pending, {
          cwd: cfg.cwd,
          rules: options.rules,
          allowDestructive: options.allowDestructive,
          gate: !options.dryRun,
        }),
      }
      const noTx = plan.pending.find((f) => f.noTransaction)
      if (options.singleTransaction && noTx) {
        throw new StrataError('usage', `${noTx.path} is marked strata:no-transaction and cannot run inside --single-transaction`, {
          file: noTx.path,
        })
      }
      if (options.dryRun || plan.pending.length === 0) return result
      result.backup = await guardDestructive(target, cfg.cwd, plan.pending, result.lint, options)

      if (!ledger.exists) await ensureLedger(target.sql, cfg.schema, waitMs, onWait)
      const collect = collectEvery(1000) // memory stays flat over a long history (src/gc.ts)
      const pending = new Map(plan.pending.map((f) => [f.version, f]))
      let current: MigrationFile | undefined // the file the server is running: the one to blame on a failure
      const ctx: ApplyContext = {
        sql: target.sql,
        schema: cfg.schema,
        timeouts,
        waitMs,
        onWait,
        onStart: (file, mode) => {
          current = file
          collect()
          progress({ type: 'start', file, mode })
        },
        onApplied: (a) => {
          result.applied.push(a)
          progress({ type: 'applied', file: pending.get(a.version)!, ms: a.ms })
        },
        onSkipped: (file) => {
          result.skipped.push(file.version)
          progress({ type: 'skipped', file, reason: 'applied meanwhile by another runner' })
        },
      }
      try {
        if (options.singleTransaction) await applyAllInOneTransaction(ctx, plan.pending)
        else await applyEach(ctx, plan.pending)
      } catch (e) {
        const failed = options.singleTransaction
          ? (plan.pending.find((f) => f.path === (e as StrataError).facts?.failedFile) ?? plan.pending[0])
          : (current ?? plan.pending[0])
        throw await explainFailure(target.sql, cfg.schema, result, failed, e, !!options.singleTransaction)
      }
      return result
    },
    { arrays: !!options.backup }, // only --backup reads array columns
  )
}

/**
 * Destructive statements that made it past lint (--allow-destructive) run only after a backup of the data at
 * risk (--backup), or on a local database, or with a person's yes (or --yes).
 */
async function guardDestructive(target: Target, cwd: string, files: MigrationFile[], lint: LintSummary, options: MigrateOptions) {
  const destructive = lint.findings.filter((f) => f.category === 'destructive')
  if (!destructive.length) return null
  const progress = options.onProgress ?? (() => {})
  if (options.backup) {
    const { backupAtRisk } = await import('../backup/index.js')
    const made = await backupAtRisk({
      sql: target.sql,
      files,
      findings: lint.findings,
      cwd,
      target: target.url,
      onNote: (message) => progress({ type: 'note', message }),
    })
    if (made) progress({ type: 'backup', dir: made.dir, tables: made.tables })
    return made && { dir: made.dir, tables: made.tables }
  }
  if (isLocal(target.url) || options.yes) return null
  const question = `${destructive.length} destructive statement(s) will run against ${target.shown} without a backup. Continue?`
  if (!options.confirm) {
    throw new StrataError(
      'usage',
      `refusing to run ${destructive.length} destructive statement(s) against ${target.shown} without a backup and without confirmation; nothing was applied`,
      {
        file: destructive[0].file,
        line: destructive[0].line,
        hint: 'pass --backup to copy the data at risk first, or --yes to confirm',
      },
    )
  }
  if (!(await options.confirm(question))) throw new StrataError('usage', 'cancelled; nothing was applied')
  return null
}

function isLocal(url: string): boolean {
  const host = describeTarget(url).host
  return host === 'localhost' || host === '::1' || host === '[::1]' || host.startsWith('127.')
}

function refuseBlockers(plan: Plan): void {
  if (!plan.blockers.length) return
  const first = plan.blockers[0]
  throw new StrataError('history', `refusing to migrate:\n  ${plan.blockers.map(describeBlocker).join('\n  ')}`, {
    file: first.file?.path,
    blockers: plan.blockers.map((b) => ({ version: b.version, name: b.name, state: b.state, file: b.file?.path })),
  })
}

/** Rows marked `running` may belong to a runner that is working right now: give it up to --wait to finish. */
async function settledLedger(
  sql: Sql,
  schema: string,
  waitMs: number,
  onWait: (m: string) => void,
): Promise<{ rows: LedgerRow[]; exists: boolean }> {
  const deadline = Date.now() + waitMs
  for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
    const state = await readLedgerState(sql, schema)
    const running = state.rows.find((r) => r.status === 'running')
    if (!running || Date.now() >= deadline) return state
    onWait(`waiting for version ${running.version} (${running.name}), marked running since ${running.started_at.toISOString()}`)
    await new Promise((r) => setTimeout(r, Math.min(delay, deadline - Date.now())))
  }
}

/**
 * Say what was rolled back and what stays applied, and record the failed attempt in the event history
 * (in its own transaction: the file's own was rolled back).
 */
async function explainFailure(
  sql: Sql,
  schema: string,
  result: MigrateResult,
  file: MigrationFile,
  e: unknown,
  single: boolean,
): Promise<StrataError> {
  const err = e instanceof StrataError ? e : migrationFailure(e, file, normalize(file.content), '')
  if (err.code === 'migration') {
    await recordEvent(sql, schema, 'fail', file.version, file.checksum, {
      name: file.name,
      path: file.path,
      error: err.message,
      sqlstate: err.facts.sqlstate,
    }).catch(() => {})
  }
  const rolledBack =
    typeof err.facts.rolledBack === 'string'
      ? err.facts.rolledBack
      : single
        ? `--single-transaction: the whole run was rolled back; nothing of this run was applied`
        : `${file.path} was rolled back: nothing of it was applied and it has no ledger row`
  const applied = result.applied.map((a) => a.path)
  err.facts.rolledBack = rolledBack
  err.facts.applied = applied
  err.facts.outcome = `${rolledBack}. ${applied.length ? `Applied before it and still applied: ${applied.join(', ')}.` : 'No file of this run was applied.'}`
  return err
}
