/**
 * Applying and rolling back files: the protocol of DESIGN.md ("Applying"), in as few round trips as it allows.
 * `migrate` runs up steps, `down` runs down steps; both go through the same code, the same lock and the same
 * ledger writes.
 *
 * Per step, a single simple-protocol query
 *   BEGIN; SET LOCAL timeouts; guard; <the file body, unsplit>; ledger row and event; COMMIT
 * where the guard takes pg_try_advisory_xact_lock and checks the version's ledger row (up: none yet; down:
 * applied, with the checksum that was planned) and that the step before it in this run is done. The server
 * runs the statements in order and stops at the first error, so a busy lock or a row that a concurrent runner
 * changed stops the query before the body (we roll back, then wait and report like the slow path), and the
 * ledger row is never written for a body that failed. Simple-protocol queries cannot carry parameters, so the
 * few values we add are escaped literals.
 *
 * The queries of consecutive steps are pipelined: the next ones are sent before the first answers, so a
 * database 20 ms away costs 20 ms per window of files instead of per file. A step still runs only after the
 * one before it committed: the server runs one connection's queries in order, a failed transaction leaves the
 * session refusing everything until our ROLLBACK, and the guard's predecessor check stops a step whose
 * predecessor is not done whatever the transport did (a pooler, a body that ended its own transaction).
 *
 * A file that waits for a table lock longer than --lock-timeout (short, 1s by default) is rolled back and run
 * again alone after a pause, so that the application's queries do not queue behind it (lock-retry.ts).
 */
import type { Sql } from '../db/connect.js'
import { StrataError } from '../errors.js'
import { quoteIdent, quoteLiteral } from '../sql/quote.js'
import { fileQuery, queryFailure, type FileQuery } from './execute.js'
import { appliedRowSql, appliedRowsSql, recordEvent, rolledBackRowSql, runTimesSql, type RunTimes } from './ledger.js'
import { locate, type Timeouts } from './locate.js'
import { lockKey } from './lock.js'
import { isLockTimeout, retryOnLockTimeout } from './lock-retry.js'
import { connectionLostFailure, isConnectionLost } from './failure.js'
import { runWithoutTransaction } from './no-transaction.js'

export type { Timeouts }
export { type ApplyContext, type Direction, type Step, type StepDone, type TransactionMode } from './step.js'
import { beginLocked, beginSql, decide, lockRetryOptions, skipReason, type ApplyContext, type Step, type TransactionMode } from './step.js'

/** SQLSTATEs of the guard: the lock is held by another runner; another runner did this step already. */
const LOCK_BUSY = 'SL001'
const ALREADY_DONE = 'SL002'
/** The step sent before this one is not done (it failed, or has not run). */
const PREDECESSOR_MISSING = 'SL003'
/** down: the row is not the applied row that was planned (changed meanwhile). */
const ROW_CHANGED = 'SL004'
/** What a query sent after a failed one gets: its predecessor's failure, not its own. */
const AFTER_FAILURE = new Set([PREDECESSOR_MISSING, '25P02'])

/** Files in flight at once, and their bytes: enough to hide a distant server's round trips, few enough to keep memory flat. */
const PIPELINE_FILES = 32
const PIPELINE_BYTES = 4 << 20

/** The guard of a step; `before`: the step sent just before it in this run, which must be done by the time this one runs. */
function guardSql(schema: string, step: Step, before?: Step): string {
  const s = quoteIdent(schema)
  const v = step.file.version
  const raise = (code: string, message: string) =>
    `raise exception using errcode = '${code}', message = ${quoteLiteral(`strata: ${message}`)};`
  const row = `select from ${s}.migrations where version = ${v}`
  // A repeatable (Flyway R__) runs again over its own row, unless a concurrent runner applied this very text.
  const done = step.file.repeatable ? `${row} and status = 'applied' and checksum = ${quoteLiteral(step.file.checksum)}` : row
  const checks =
    step.direction === 'up'
      ? `  if exists (${done}) then ${raise(ALREADY_DONE, `version ${v} is already in the ledger`)} end if;`
      : `  if not exists (${row}) then ${raise(ALREADY_DONE, `version ${v} is no longer in the ledger`)} end if;
  if not exists (${row} and status = 'applied' and checksum = ${quoteLiteral(step.file.checksum)}) then ${raise(ROW_CHANGED, `version ${v} changed in the ledger`)} end if;`
  const predecessor = !before
    ? ''
    : before.direction === 'up'
      ? `\n  if not exists (select from ${s}.migrations where version = ${before.file.version} and status = 'applied') then ${raise(PREDECESSOR_MISSING, `version ${before.file.version}, before ${v}, is not applied`)} end if;`
      : `\n  if exists (select from ${s}.migrations where version = ${before.file.version}) then ${raise(PREDECESSOR_MISSING, `version ${before.file.version}, before ${v}, is not rolled back`)} end if;`
  return `do $strata$ begin
  if not pg_try_advisory_xact_lock(${lockKey(schema)}) then ${raise(LOCK_BUSY, 'the migration lock is held by another runner')} end if;
${checks}${predecessor}
end $strata$;
`
}

