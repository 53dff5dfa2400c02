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
import type { Sql } from '../db/connect.js'
import { openTarget } from '../db/target.js'
import { StrataError } from '../errors.js'
import { migrationFailure } from '../runner/failure.js'
import { readMigrations } from '../runner/files.js'
import { checksum, hasDirective, isMissingFile, normalize, readMigrationText, type MigrationFile } from '../runner/file-format.js'
import { pgDuration as checkDuration } from '../config/duration.js'
import { acquireLock, quoteIdent, readLedger, recordEvent, type LedgerRow } from '../runner/ledger.js'
import { readStubHeader } from '../reverse/stub.js'
import { downPathOf, isBlank } from './reverse.js'

export interface DownOptions extends CommonOptions {
  /** Keep this version and everything below it; 0 rolls back everything. Default: the newest applied file only. */
  to?: number
  dryRun?: boolean
  /** Confirmed already (--yes). */
  yes?: boolean
  /** Asked when `yes` is not set; without it, down refuses (there is no one to ask). */
  confirm?: (plan: DownStep[], target: string) => Promise<boolean>
  /** SET LOCAL lock_timeout for each file, e.g. '10s'; '0' turns it off. */
  lockTimeout?: string
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
  | { type: 'rolled-back'; step: DownStep; ms: number }
  | { type: 'skipped'; step: DownStep; reason: string }

export interface DownResult {
  target: string
  dryRun: boolean
  plan: DownStep[]
  rolledBack: (DownStep & { ms: number })[]
  /** Rolled back meanwhile by a concurrent runner. */
  skipped: number[]
}

interface Planned extends DownStep {
  file: MigrationFile
  body: string
  content: string
}

export async function down(options: DownOptions = {}): Promise<DownResult> {
  const cfg = resolveOptions(options)
  const files = readMigrations(cfg.dir, cfg.cwd)
  const timeouts = {
    lock_timeout: checkDuration('--lock-timeout', options.lockTimeout ?? '10s'),
    statement_timeout: checkDuration('--statement-timeout', options.statementTimeout ?? '0'),
  }
  const progress = options.onProgress ?? (() => {})
  const target = await openTarget(cfg)
  try {
    const rows = await readLedger(target.sql, cfg.schema)
    const planned = plan(rows, files, options.to, cfg.cwd)
    const steps = planned.map(({ file: _f, body: _b, content: _c, ...step }) => step)
    const result: DownResult = { target: target.shown, dryRun: !!options.dryRun, plan: steps, rolledBack: [], skipped: [] }
    if (options.dryRun || !planned.length) return result
    await confirmed(options, steps, target.shown)
    const run: Runner = { sql: target.sql, schema: cfg.schema, timeouts, waitMs: options.waitMs ?? 60_000, progress, result }
    for (const step of planned) await (step.mode === 'no-transaction' ? downWithoutTransaction(run, step) : downInTransaction(run, step))
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
  const downPath = downPathOf(file)
  let content: string
  try {
    content = readMigrationText(join(cwd, downPath), downPath)
  } catch (e) {
    if (!isMissingFile(e)) throw e
    throw new StrataError('history', `refusing to roll back ${file.path}: its down file ${downPath} does not exist`, {
      file: downPath,
      hint: `write it with strata reverse ${row.version}, review it, then run strata down again`,
    })
  }
  if (isBlank(content)) {
    throw new StrataError(
      'history',
      `refusing to roll back ${file.path}: its down file ${downPath} has no statements, so nothing would be undone`,
      {
        file: downPath,
        hint: `write it, or draft it with strata reverse ${row.version}`,
      },
    )
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
  const header = readStubHeader(content)
  if (header && header.checksum !== file.checksum) {
    throw new StrataError('history', `refusing to roll back with ${downPath}: ${file.path} changed since this down file was written`, {
      file: downPath,
      hint: `compare the two, then write the new checksum (sha256:${file.checksum}) into the header line, or regenerate it with strata reverse --force ${row.version}`,
    })
  }
  const mode = hasDirective(content, 'no-transaction') ? 'no-transaction' : 'transaction'
  return { version: file.version, name: file.name, path: file.path, downPath, mode, file, body: normalize(content), content }
}

async function confirmed(options: DownOptions, steps: DownStep[], target: string): Promise<void> {
  if (options.yes) return
  if (!options.confirm) {
    throw new StrataError('usage', `strata down needs confirmation to roll back ${steps.length} migration(s) on ${target}`, {
      hint: 'run it on a terminal to be asked, or pass --yes',
    })
  }
  if (!(await options.confirm(steps, target))) throw new StrataError('usage', 'not confirmed: nothing was rolled back')
}

interface Runner {
  sql: Sql
  schema: string
  timeouts: { lock_timeout: string; statement_timeout: string }
  waitMs: number
  progress: (e: DownProgress) => void
  result: DownResult
}

/** This version's ledger row, read again under the lock: a concurrent runner may have rolled it back. */
async function stillApplied(tx: Sql, run: Runner, step: Planned): Promise<boolean> {
  const rows = await tx.unsafe(`select status, checksum from ${quoteIdent(run.schema)}.migrations where version = $1`, [step.version])
  const row = rows[0] as unknown as { status: string; checksum: string } | undefined
  if (!row) return false
  if (row.status !== 'applied' || row.checksum !== step.file.checksum) {
    throw new StrataError('history', `${step.path}: version ${step.version} changed in the ledger meanwhile (now ${row.status})`, {
      file: step.path,
    })
  }
  return true
}

async function forget(tx: Sql, run: Runner, step: Planned, ms: number): Promise<void> {
  await tx.unsafe(`delete from ${quoteIdent(run.schema)}.migrations where version = $1`, [step.version])
  await rollbackEvent(tx, run.schema, 'rollback', step, {
    name: step.name,
    path: step.path,
    down_path: step.downPath,
    down_checksum: checksum(step.content),
    execution_ms: Math.round(ms),
    mode: step.mode,
  })
}

async function rollbackEvent(
  tx: Sql,
  schema: string,
  action: 'rollback' | 'fail',
  step: Planned,
  details: Record<string, unknown>,
): Promise<void> {
  await recordEvent(tx, schema, action, step.version, step.file.checksum, details)
}

function done(run: Runner, step: Planned, ms: number): void {
  const { file: _f, body: _b, content: _c, ...shown } = step
  run.result.rolledBack.push({ ...shown, ms: Math.round(ms) })
  run.progress({ type: 'rolled-back', step: shown, ms })
}

function skip(run: Runner, step: Planned): void {
  run.result.skipped.push(step.version)
  const { file: _f, body: _b, content: _c, ...shown } = step
  run.progress({ type: 'skipped', step: shown, reason: 'rolled back meanwhile by another runner' })
}

async function downInTransaction(run: Runner, step: Planned): Promise<void> {
  const downFile = { path: step.downPath, content: step.content }
  let ms = -1
  try {
    await run.sql.begin(async (sql) => {
      const tx = sql as unknown as Sql
      await tx`select set_config('lock_timeout', ${run.timeouts.lock_timeout}, true), set_config('statement_timeout', ${run.timeouts.statement_timeout}, true)`
      await acquireLock(tx, run.schema, run.waitMs, (message) => run.progress({ type: 'waiting', message }))
      if (!(await stillApplied(tx, run, step))) return
      const t0 = performance.now()
      try {
        // Unsplit, no parameters: one simple-protocol query, like an up file. The newline ends a trailing comment.
        await tx.unsafe(`${step.body}\n;`)
      } catch (e) {
        throw migrationFailure(e, downFile, step.body, step.body)
      }
      ms = performance.now() - t0
      await forget(tx, run, step, ms)
    })
  } catch (e) {
    throw outcome(e, run, step, `${step.downPath} was rolled back: nothing of it took effect and version ${step.version} stays applied`)
  }
  if (ms < 0) skip(run, step)
  else done(run, step, ms)
}

/** A `-- strata:no-transaction` down file: each statement alone, the row marked running meanwhile. */
async function downWithoutTransaction(run: Runner, step: Planned): Promise<void> {
  const s = quoteIdent(run.schema)
  const claimed = await run.sql.begin(async (sql) => {
    const tx = sql as unknown as Sql
    await acquireLock(tx, run.schema, run.waitMs, (message) => run.progress({ type: 'waiting', message }))
    if (!(await stillApplied(tx, run, step))) return false
    await tx.unsafe(`update ${s}.migrations set status = 'running', error = null where version = $1`, [step.version])
    return true
  })
  if (!claimed) return skip(run, step)
  const { splitStatements } = await import('../sql/index.js')
  const statements = await splitStatements(step.body)
  const t0 = performance.now()
  let ran = 0
  try {
    for (const stmt of statements) {
      try {
        await run.sql.unsafe(stmt.text)
      } catch (e) {
        throw migrationFailure(e, { path: step.downPath, content: step.content }, step.body, stmt.text, stmt.start)
      }
      ran++
    }
  } catch (e) {
    const error = e instanceof StrataError ? e.message : String(e)
    await run.sql.begin(async (tx) => {
      await tx.unsafe(`update ${s}.migrations set status = 'failed', finished_at = clock_timestamp(), error = $2 where version = $1`, [
        step.version,
        error,
      ])
      await rollbackEvent(tx as unknown as Sql, run.schema, 'fail', step, {
        name: step.name,
        down_path: step.downPath,
        error,
        statements_done: ran,
        mode: 'no-transaction',
        rollback: true,
      })
    })
    throw outcome(
      e,
      run,
      step,
      `${step.downPath} ran without a transaction: ${ran} of ${statements.length} statements took effect; version ${step.version} is marked failed until you fix the database and run strata repair`,
    )
  }
  const ms = performance.now() - t0
  await run.sql.begin(async (tx) => forget(tx as unknown as Sql, run, step, ms))
  done(run, step, ms)
}

function outcome(e: unknown, run: Runner, step: Planned, what: string): StrataError {
  const err = e instanceof StrataError ? e : migrationFailure(e, { path: step.downPath, content: step.content }, step.body, '')
  const before = run.result.rolledBack
  err.facts.outcome = `${what}. ${before.length ? `Rolled back before it: ${before.map((r) => r.path).join(', ')}.` : 'Nothing was rolled back.'}`
  return err
}
