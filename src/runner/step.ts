/**
 * A step: one file to apply (up) or roll back (down), and what every way of running one shares: the context
 * it runs in, its BEGIN, the lock with the re-read of its ledger row, and what that row means for it.
 * apply.ts runs steps in transactions (pipelined, or all in one); no-transaction.ts runs them statement by statement.
 */
import type { Sql } from '../db/connect.js'
import { StrataError } from '../errors.js'
import { quoteIdent, quoteLiteral } from '../sql/quote.js'
import type { MigrationFile, Source } from './file-format.js'
import type { LedgerRow } from './ledger.js'
import type { Timeouts } from './locate.js'
import { DEFAULT_LOCK_RETRIES, lockKey, waitForLock } from './lock.js'
import type { LockRetryOptions } from './lock-retry.js'

export type { Timeouts }
export type TransactionMode = 'transaction' | 'single-transaction' | 'no-transaction' | 'own-transaction'
export type Direction = 'up' | 'down'

/** One file to apply (up) or roll back (down). */
export interface Step {
  direction: Direction
  /** The up file: its version, name and checksum identify the ledger row. */
  file: MigrationFile
  /** What runs: the up file itself, or its down file. */
  source: Source
  noTransaction: boolean
}

export interface StepDone {
  step: Step
  ms: number
}

export interface ApplyContext {
  sql: Sql
  schema: string
  timeouts: Timeouts
  /** How long to wait for another runner's lock, and for a table lock in all (lock-retry.ts). */
  waitMs: number
  /** Attempts after a lock timeout, each with --lock-timeout (default DEFAULT_LOCK_RETRIES). */
  lockRetries?: number
  /** A connection of its own, opened while a no-transaction file runs, to hold its claim (src/runner/lock.ts). */
  openSide(): Promise<{ sql: Sql; close(): Promise<void> }>
  onWait(message: string): void
  onStart(step: Step, mode: TransactionMode): void
  onDone(done: StepDone): void
  onSkipped(step: Step, reason: string): void
  onNote(message: string): void
  /** --each-schema: the tenant's search_path, set in each file's transaction (transaction-local: pooler-safe). */
  searchPath?: string
}

/** READ COMMITTED, so that what a statement reads after the lock is what the previous holder committed. */
export function beginSql(timeouts: Timeouts, searchPath?: string): string {
  const path = searchPath === undefined ? '' : `, set_config('search_path', ${quoteLiteral(searchPath)}, true)`
  return `begin isolation level read committed;
select set_config('lock_timeout', '${timeouts.lockTimeoutMs}ms', true), set_config('statement_timeout', '${timeouts.statementTimeoutMs}ms', true)${path};
`
}

/**
 * BEGIN, set the timeouts, take the lock and re-read `versions` in one round trip; on a busy lock roll back,
 * say who holds it, back off and try again until --wait runs out.
 */
export async function beginLocked(ctx: ApplyContext, versions: number[], setTimeouts = true): Promise<Map<number, LedgerRow>> {
  const begin = setTimeouts ? beginSql(ctx.timeouts, ctx.searchPath) : 'begin isolation level read committed;'
  const reread = versions.length
    ? `select version, name, checksum, status from ${quoteIdent(ctx.schema)}.migrations where version in (${versions.join(',')})`
    : 'select 1 where false'
  return waitForLock(ctx.sql, ctx.schema, ctx.waitMs, ctx.onWait, async () => {
    const results = (await ctx.sql.unsafe(
      `${begin} select pg_try_advisory_xact_lock(${lockKey(ctx.schema)}) as locked; ${reread}`,
    )) as unknown as LedgerRow[][]
    const [locked, rows] = results.slice(-2) as [{ locked?: boolean }[], LedgerRow[]]
    if (locked[0].locked) return new Map(rows.map((r) => [Number(r.version), r]))
    await ctx.sql.unsafe('rollback') // wait outside a transaction: nothing held open behind a pooler
    return undefined
  })
}

/**
 * Under the lock, a step's row as another runner may have left it: 'run' the step, 'skip' it (that runner
 * did it already), or refuse.
 */
export function decide(step: Step, row: LedgerRow | undefined): 'run' | 'skip' {
  const { file } = step
  const same = row?.status === 'applied' && row.checksum === file.checksum
  if (step.direction === 'up' ? !row || (file.repeatable && row.status === 'applied' && !same) : same) return 'run'
  if (step.direction === 'up' ? same : !row) return 'skip'
  throw new StrataError(
    'history',
    `${file.path}: version ${file.version} is in the ledger as ${row!.status}${row!.checksum !== file.checksum ? ' with another checksum' : ''}`,
    { file: file.path },
  )
}

export const skipReason = (step: Step) =>
  step.direction === 'up' ? 'applied meanwhile by another runner' : 'rolled back meanwhile by another runner'

/** How a step (or a run) retries after lock timeouts; `source`: the file that met the timeout, whose relations name the blocker. */
export function lockRetryOptions(ctx: ApplyContext, source: (error: unknown) => Source): LockRetryOptions {
  return {
    sql: ctx.sql,
    retries: ctx.timeouts.lockTimeoutMs ? (ctx.lockRetries ?? DEFAULT_LOCK_RETRIES) : 0,
    waitMs: ctx.waitMs,
    lockTimeoutMs: ctx.timeouts.lockTimeoutMs,
    source,
    onWait: ctx.onWait,
  }
}
