/**
 * `strata down`: run down files newest first, each in a transaction together with the removal of its
 * ledger row and a `rollback` event. Without --to it rolls back the newest applied file only (like
 * dbmate's rollback); --to <version> keeps that version and everything below it; --to 0 rolls back all.
 *
 * Everything is checked before anything runs: every down file must exist, must have been written for
 * the up file as it is now (the checksum in its header), and the up file must be the one applied.
 */
import { join } from 'node:path'
import { resolveOptions, type CommonOptions } from '../config/index.js'
import { openTarget } from '../db/target.js'
import { StrataError } from '../errors.js'
import { readMigrations } from '../runner/files.js'
import { checksum, hasDirective, isMissingFile, readMigrationText, type MigrationFile } from '../runner/file-format.js'
import { parseDuration } from '../config/duration.js'
import type { AtRiskCount } from '../backup/index.js'
import { readLedger, type LedgerRow } from '../runner/ledger.js'
import { explainFailure, runSteps, type ApplyContext, type Step } from '../runner/apply.js'
import { DEFAULT_LOCK_TIMEOUT } from '../runner/lock.js'
import { downFileProblem, downPathOf } from './reverse.js'

export interface DownOptions extends CommonOptions {
  /** Keep this version and everything below it; 0 rolls back everything. Default: the newest applied file only. */
  to?: number
  dryRun?: boolean
  /** Confirmed already (--yes). */
  yes?: boolean
  /** Asked when `yes` is not set; without it, down refuses (there is no one to ask). `atRisk`: the rows the down files destroy. */
  confirm?: (plan: DownStep[], target: string, atRisk: AtRiskCount[]) => Promise<boolean>
  /** Before anything runs, copy the data the down files destroy into .strata/backups/ (as migrate --backup). */
  backup?: boolean
  /** SET LOCAL lock_timeout of each attempt at a file, e.g. '1s' (the default); '0' turns it off. */
  lockTimeout?: string
  /** Attempts after a lock timeout (default 10), within waitMs, as migrate does. */
  lockRetries?: number
  /** SET LOCAL statement_timeout for each file; default off. */
  statementTimeout?: string
  /** How long to wait for another runner's lock, in milliseconds (default 60 000). */
  waitMs?: number
  onProgress?: (event: DownProgress) => void
}

export interface DownStep {
  version: number
  name: string
  /** The up file. */
  path: string
  downPath: string
  mode: 'transaction' | 'no-transaction'
}

export type DownProgress =
  | { type: 'waiting'; message: string }
  | { type: 'note'; message: string }
  | { type: 'rolled-back'; step: DownStep; ms: number }
  | { type: 'skipped'; step: DownStep; reason: string }
  | { type: 'backup'; dir: string; tables: { table: string; rows: number }[] }
  /** With --yes (no question is asked): what the down files destroy, before they run. */
  | { type: 'at-risk'; atRisk: AtRiskCount[] }

export interface DownResult {
  target: string
  dryRun: boolean
  plan: DownStep[]
  rolledBack: (DownStep & { ms: number })[]
  /** Rolled back meanwhile by a concurrent runner. */
  skipped: number[]
  /** The tables the down files drop or empty and the columns they drop, with the rows they hold: said before confirming. */
  atRisk: AtRiskCount[]
  /** Where --backup put that data, when there was any. */
  backup: { dir: string; tables: { table: string; rows: number }[] } | null
}

interface Planned extends DownStep {
  file: MigrationFile
  content: string
}

