/**
 * `strata migrate`: check history, lint what is pending, then apply it in order (src/runner/apply.ts says how a
 * file is applied). Refuses before anything runs when history was edited or lint finds errors.
 */
import { resolveOptions, type CommonOptions } from '../config/index.js'
import { withTarget, type Target } from '../db/target.js'
import { describeTarget } from '../db/url.js'
import type { Sql } from '../db/connect.js'
import { StrataError } from '../errors.js'
import type { Finding } from '../lint/index.js'
import { readHistoryMeanwhile, type History } from '../runner/folder.js'
import type { MigrationFile } from '../runner/file-format.js'
import { describeInterrupted, ensureLedger, readLedgerState, readProgress, type LedgerRow } from '../runner/ledger.js'
import { describeBlocker, makePlan, type Plan } from '../runner/plan.js'
import type { lintPending, LintSummary } from '../runner/lint-gate.js'
import { parseDuration } from '../config/duration.js'
import { claimIsHeld, DEFAULT_LOCK_TIMEOUT, sleep } from '../runner/lock.js'
// The apply code loads only when something is pending: a no-op run reads the ledger and stops.
import type { ApplyContext, Step, Timeouts, TransactionMode } from '../runner/apply.js'

export type { TransactionMode }

export interface AppliedFile {
  version: number
  name: string
  path: string
  ms: number
}

export interface MigrateOptions extends CommonOptions {
  /** Stop after this version. */
  to?: number
  dryRun?: boolean
  /** Apply pending files that sort before the last applied one. */
  outOfOrder?: boolean
  /** All pending files in one transaction: all or nothing. */
  singleTransaction?: boolean
  /** lock_timeout of each attempt at a file, e.g. '1s' (the default); '0' turns it off (and with it the retries). */
  lockTimeout?: string
  /** Attempts after a lock timeout, each after a growing pause, within waitMs (default 10; src/runner/lock-retry.ts). */
  lockRetries?: number
  /** statement_timeout for each file's transaction; default off. */
  statementTimeout?: string
  /** How long to wait for another runner's lock, and for a busy table's lock in all, in milliseconds (default 60 000). */
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
  /** Told what happens; a promise it returns for the `lint` event is awaited, so findings print before anything is applied. */
  onProgress?: (event: Progress) => void | Promise<void>
  /** The history, already read (a fan-out over targets reads it once); else read from the directory. */
  history?: History
  /** Lints the pending files (a fan-out over targets shares one linter: src/runner/lint-gate.ts). */
  lint?: typeof lintPending
  /** --each-schema: the tenant's search_path, for every file of the run (src/runner/apply.ts). */
  searchPath?: string
}

export type Progress =
  /** Before anything runs: what lint found in the pending files (warnings, accepted destructive statements). */
  | { type: 'lint'; findings: Finding[] }
  /** The ledger was read: the highest applied version, and what is pending. */
  | { type: 'plan'; version: number | null; pending: MigrationFile[] }
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

const noFiles: typeof lintPending = async () => ({ findings: [], errors: 0, warnings: 0, blocking: [] })

