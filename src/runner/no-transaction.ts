/**
 * A `-- strata:no-transaction` file (CREATE INDEX CONCURRENTLY, VACUUM, ...): each statement runs alone in
 * autocommit, so the file cannot be applied whole-or-nothing. What Strata does instead:
 *   - it claims the version: first a claim lock held in an open transaction on a side connection (other runners
 *     see a live run and wait for it; a run that died released it), then a committed `running` row;
 *   - before each statement it records how far the file got on that row, so an interrupted run is reported
 *     truthfully (what ran, what did not);
 *   - a CREATE INDEX CONCURRENTLY whose index a failed earlier run left INVALID drops that index first, so the
 *     index is built again instead of skipped by IF NOT EXISTS;
 *   - at the end the row says `applied` (up) or is removed (down); on failure it says `failed`, with the error,
 *     and migrate refuses to pass it until strata repair.
 */
import type { Sql } from '../db/connect.js'
import { StrataError } from '../errors.js'
import type { StatementText } from '../sql/index.js'
import { beginLocked, beginSql, decide, lockRetryOptions, skipReason, type ApplyContext, type Step } from './step.js'
import { runStatements } from './execute.js'
import { normalize } from './file-format.js'
import { connectionLostFailure, isConnectionLost, migrationFailure } from './failure.js'
import { retryOnLockTimeout } from './lock-retry.js'
import {
  claimDownSql,
  claimUpSql,
  finishApplied,
  finishRolledBack,
  markFailed,
  readProgress,
  readRows,
  recordProgress,
  type LedgerRow,
  describeInterrupted,
  type Progress,
} from './ledger.js'
import { claimKey, waitForLockKey } from './lock.js'

export async function runWithoutTransaction(ctx: ApplyContext, step: Step): Promise<void> {
  ctx.onStart(step, step.file.ownTransaction && step.direction === 'up' ? 'own-transaction' : 'no-transaction')
  if (ctx.searchPath !== undefined) await requireSessionSearchPath(ctx, step)
  const side = await ctx.openSide()
  try {
    await waitForClaim(ctx, side.sql, step)
    const rows = await beginLocked(ctx, [step.file.version], false)
    const row = rows.get(step.file.version)
    if (row?.status === 'running') {
      // We hold the claim, so the runner that wrote this row is gone: it was interrupted part-way.
      await ctx.sql.unsafe('commit')
      throw await interrupted(ctx, step, row)
    }
    let action: 'run' | 'skip'
    try {
      action = decide(step, row)
    } catch (e) {
      await ctx.sql.unsafe('rollback').catch(() => {})
      throw e
    }
    if (action === 'skip') {
      await ctx.sql.unsafe('commit')
      return ctx.onSkipped(step, skipReason(step))
    }
    const claim = step.direction === 'up' ? claimUpSql : claimDownSql
    await ctx.sql.unsafe(`${claim(ctx.schema, step.file, { done: 0, total: 0 })}\ncommit;`)
    await runClaimed(ctx, step)
  } finally {
    await side.close()
  }
}

/**
 * --each-schema: outside a transaction only the connection's own search_path applies (a transaction-local one
 * cannot, and a session SET would leak to other clients behind a transaction pooler). The tenant's connection
 * carries it as a connection setting; refuse before anything runs when it does not (a pooler dropped it).
 */
async function requireSessionSearchPath(ctx: ApplyContext, step: Step): Promise<void> {
  const [row] = await ctx.sql.unsafe(`select current_setting('search_path') as path`)
  if (row.path === ctx.searchPath) return
  throw new StrataError(
    'config',
    `${step.file.path} runs without a transaction, where only the connection's own search_path applies, and this connection's is ${row.path}, not the tenant's ${ctx.searchPath}; nothing of it ran`,
    {
      file: step.file.path,
      needsSessionSearchPath: true,
      hint: 'a pooler in front of the database refused or dropped search_path as a connection setting: run --each-schema through a direct connection (or a session-mode pooler) while no-transaction files are pending; PgBouncer 1.20+ passes it with track_extra_parameters = search_path',
    },
  )
}