export async function down(options: DownOptions = {}): Promise<DownResult> {
  const cfg = resolveOptions(options)
  const files = readMigrations(cfg.dir, cfg.cwd, cfg.layout)
  const timeouts = {
    lockTimeoutMs: parseDuration(options.lockTimeout ?? DEFAULT_LOCK_TIMEOUT, '--lock-timeout'),
    statementTimeoutMs: parseDuration(options.statementTimeout ?? '0', '--statement-timeout'),
  }
  const progress = options.onProgress ?? (() => {})
  const target = await openTarget(cfg)
  try {
    const rows = await readLedger(target.sql, cfg.schema)
    const planned = plan(rows, files, options.to, cfg.cwd)
    const shown = ({ file: _f, content: _c, ...step }: Planned): DownStep => step
    const steps = planned.map(shown)
    const downFiles = planned.map((p) => ({ ...p.file, path: p.downPath, content: p.content, checksum: checksum(p.content) }))
    const { countAtRisk, backupAtRisk } = await import('../backup/index.js')
    const atRisk = planned.length ? await countAtRisk(target.sql, downFiles) : []
    const result: DownResult = {
      target: target.shown,
      dryRun: !!options.dryRun,
      plan: steps,
      rolledBack: [],
      skipped: [],
      atRisk,
      backup: null,
    }
    if (options.dryRun || !planned.length) return result
    if (options.yes && atRisk.length) progress({ type: 'at-risk', atRisk })
    await confirmed(options, steps, target.shown, atRisk)
    if (options.backup) {
      const made = await backupAtRisk({
        sql: target.sql,
        files: downFiles,
        findings: [],
        cwd: cfg.cwd,
        target: target.url,
        onNote: (message) => progress({ type: 'note', message }),
      })
      if (made) progress({ type: 'backup', dir: made.dir, tables: made.tables })
      result.backup = made && { dir: made.dir, tables: made.tables }
    }
    const byVersion = new Map(planned.map((p) => [p.version, p]))
    const runnable: Step[] = planned.map((p) => ({
      direction: 'down',
      file: p.file,
      source: { path: p.downPath, content: p.content },
      noTransaction: p.mode === 'no-transaction',
    }))
    const done: Step[] = []
    let current: Step | undefined
    const ctx: ApplyContext = {
      sql: target.sql,
      schema: cfg.schema,
      timeouts,
      waitMs: options.waitMs ?? 60_000,
      lockRetries: options.lockRetries,
      openSide: () => target.side(),
      onWait: (message) => progress({ type: 'waiting', message }),
      onNote: (message) => progress({ type: 'note', message }),
      onStart: (step) => (current = step),
      onDone: ({ step, ms }) => {
        done.push(step)
        const entry = shown(byVersion.get(step.file.version)!)
        result.rolledBack.push({ ...entry, ms })
        progress({ type: 'rolled-back', step: entry, ms })
      },
      onSkipped: (step, reason) => {
        result.skipped.push(step.file.version)
        progress({ type: 'skipped', step: shown(byVersion.get(step.file.version)!), reason })
      },
    }
    try {
      await runSteps(ctx, runnable)
    } catch (e) {
      const failed = current ?? runnable[0]
      throw await explainFailure(ctx, e, failed, done, failed.noTransaction ? 'no-transaction' : 'transaction')
    }
    return result
  } finally {
    await target.close()
  }
}

/** Which files to roll back, newest first, and the refusals that stop the run before anything runs. */
function plan(rows: LedgerRow[], files: MigrationFile[], to: number | undefined, cwd: string): Planned[] {
  const newestFirst = [...rows].sort((a, b) => b.version - a.version)
  const chosen = to === undefined ? newestFirst.slice(0, 1) : newestFirst.filter((r) => r.version > to)
  return chosen.map((row) =>
    planOne(
      row,
      files.find((f) => f.version === row.version),
      cwd,
    ),
  )
}

function planOne(row: LedgerRow, file: MigrationFile | undefined, cwd: string): Planned {
  const label = `version ${row.version} (${row.name})`
  if (row.status !== 'applied') {
    throw new StrataError('history', `refusing to roll back: ${label} is marked ${row.status} in the ledger`, {
      hint: `find out what happened to it, then strata repair --rolled-back ${row.version} or --applied ${row.version}`,
    })
  }
  if (!file)
    throw new StrataError('history', `refusing to roll back: the up file of ${label} is missing from the directory`, {
      hint: 'restore it from version control',
    })
  // The history's own down (a Down section, a Flyway undo file) when its layout has one; else the .down.sql beside it.
  const downPath = file.down?.path ?? downPathOf(file)
  let content: string
  try {
    content = file.down?.content ?? readMigrationText(join(cwd, downPath), downPath)
  } catch (e) {
    if (!isMissingFile(e)) throw e
    throw new StrataError('history', `refusing to roll back ${file.path}: its down file ${downPath} does not exist`, {
      file: downPath,
      hint: `write it with strata reverse ${row.version}, review it, then run strata down again`,
    })
  }
  const problem = downFileProblem(file, downPath, content)
  if (problem?.kind === 'blank') {
    throw new StrataError('history', `refusing to roll back ${file.path}: ${problem.reason}`, { file: downPath, hint: problem.hint })
  }
  if (row.checksum !== file.checksum) {
    throw new StrataError(
      'history',
      `refusing to roll back ${file.path}: it was edited after it was applied, so its down file may not match the database`,
      {
        file: file.path,
        hint: `if the edit changed nothing in the database, strata repair --accept-checksum ${row.version}`,
      },
    )
  }
  if (problem)
    throw new StrataError('history', `refusing to roll back with ${downPath}: ${problem.reason}`, { file: downPath, hint: problem.hint })
  const mode = file.down?.noTransaction || hasDirective(content, 'no-transaction') ? 'no-transaction' : 'transaction'
  return { version: file.version, name: file.name, path: file.path, downPath, mode, file, content }
}

async function confirmed(options: DownOptions, steps: DownStep[], target: string, atRisk: AtRiskCount[]): Promise<void> {
  if (options.yes) return
  if (!options.confirm) {
    throw new StrataError('usage', `strata down needs confirmation to roll back ${steps.length} migration(s) on ${target}`, {
      hint: 'run it on a terminal to be asked, or pass --yes',
    })
  }
  if (!(await options.confirm(steps, target, atRisk))) throw new StrataError('usage', 'not confirmed: nothing was rolled back')
}