/** The ledger write that commits with the step's body. */
function recordSql(schema: string, step: Step, mode: TransactionMode): string {
  if (step.direction === 'up') return appliedRowSql(schema, step.file, mode)
  return rolledBackRowSql(schema, step.file, { name: step.file.name, path: step.file.path, down_path: step.source.path, mode })
}

async function rollback(ctx: ApplyContext): Promise<void> {
  await ctx.sql.unsafe('rollback').catch(() => {})
}

/** What the server answered to a query sent ahead: the last statement's rows, or the error. */
type Answer = { rows: unknown[] } | { error: unknown }

interface Sent {
  index: number
  step: Step
  query: FileQuery
  sentAt: number
  answer: Promise<Answer>
}

/** Queries sent ahead of their answers: at most PIPELINE_FILES of them, and PIPELINE_BYTES in all. */
class Pipeline {
  private sent: Sent[] = []
  private bytes = 0
  constructor(private sql: Sql) {}

  get empty(): boolean {
    return this.sent.length === 0
  }
  get full(): boolean {
    return this.sent.length >= PIPELINE_FILES || this.bytes >= PIPELINE_BYTES
  }
  /** Steps still in flight (sent, not answered). */
  get inFlight(): Step[] {
    return this.sent.map((s) => s.step)
  }
  send(index: number, step: Step, query: FileQuery): void {
    const answer = this.sql.unsafe(query.text).then(
      (results): Answer => ({ rows: (results as unknown as unknown[][]).at(-1) ?? [] }),
      (error: unknown): Answer => ({ error }),
    )
    this.sent.push({ index, step, query, sentAt: performance.now(), answer })
    this.bytes += query.text.length
  }
  /** The oldest query still in flight. */
  next(): Sent {
    const head = this.sent.shift()!
    this.bytes -= head.query.text.length
    return head
  }
  /** After a failure: let everything still in flight answer (it fails unrun), and forget it. */
  async settle(): Promise<void> {
    await Promise.all(this.sent.map((s) => s.answer))
    this.sent = []
    this.bytes = 0
  }
}

/**
 * Each step in its own transaction together with its ledger write, pipelined (see the top of this file).
 * A no-transaction step waits until everything before it has answered, then runs alone. A failure is thrown
 * as a located StrataError; the steps after it did not run.
 */
export async function runSteps(ctx: ApplyContext, steps: Step[]): Promise<void> {
  const pipeline = new Pipeline(ctx.sql)
  let next = 0
  let lastDone = 0
  let announced: Step | undefined
  let resent: Step | undefined
  const send = (index: number) => {
    const step = steps[index]
    const prefix = beginSql(ctx.timeouts, ctx.searchPath) + guardSql(ctx.schema, step, steps[index - 1])
    pipeline.send(index, step, fileQuery(step.source, prefix, `${recordSql(ctx.schema, step, 'transaction')}\ncommit;`))
  }
  while (next < steps.length || !pipeline.empty) {
    while (next < steps.length && !steps[next].noTransaction && !pipeline.full) send(next++)
    if (pipeline.empty) {
      await runWithoutTransaction(ctx, steps[next++]) // a no-transaction step, with nothing in flight
      lastDone = performance.now()
      continue
    }
    const inFlight = pipeline.inFlight
    const head = pipeline.next()
    if (announced !== head.step) ctx.onStart(head.step, 'transaction')
    announced = head.step
    const answer = await head.answer
    if ('rows' in answer) {
      const ms = performance.now() - Math.max(head.sentAt, lastDone) // from when the server could start it
      lastDone = performance.now()
      ctx.onDone({ step: head.step, ms: Math.round(ms) })
      continue
    }
    // Everything sent after a failure fails unrun (see the top of this file): roll back and go on from the step that failed.
    await pipeline.settle()
    const { error } = answer
    if (isConnectionLost(error)) throw await connectionLostFailure(ctx, error, head.step, inFlight)
    await rollback(ctx)
    next = head.index + 1
    const code = (error as { code?: string }).code ?? ''
    if (code === LOCK_BUSY || code === ALREADY_DONE || isLockTimeout(error)) {
      // Busy runner lock: wait for it. A table lock not free within --lock-timeout: pause so the application's queries go on, retry.
      await runAfterWaiting(ctx, head.step, isLockTimeout(error) ? queryFailure(error, head.query) : undefined)
      lastDone = performance.now()
    } else if (AFTER_FAILURE.has(code) && resent !== head.step) {
      // Only a pooler that reorders pipelined queries gets here: its predecessor did commit. Send it again, once.
      resent = head.step
      next--
    } else if (code === ROW_CHANGED) {
      throw new StrataError('history', `${head.step.file.path}: version ${head.step.file.version} changed in the ledger meanwhile`, {
        file: head.step.file.path,
      })
    } else {
      throw await locate(ctx.sql, queryFailure(error, head.query), {
        source: head.step.source,
        timeouts: ctx.timeouts,
        searchPath: ctx.searchPath,
        ranMs: performance.now() - Math.max(head.sentAt, lastDone),
      })
    }
  }
}