/** Take the claim on the side connection, waiting (and saying for whom) while another live runner holds it. */
async function waitForClaim(ctx: ApplyContext, side: Sql, step: Step): Promise<void> {
  const key = claimKey(ctx.schema, step.file.version)
  await waitForLockKey(
    side,
    key,
    ctx.waitMs,
    `${step.file.path}, which another runner is applying without a transaction`,
    ctx.onWait,
    async () => {
      const [row] = await side.unsafe(`begin; select pg_try_advisory_xact_lock(${key}) as locked;`).then(lastRows)
      if (row.locked) return true // the transaction stays open: the claim is held until side.close()
      await side.unsafe('rollback')
      return undefined
    },
  )
}

const lastRows = (results: unknown) => (results as { locked: boolean }[][]).filter((r) => Array.isArray(r)).at(-1) as { locked: boolean }[]

async function runClaimed(ctx: ApplyContext, step: Step): Promise<void> {
  const t0 = performance.now()
  const progress: Progress = { done: 0, total: 0 }
  try {
    await runStatements(ctx.sql, step.source, {
      before: async (statement, i, total) => {
        Object.assign(progress, { done: i, total, running: { line: statement.line, sql: firstLine(statement.text) } })
        await recordProgress(ctx.sql, ctx.schema, step.file.version, progress)
        await dropInvalidIndex(ctx, statement)
      },
      run: (statement, statements) => runStatement(ctx, step, statement, statements),
    })
  } catch (e) {
    throw await failed(ctx, step, e, progress)
  }
  const ms = performance.now() - t0
  const own = step.file.ownTransaction && step.direction === 'up'
  const details = {
    mode: own ? 'own-transaction' : 'no-transaction',
    ...(step.file.modeReason && step.direction === 'up' ? { why: step.file.modeReason } : {}),
    direction: step.direction,
    source: step.source.path,
  }
  if (step.direction === 'up') await finishApplied(ctx.sql, ctx.schema, step.file, ms, details)
  else await finishRolledBack(ctx.sql, ctx.schema, step.file, ms, { ...details, down_path: step.source.path })
  ctx.onDone({ step, ms: Math.round(ms) })
}

/**
 * One statement of a no-transaction file. A statement that may run in a transaction block runs in one of its
 * own, which is what autocommit does anyway, so that --lock-timeout and --statement-timeout apply with
 * SET LOCAL (a session SET would leak through a transaction pooler) and a lock timeout can be retried. One
 * that may not (CREATE INDEX CONCURRENTLY, VACUUM, a DO block that commits) runs alone, as before; so does every statement of a
 * file that controls its own transactions.
 */
async function runStatement(ctx: ApplyContext, step: Step, statement: StatementText, statements: StatementText[]): Promise<void> {
  const timeouts = ctx.timeouts.lockTimeoutMs || ctx.timeouts.statementTimeoutMs
  if (!timeouts || statements.some((s) => s.kind === 'TransactionStmt')) {
    await ctx.sql.unsafe(statement.text)
    return
  }
  await retryOnLockTimeout(
    lockRetryOptions(ctx, () => step.source),
    () => inOwnTransaction(ctx, step, statement),
  )
}

/**
 * What a statement that must not run in a transaction block raises inside ours: 25001 (CREATE INDEX
 * CONCURRENTLY, VACUUM), 2D000 (a DO block or procedure that COMMITs). Ours rolled back everything it did.
 */
const NOT_IN_A_TRANSACTION = new Set(['25001', '2D000'])

async function inOwnTransaction(ctx: ApplyContext, step: Step, statement: StatementText): Promise<void> {
  const prefix = beginSql(ctx.timeouts)
  try {
    await ctx.sql.unsafe(`${prefix}${statement.text}\n;\ncommit;`)
  } catch (e) {
    await ctx.sql.unsafe('rollback').catch(() => {})
    if (isConnectionLost(e)) throw e
    if (NOT_IN_A_TRANSACTION.has((e as { code?: string }).code ?? '')) {
      await ctx.sql.unsafe(statement.text) // cannot run in a transaction block: alone, without the timeouts
      return
    }
    // The server counts the position from the start of what it was sent: make it the statement's own.
    const err = e as { position?: string }
    if (err.position) {
      const inStatement = Number(err.position) - prefix.length
      if (inStatement >= 1 && inStatement <= statement.text.length + 1) err.position = String(inStatement)
      else delete err.position
    }
    const text = normalize(step.source.content)
    throw migrationFailure(e, step.source, text, statement.text, statement.start)
  }
}