export async function migrate(options: MigrateOptions = {}): Promise<MigrateResult> {
  const cfg = resolveOptions(options)
  const timeouts: Timeouts = {
    lockTimeoutMs: parseDuration(options.lockTimeout ?? DEFAULT_LOCK_TIMEOUT, '--lock-timeout'),
    statementTimeoutMs: parseDuration(options.statementTimeout ?? '0', '--statement-timeout'),
  }
  const waitMs = options.waitMs ?? 60_000
  const progress = options.onProgress ?? (() => {})
  const onWait = (message: string) => progress({ type: 'waiting', message })

  return withTarget(
    cfg,
    () => options.history ?? readHistoryMeanwhile(cfg.dir, cfg.cwd, cfg.layout),
    async (target, { files, layout }) => {
      const ledger = await settledLedger(target.sql, cfg.schema, waitMs, onWait)
      const plan = makePlan(files, ledger.rows, { outOfOrder: options.outOfOrder, to: options.to, dir: cfg.dir })
      const applied = ledger.rows.filter((r) => r.status === 'applied')
      await progress({ type: 'plan', version: applied.at(-1)?.version ?? null, pending: plan.pending })
      await refuseBlockers(target.sql, cfg.schema, plan)
      // Nothing pending (the common run in a deploy): the run-mode and lint code is never loaded.
      if (plan.pending.length) await (await import('../runner/run-mode.js')).decideRunModes(plan.pending)
      const modeOf = (f: MigrationFile): TransactionMode =>
        f.ownTransaction
          ? 'own-transaction'
          : f.noTransaction
            ? 'no-transaction'
            : options.singleTransaction
              ? 'single-transaction'
              : 'transaction'
      const lintFiles = options.lint ?? (plan.pending.length ? (await import('../runner/lint-gate.js')).lintPending : noFiles)
      const lint = await lintFiles(plan.pending, {
        cwd: cfg.cwd,
        rules: options.rules,
        allowDestructive: options.allowDestructive,
        gate: !options.dryRun,
        history: files,
        layout,
      })
      if (lint.findings.length) await progress({ type: 'lint', findings: lint.findings })
      const result: MigrateResult = {
        target: target.shown,
        server: target.server,
        dryRun: !!options.dryRun,
        plan: plan.pending.map((f) => ({ version: f.version, name: f.name, path: f.path, mode: modeOf(f) })),
        applied: [],
        skipped: [],
        backup: null,
        lint,
      }
      const noTx = plan.pending.find((f) => f.noTransaction)
      if (options.singleTransaction && noTx) {
        const why = noTx.modeReason ?? 'it is marked strata:no-transaction'
        throw new StrataError('usage', `${noTx.path} cannot run inside --single-transaction: ${why}`, { file: noTx.path })
      }
      if (options.dryRun || plan.pending.length === 0) return result
      result.backup = await guardDestructive(target, cfg.cwd, plan.pending, lint, options)

      if (!ledger.exists) await ensureLedger(target.sql, cfg.schema, waitMs, onWait)
      const steps: Step[] = plan.pending.map((file) => ({
        direction: 'up',
        file,
        source: { path: file.path, content: file.content },
        noTransaction: file.noTransaction,
      }))
      const done: Step[] = []
      let current: Step | undefined // the step the server is running: the one to blame on a failure
      const ctx: ApplyContext = {
        sql: target.sql,
        schema: cfg.schema,
        timeouts,
        waitMs,
        lockRetries: options.lockRetries,
        openSide: () => target.side(),
        searchPath: options.searchPath,
        onWait,
        onNote: (message) => progress({ type: 'note', message }),
        onStart: (step, mode) => {
          current = step
          progress({ type: 'start', file: step.file, mode })
        },
        onDone: ({ step, ms }) => {
          done.push(step)
          result.applied.push({ version: step.file.version, name: step.file.name, path: step.file.path, ms })
          progress({ type: 'applied', file: step.file, ms })
        },
        onSkipped: (step, reason) => {
          result.skipped.push(step.file.version)
          progress({ type: 'skipped', file: step.file, reason })
        },
      }
      const mode: TransactionMode = options.singleTransaction ? 'single-transaction' : 'transaction'
      const { explainFailure, runAllInOneTransaction, runSteps } = await import('../runner/apply.js')
      try {
        if (options.singleTransaction) await runAllInOneTransaction(ctx, steps)
        else await runSteps(ctx, steps)
      } catch (e) {
        const failedPath = (e as StrataError).facts?.failedFile
        const failed = (options.singleTransaction && steps.find((s) => s.file.path === failedPath)) || current || steps[0]
        throw await explainFailure(ctx, e, failed, done, failed.noTransaction ? 'no-transaction' : mode)
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
  const destructive = lint.findings.filter((f) => f.category === 'destructive' && !f.adopted) // an adopted history ran so already
  const progress = options.onProgress ?? (() => {})
  // --backup reads every statement: one accepted with strata:ignore or by config has no finding, yet it runs.
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
  if (!destructive.length) return null
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

async function refuseBlockers(sql: Sql, schema: string, plan: Plan): Promise<void> {
  if (!plan.blockers.length) return
  const lines: string[] = []
  for (const b of plan.blockers) {
    // A `running` row that nobody is running any more (settledLedger waited for live ones): say how far it got.
    if (b.state === 'running' && b.row) {
      const where = b.file?.path ?? `version ${b.version} (${b.name})`
      const how = describeInterrupted(b.row, await readProgress(sql, schema, b.version))
      lines.push(
        `${where} was interrupted: ${how}; check the database, then strata repair --rolled-back ${b.version} or --applied ${b.version}`,
      )
    } else lines.push(describeBlocker(b))
  }
  const first = plan.blockers[0]
  throw new StrataError('history', `refusing to migrate:\n  ${lines.join('\n  ')}`, {
    file: first.file?.path,
    blockers: plan.blockers.map((b) => ({ version: b.version, name: b.name, state: b.state, file: b.file?.path })),
  })
}

/**
 * Rows marked `running` may belong to a runner that is working right now (a no-transaction file holds its
 * claim while it runs): give it up to --wait to finish. A row whose claim nobody holds is left at once.
 */
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
    if (!running || Date.now() >= deadline || !(await claimIsHeld(sql, schema, running.version))) return state
    onWait(
      `waiting for version ${running.version} (${running.name}), which another runner is applying since ${running.started_at.toISOString()}`,
    )
    await sleep(Math.min(delay, deadline - Date.now()))
  }
}
