/**
 * `strata migrate`: apply pending files in order, each in a transaction together with its ledger row.
 * The protocol is in DESIGN.md ("Applying"); each step below names the guarantee it keeps.
 */
import { resolveOptions, type CommonOptions } from '../config.js'
import { withTarget } from '../db/target.js'
import type { Sql } from '../db/connect.js'
import { StrataError } from '../errors.js'
import { normalize, readMigrations, type MigrationFile } from '../files.js'
import { acquireLock, ensureLedger, quoteIdent, readLedger, recordEvent, type LedgerRow } from '../ledger.js'
import { describeBlocker, makePlan, type Plan } from '../plan.js'
import { migrationFailure } from '../failure.js'
import { lintPending, type LintSummary } from '../lint-gate.js'

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
  onProgress?: (event: Progress) => void
}

export type Progress =
  | { type: 'target'; target: string }
  | { type: 'start'; file: MigrationFile; mode: TransactionMode }
  | { type: 'applied'; file: MigrationFile; ms: number }
  | { type: 'skipped'; file: MigrationFile; reason: string }
  | { type: 'waiting'; message: string }

export type TransactionMode = 'transaction' | 'single-transaction' | 'no-transaction'

export interface AppliedFile {
  version: number
  name: string
  path: string
  ms: number
}

export interface MigrateResult {
  target: string
  dryRun: boolean
  /** What would run (dry run) or what was pending at the start. */
  plan: { version: number; name: string; path: string; mode: TransactionMode }[]
  applied: AppliedFile[]
  /** Applied meanwhile by a concurrent runner. */
  skipped: number[]
  lint: LintSummary
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

  return withTarget(cfg, () => readMigrations(cfg.dir, cfg.cwd), async (target, files) => {
    progress({ type: 'target', target: target.shown })
    const rows = await settledLedger(target.sql, cfg.schema, waitMs, onWait)
    const plan = makePlan(files, rows, { outOfOrder: options.outOfOrder, to: options.to })
    refuseBlockers(plan)
    const modeOf = (f: MigrationFile): TransactionMode =>
      f.noTransaction ? 'no-transaction' : options.singleTransaction ? 'single-transaction' : 'transaction'
    const result: MigrateResult = {
      target: target.shown,
      dryRun: !!options.dryRun,
      plan: plan.pending.map((f) => ({ version: f.version, name: f.name, path: f.path, mode: modeOf(f) })),
      applied: [],
      skipped: [],
      lint: await lintPending(plan.pending, { cwd: cfg.cwd, rules: options.rules, allowDestructive: options.allowDestructive, gate: !options.dryRun }),
    }
    if (options.singleTransaction && plan.pending.some((f) => f.noTransaction)) {
      const f = plan.pending.find((f) => f.noTransaction)!
      throw new StrataError('usage', `${f.path} is marked strata:no-transaction and cannot run inside --single-transaction`, { file: f.path })
    }
    if (options.dryRun || plan.pending.length === 0) return result

    await ensureLedger(target.sql, cfg.schema, waitMs, onWait)
    const run: Runner = { sql: target.sql, schema: cfg.schema, timeouts, waitMs, progress, result }
    if (options.singleTransaction) await applyAllInOneTransaction(run, plan.pending)
    else for (const file of plan.pending) await (file.noTransaction ? applyWithoutTransaction(run, file) : applyInTransaction(run, file))
    return result
  })
}

interface Runner {
  sql: Sql
  schema: string
  timeouts: Record<string, string>
  waitMs: number
  progress: (e: Progress) => void
  result: MigrateResult
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
async function settledLedger(sql: Sql, schema: string, waitMs: number, onWait: (m: string) => void): Promise<LedgerRow[]> {
  const deadline = Date.now() + waitMs
  for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
    const rows = await readLedger(sql, schema)
    const running = rows.filter((r) => r.status === 'running')
    if (!running.length || Date.now() >= deadline) return rows
    onWait(`waiting for version ${running[0].version} (${running[0].name}), marked running since ${running[0].started_at.toISOString()}`)
    await sleep(Math.min(delay, deadline - Date.now()))
  }
}