/** Mark the row failed (connecting again if the connection is what failed) and say truthfully what took effect. */
async function failed(ctx: ApplyContext, step: Step, e: unknown, progress: Progress): Promise<StrataError> {
  const lost = isConnectionLost(e)
  // A file that opened its own transaction left the session in it: end it as psql would, before the ledger write.
  if (!lost && step.file.ownTransaction) await ctx.sql.unsafe('rollback').catch(() => {})
  const err = lost ? await connectionLostFailure(ctx, e, step, [step]) : (e as StrataError)
  const done = Number(err.facts?.statementsDone ?? progress.done)
  const total = Number(err.facts?.statementsTotal ?? progress.total)
  const at = progress.running ? ` (line ${progress.running.line})` : ''
  let status = 'failed'
  try {
    await markFailed(ctx.sql, ctx.schema, step.file, err.message, {
      statements_done: done,
      statements_total: total,
      direction: step.direction,
    })
  } catch {
    status = (await readRows(ctx.sql, ctx.schema, [step.file.version]).catch(() => undefined))?.get(step.file.version)?.status ?? 'unknown'
  }
  const what =
    `${step.source.path} ran without a transaction: ${done} of ${total} statements took effect and stay; ` +
    `statement ${done + 1}${at} ${lost ? 'was running when the connection was lost and may or may not have taken effect' : 'failed'}` +
    (done + 1 < total ? `; the ${total - done - 1} after it did not run` : '')
  const fix =
    status === 'failed'
      ? `the ledger row is marked failed: fix the database (strata verify lists invalid indexes), then strata repair --rolled-back ${step.file.version} to run it again, or --applied ${step.file.version}`
      : `the ledger row could not be updated (it is ${status}): run strata status when the server is back`
  err.facts.rolledBack = `${what}; ${fix}`
  err.facts.outcome = `${err.facts.rolledBack}.`
  return err
}

/** A `running` row whose claim nobody holds: the run that wrote it died part-way. */
async function interrupted(ctx: ApplyContext, step: Step, row: LedgerRow): Promise<StrataError> {
  const progress = await readProgress(ctx.sql, ctx.schema, step.file.version)
  return new StrataError('history', `${step.file.path} was interrupted: ${describeInterrupted(row, progress)}`, {
    file: step.file.path,
    hint: `check what took effect (strata verify lists invalid indexes), then strata repair --rolled-back ${step.file.version} to run it again, or --applied ${step.file.version}`,
  })
}

const CONCURRENT_INDEX = /^\s*create\s+(unique\s+)?index\s+concurrently\b/i

/**
 * An interrupted or failed CREATE INDEX CONCURRENTLY leaves its index behind, INVALID: never used by queries,
 * still slowing every write, and skipped by IF NOT EXISTS when the file runs again. Drop it first.
 */
async function dropInvalidIndex(ctx: ApplyContext, statement: StatementText): Promise<void> {
  if (!CONCURRENT_INDEX.test(statement.text)) return
  const name = await indexName(statement.text)
  if (!name) return
  const [row] = await ctx.sql.unsafe(
    `select quote_ident(n.nspname) || '.' || quote_ident(c.relname) as name
       from pg_index i join pg_class c on c.oid = i.indexrelid join pg_namespace n on n.oid = c.relnamespace
      where i.indexrelid = to_regclass(${literal(name)}) and not i.indisvalid`,
  )
  if (!row) return
  ctx.onNote(`dropping the invalid index ${row.name} that an earlier run left, so that line ${statement.line} builds it again`)
  await ctx.sql.unsafe(`drop index concurrently if exists ${row.name}`)
}

async function indexName(text: string): Promise<string | undefined> {
  const { parseSql } = await import('../sql/index.js')
  const node = (await parseSql(text)).statements[0]?.node as
    { IndexStmt?: { idxname?: string; relation?: { schemaname?: string } } } | undefined
  const index = node?.IndexStmt
  if (!index?.idxname) return undefined
  const quote = (n: string) => `"${n.replace(/"/g, '""')}"`
  return index.relation?.schemaname ? `${quote(index.relation.schemaname)}.${quote(index.idxname)}` : quote(index.idxname)
}

const literal = (text: string) => `'${text.replace(/'/g, "''")}'`

const firstLine = (sql: string) => {
  const line = sql.split('\n')[0].trim()
  return line.length > 100 ? `${line.slice(0, 99)}…` : line
}