/**
 * Another runner holds the lock or got here first, or a table lock was not free in time (`lockTimedOut`): run the
 * step alone, retrying after lock timeouts (lock-retry.ts).
 */
async function runAfterWaiting(ctx: ApplyContext, step: Step, lockTimedOut?: StrataError): Promise<void> {
  await retryOnLockTimeout(
    lockRetryOptions(ctx, () => step.source),
    () => runAlone(ctx, step),
    lockTimedOut,
  )
}

/** Wait for the runners' lock, re-read the step's row, then run or skip it. A lock timeout is thrown unlocated, for a retry. */
async function runAlone(ctx: ApplyContext, step: Step): Promise<void> {
  const rows = await beginLocked(ctx, [step.file.version])
  let query: FileQuery | undefined
  const t0 = performance.now()
  try {
    if (decide(step, rows.get(step.file.version)) === 'skip') {
      await ctx.sql.unsafe('commit')
      return ctx.onSkipped(step, skipReason(step))
    }
    query = fileQuery(step.source, '', `${recordSql(ctx.schema, step, 'transaction')}\ncommit;`)
    await ctx.sql.unsafe(query.text)
    ctx.onDone({ step, ms: Math.round(performance.now() - t0) })
  } catch (e) {
    if (isConnectionLost(e)) throw await connectionLostFailure(ctx, e, step, [step])
    await rollback(ctx)
    if (!query || e instanceof StrataError) throw e
    if (isLockTimeout(e)) throw queryFailure(e, query)
    throw await locate(ctx.sql, queryFailure(e, query), {
      source: step.source,
      timeouts: ctx.timeouts,
      searchPath: ctx.searchPath,
      ranMs: performance.now() - t0,
    })
  }
}

/**
 * --single-transaction: every pending up step and its row in one transaction; all or nothing. The queries are
 * pipelined too. After a failed file the session refuses everything until our ROLLBACK; and each file first
 * checks the run's mark, a transaction-local setting, so that none runs once an earlier file ended the
 * transaction with its own COMMIT (which lint's explicit-transaction-control refuses unless ignored).
 */
export async function runAllInOneTransaction(ctx: ApplyContext, steps: Step[]): Promise<void> {
  const sourceOf = (e: unknown) => steps.find((s) => s.file.path === (e as StrataError).facts?.failedFile)?.source ?? steps[0].source
  await retryOnLockTimeout(lockRetryOptions(ctx, sourceOf), () => runAllOnce(ctx, steps))
}