async function setLocalTimeouts(tx: Sql, timeouts: Record<string, string>): Promise<void> {
  await tx`select set_config('lock_timeout', ${timeouts.lock_timeout}, true), set_config('statement_timeout', ${timeouts.statement_timeout}, true)`
}

async function ledgerRow(tx: Sql, schema: string, version: number): Promise<LedgerRow | undefined> {
  const rows = await tx.unsafe(`select version, name, checksum, status, started_at, error from ${quoteIdent(schema)}.migrations where version = $1`, [version])
  return rows[0] as unknown as LedgerRow | undefined
}

/** Another runner got here first: fine when it applied the same file, a refusal otherwise. */
function alreadyThere(row: LedgerRow, file: MigrationFile): boolean {
  if (row.status === 'applied' && row.checksum === file.checksum) return true
  throw new StrataError('history', `${file.path}: version ${file.version} is already in the ledger as ${row.status}${row.checksum !== file.checksum ? ' with another checksum' : ''}`, { file: file.path })
}

async function recordApplied(tx: Sql, schema: string, file: MigrationFile, ms: number, mode: TransactionMode): Promise<void> {
  await tx.unsafe(
    `insert into ${quoteIdent(schema)}.migrations (version, name, checksum, status, started_at, finished_at, execution_ms)
     values ($1, $2, $3, 'applied', now(), clock_timestamp(), $4)`,
    [file.version, file.name, file.checksum, Math.round(ms)],
  )
  await recordEvent(tx, schema, 'apply', file.version, file.checksum, { name: file.name, path: file.path, execution_ms: Math.round(ms), mode })
}

async function runBody(tx: Sql, file: MigrationFile): Promise<number> {
  const body = normalize(file.content)
  const t0 = performance.now()
  try {
    await tx.unsafe(body) // unsplit, no parameters: one simple-protocol query
  } catch (e) {
    throw migrationFailure(e, file, body, body)
  }
  return performance.now() - t0
}

async function applyInTransaction(run: Runner, file: MigrationFile): Promise<void> {
  run.progress({ type: 'start', file, mode: 'transaction' })
  try {
    const ms = await run.sql.begin(async (sql) => {
      const tx = sql as unknown as Sql
      await setLocalTimeouts(tx, run.timeouts)
      await acquireLock(tx, run.schema, run.waitMs, (message) => run.progress({ type: 'waiting', message }))
      const row = await ledgerRow(tx, run.schema, file.version)
      if (row && alreadyThere(row, file)) return -1
      const ms = await runBody(tx, file)
      await recordApplied(tx, run.schema, file, ms, 'transaction')
      return ms
    })
    if (ms < 0) return skipped(run, file)
    run.result.applied.push({ version: file.version, name: file.name, path: file.path, ms: Math.round(ms) })
    run.progress({ type: 'applied', file, ms })
  } catch (e) {
    throw await afterFailure(run, file, e, `${file.path} was rolled back: nothing of it was applied and it has no ledger row`)
  }
}

async function applyAllInOneTransaction(run: Runner, files: MigrationFile[]): Promise<void> {
  const done: AppliedFile[] = []
  let current: MigrationFile | undefined
  try {
    await run.sql.begin(async (sql) => {
      const tx = sql as unknown as Sql
      await setLocalTimeouts(tx, run.timeouts)
      await acquireLock(tx, run.schema, run.waitMs, (message) => run.progress({ type: 'waiting', message }))
      for (const file of files) {
        current = file
        run.progress({ type: 'start', file, mode: 'single-transaction' })
        const row = await ledgerRow(tx, run.schema, file.version)
        if (row && alreadyThere(row, file)) {
          skipped(run, file)
          continue
        }
        const ms = await runBody(tx, file)
        await recordApplied(tx, run.schema, file, ms, 'single-transaction')
        done.push({ version: file.version, name: file.name, path: file.path, ms: Math.round(ms) })
        run.progress({ type: 'applied', file, ms })
      }
    })
    run.result.applied.push(...done)
  } catch (e) {
    run.result.skipped = []
    throw await afterFailure(run, current ?? files[0], e, `--single-transaction: the whole run was rolled back, ${done.length} earlier file(s) of it included; nothing of this run was applied`)
  }
}