async function runAllOnce(ctx: ApplyContext, steps: Step[]): Promise<void> {
  const rows = await beginLocked(
    ctx,
    steps.map((s) => s.file.version),
  )
  const mark = `${process.pid}.${Date.now()}`
  const pipeline = new Pipeline(ctx.sql)
  const done: { step: Step; times: RunTimes }[] = []
  let current: Step | undefined
  const t0 = performance.now()
  try {
    const todo: Step[] = []
    for (const step of steps) {
      current = step
      if (decide(step, rows.get(step.file.version)) === 'skip') ctx.onSkipped(step, skipReason(step))
      else todo.push(step)
    }
    let next = 0
    while (next < todo.length || !pipeline.empty) {
      for (; next < todo.length && !pipeline.full; next++) {
        const prefix = (next === 0 ? `select set_config('strata.run', '${mark}', true);\n` : '') + markCheckSql(mark)
        pipeline.send(next, todo[next], fileQuery(todo[next].source, prefix, runTimesSql))
      }
      const head = pipeline.next()
      current = head.step
      ctx.onStart(head.step, 'single-transaction')
      const answer = await head.answer
      if ('rows' in answer) {
        done.push({ step: head.step, times: answer.rows[0] as RunTimes })
        continue
      }
      await pipeline.settle()
      const error = answer.error
      if (isConnectionLost(error)) throw error
      if (String((error as Error).message).includes(MARK_LOST)) throw markLost(todo[head.index - 1], head.step)
      await rollback(ctx)
      if (isLockTimeout(error)) throw queryFailure(error, head.query) // the whole run is tried again (runAllInOneTransaction)
      const before = done.map((d) => d.step.source)
      throw await locate(ctx.sql, queryFailure(error, head.query), {
        source: head.step.source,
        timeouts: ctx.timeouts,
        searchPath: ctx.searchPath,
        ranMs: performance.now() - t0,
        before,
      })
    }
    current = undefined
    // One statement for all the rows instead of two per file: they commit together anyway.
    const rowsSql = appliedRowsSql(
      ctx.schema,
      done.map(({ step, times }) => ({ file: step.file, times })),
    )
    await ctx.sql.unsafe(`${rowsSql}\ncommit;`)
  } catch (e) {
    await pipeline.settle()
    if (isConnectionLost(e)) throw await connectionLostFailure(ctx, e, current ?? steps[0], steps, true)
    await rollback(ctx)
    if (e instanceof StrataError) e.facts.failedFile ??= current?.file.path
    throw e
  }
  for (const { step, times } of done) ctx.onDone({ step, ms: times.execution_ms })
}

const MARK_LOST = 'strata: the transaction of this run has ended'

/** Fails (a cast that cannot succeed) when the run's mark is gone: the transaction ended before this file. */
function markCheckSql(mark: string): string {
  // The text is not a constant (current_setting is only stable), so the planner cannot fold the cast and fail early.
  return `select (coalesce(current_setting('strata.run', true), '') || ' ${MARK_LOST}')::int where current_setting('strata.run', true) is distinct from '${mark}';\n`
}

function markLost(ended: Step, stopped: Step): StrataError {
  return new StrataError('migration', `${ended.file.path} ended the transaction of --single-transaction with its own COMMIT or ROLLBACK`, {
    file: ended.file.path,
    failedFile: ended.file.path,
    hint: 'remove the transaction control from the file (lint rule explicit-transaction-control)',
    rolledBack: `${stopped.file.path} and the files after it did not run; what ran before that COMMIT stays applied without ledger rows: check the database before you run strata again`,
  })
}

/**
 * Say what was rolled back and what stays, on the error, and record a failed attempt in the event history
 * (in its own transaction: the file's own was rolled back).
 */
export async function explainFailure(
  ctx: ApplyContext,
  e: unknown,
  failed: Step,
  done: Step[],
  mode: TransactionMode,
): Promise<StrataError> {
  const err = e instanceof StrataError ? e : queryFailure(e, fileQuery(failed.source, '', ''))
  if (err.facts.connectionLost) return err // what is known was read from the ledger again (connectionLostFailure)
  if (err.code === 'migration' && mode !== 'no-transaction') {
    await recordEvent(ctx.sql, ctx.schema, 'fail', failed.file.version, failed.file.checksum, {
      name: failed.file.name,
      path: failed.source.path,
      direction: failed.direction,
      error: err.message,
      sqlstate: err.facts.sqlstate,
      line: err.facts.line,
    }).catch(() => {})
  }
  const up = failed.direction === 'up'
  const rolledBack =
    typeof err.facts.rolledBack === 'string'
      ? err.facts.rolledBack
      : mode === 'single-transaction'
        ? '--single-transaction: the whole run was rolled back; nothing of this run was applied'
        : up
          ? `${failed.source.path} was rolled back: nothing of it was applied and it has no ledger row`
          : `${failed.source.path} was rolled back: nothing of it took effect and version ${failed.file.version} stays applied`
  const paths = done.map((s) => s.source.path)
  const before = up
    ? paths.length
      ? `Applied before it and still applied: ${paths.join(', ')}.`
      : 'No file of this run was applied.'
    : paths.length
      ? `Rolled back before it: ${paths.join(', ')}.`
      : 'Nothing was rolled back.'
  err.facts.rolledBack = rolledBack
  err.facts.applied = up ? paths : []
  err.facts.outcome = `${rolledBack}. ${before}`
  return err
}