/**
 * A `-- strata:no-transaction` file: claim the version with a committed `running` row, run each statement
 * alone in autocommit, then mark it applied, or failed with the error so that nobody passes it unawares.
 */
async function applyWithoutTransaction(run: Runner, file: MigrationFile): Promise<void> {
  run.progress({ type: 'start', file, mode: 'no-transaction' })
  const s = quoteIdent(run.schema)
  const claimed = await run.sql.begin(async (sql) => {
    const tx = sql as unknown as Sql
    await acquireLock(tx, run.schema, run.waitMs, (message) => run.progress({ type: 'waiting', message }))
    const row = await ledgerRow(tx, run.schema, file.version)
    if (row && alreadyThere(row, file)) return false
    await tx.unsafe(`insert into ${s}.migrations (version, name, checksum, status) values ($1, $2, $3, 'running')`, [file.version, file.name, file.checksum])
    return true
  })
  if (!claimed) return skipped(run, file)

  const text = normalize(file.content)
  const { splitStatements } = await import('../sql/index.js') // the parser loads only for files that need splitting
  const statements = await splitStatements(text)
  const t0 = performance.now()
  let done = 0
  try {
    for (const stmt of statements) {
      try {
        await run.sql.unsafe(stmt.text)
      } catch (e) {
        throw migrationFailure(e, file, text, stmt.text, stmt.start)
      }
      done++
    }
  } catch (e) {
    const error = e instanceof StrataError ? e.message : String(e)
    await run.sql.begin(async (tx) => {
      await tx.unsafe(`update ${s}.migrations set status = 'failed', finished_at = clock_timestamp(), error = $2 where version = $1`, [file.version, error])
      await recordEvent(tx as unknown as Sql, run.schema, 'fail', file.version, file.checksum, { name: file.name, path: file.path, error, statements_done: done, mode: 'no-transaction' })
    })
    throw withOutcome(e as StrataError, run, `${file.path} ran without a transaction: ${done} of ${statements.length} statements took effect and stay; it is marked failed until you fix the database and run strata repair`)
  }
  const ms = performance.now() - t0
  await run.sql.begin(async (tx) => {
    await tx.unsafe(`update ${s}.migrations set status = 'applied', finished_at = clock_timestamp(), execution_ms = $2 where version = $1`, [file.version, Math.round(ms)])
    await recordEvent(tx as unknown as Sql, run.schema, 'apply', file.version, file.checksum, { name: file.name, path: file.path, execution_ms: Math.round(ms), mode: 'no-transaction' })
  })
  run.result.applied.push({ version: file.version, name: file.name, path: file.path, ms: Math.round(ms) })
  run.progress({ type: 'applied', file, ms })
}

function skipped(run: Runner, file: MigrationFile): void {
  run.result.skipped.push(file.version)
  run.progress({ type: 'skipped', file, reason: 'applied meanwhile by another runner' })
}

/** Record the failed attempt in the event history (its own transaction: the file's own was rolled back). */
async function afterFailure(run: Runner, file: MigrationFile, e: unknown, rolledBack: string): Promise<StrataError> {
  const err = e instanceof StrataError ? e : migrationFailure(e, file, normalize(file.content), '')
  if (err.code === 'migration') {
    await recordEvent(run.sql, run.schema, 'fail', file.version, file.checksum, { name: file.name, path: file.path, error: err.message, sqlstate: err.facts.sqlstate }).catch(() => {})
  }
  return withOutcome(err, run, rolledBack)
}

function withOutcome(err: StrataError, run: Runner, rolledBack: string): StrataError {
  const applied = run.result.applied
  err.facts.rolledBack = rolledBack
  err.facts.applied = applied.map((a) => a.path)
  err.facts.outcome = `${rolledBack}. ${applied.length ? `Applied before it and still applied: ${applied.map((a) => a.path).join(', ')}.` : 'No file of this run was applied.'}`
  return err
}

/** Postgres durations: a number with an optional unit (ms, s, min, h, d); 0 turns the timeout off. */
function checkDuration(flag: string, value: string): string {
  if (!/^\d+\s*(ms|s|min|h|d)?$/.test(value.trim())) throw new StrataError('usage', `${flag} ${JSON.stringify(value)} is not a duration like 10s, 500ms or 2min`)
  return value.trim()
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)))
