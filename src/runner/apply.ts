/**
 * Applying files: the protocol of DESIGN.md ("Applying"), in as few round trips as it allows.
 *
 * Per file, a single simple-protocol query
 *   BEGIN; SET LOCAL timeouts; guard; <the file body, unsplit>; INSERT ledger row and event; COMMIT
 * where the guard takes pg_try_advisory_xact_lock and checks that no ledger row exists for the version and
 * that the file before it in this run has its row. The server runs the statements in order and stops at the
 * first error, so a busy lock or a row that a concurrent runner wrote stops the query before the body (we
 * roll back, then wait and report like the slow path), and the ledger row is never written for a body that
 * failed. Simple-protocol queries cannot carry parameters, so the few values we add are escaped literals.
 *
 * The queries of consecutive files are pipelined: the next ones are sent before the first answers, so a
 * database 20 ms away costs 20 ms per window of files instead of per file. A file still applies only after
 * the one before it committed: the server runs one connection's queries in order, a failed transaction
 * leaves the session refusing everything until our ROLLBACK, and the guard's predecessor check stops a file
 * whose predecessor has no row whatever the transport did (a pooler, a body that ended its own transaction).
 */
import type { Sql } from '../db/connect.js'
import { StrataError } from '../errors.js'
import { normalize, type MigrationFile } from './file-format.js'
import { migrationFailure } from './failure.js'
import { actorDetails, lockKey, waitForLock, quoteIdent, recordEvent, type LedgerRow } from './ledger.js'
import { quoteLiteral } from '../sql/quote.js'

export type TransactionMode = 'transaction' | 'single-transaction' | 'no-transaction'

export interface Applied {
  version: number
  name: string
  path: string
  ms: number
}

export interface ApplyContext {
  sql: Sql
  schema: string
  timeouts: { lock_timeout: string; statement_timeout: string }
  waitMs: number
  onWait(message: string): void
  onStart(file: MigrationFile, mode: TransactionMode): void
  onApplied(applied: Applied): void
  onSkipped(file: MigrationFile): void
}

/** SQLSTATEs of the guard: the lock is held by another runner; the version is already in the ledger. */
const LOCK_BUSY = 'SL001'
const ALREADY_RECORDED = 'SL002'
/** The guard's third check: the file sent before this one has no applied row (it failed, or has not run). */
const PREDECESSOR_MISSING = 'SL003'
/** What a query sent after a failed one gets: its predecessor's failure, not its own. */
const AFTER_FAILURE = new Set([PREDECESSOR_MISSING, '25P02'])

/** Files in flight at once, and their bytes: enough to hide a distant server's round trips, few enough to keep memory flat. */
const PIPELINE_FILES = 32
const PIPELINE_BYTES = 4 << 20

/** READ COMMITTED, so that what a statement reads after the lock is what the previous holder committed. */
function beginSql(ctx: ApplyContext): string {
  const t = ctx.timeouts
  return `begin isolation level read committed;
select set_config('lock_timeout', ${quoteLiteral(t.lock_timeout)}, true), set_config('statement_timeout', ${quoteLiteral(t.statement_timeout)}, true);
`
}

/** `after`: the version sent just before this one in this run, which must be applied by the time this one runs. */
function guardSql(ctx: ApplyContext, version: number, after?: number): string {
  const s = quoteIdent(ctx.schema)
  const predecessor =
    after === undefined
      ? ''
      : `
  if not exists (select from ${s}.migrations where version = ${after} and status = 'applied') then
    raise exception using errcode = '${PREDECESSOR_MISSING}', message = 'strata: version ${after}, before ${version}, is not applied';
  end if;`
  return `do $strata$ begin
  if not pg_try_advisory_xact_lock(${lockKey(ctx.schema)}) then
    raise exception using errcode = '${LOCK_BUSY}', message = 'strata: the migration lock is held by another runner';
  end if;
  if exists (select from ${s}.migrations where version = ${version}) then
    raise exception using errcode = '${ALREADY_RECORDED}', message = 'strata: version ${version} is already in the ledger';
  end if;${predecessor}
end $strata$;
`
}

/**
 * BEGIN, set the timeouts, take the lock and re-read `versions` in one round trip; on a busy lock roll back,
 * say who holds it, back off and try again until --wait runs out. READ COMMITTED, so the re-read sees what
 * the previous holder committed.
 */
async function beginLocked(ctx: ApplyContext, versions: number[], setTimeouts = true): Promise<Map<number, LedgerRow>> {
  const key = lockKey(ctx.schema)
  const begin = setTimeouts ? beginSql(ctx) : 'begin isolation level read committed;'
  const reread = versions.length
    ? `select version, name, checksum, status from ${quoteIdent(ctx.schema)}.migrations where version in (${versions.join(',')})`
    : 'select 1 where false'
  return waitForLock(ctx.sql, ctx.schema, ctx.waitMs, ctx.onWait, async () => {
    const results = (await ctx.sql.unsafe(
      `${begin} select pg_try_advisory_xact_lock(${key}) as locked; ${reread}`,
    )) as unknown as LedgerRow[][]
    const [locked, rows] = results.slice(-2) as [{ locked?: boolean }[], LedgerRow[]]
    if (locked[0].locked) return new Map(rows.map((r) => [Number(r.version), r]))
    await ctx.sql.unsafe('rollback') // wait outside a transaction: nothing held open behind a pooler
    return undefined
  })
}

/** Another runner got here first: fine when it applied the same file, a refusal otherwise. */
function appliedMeanwhile(row: LedgerRow | undefined, file: MigrationFile): boolean {
  if (!row) return false
  if (row.status === 'applied' && row.checksum === file.checksum) return true
  throw new StrataError(
    'history',
    `${file.path}: version ${file.version} is already in the ledger as ${row.status}${row.checksum !== file.checksum ? ' with another checksum' : ''}`,
    { file: file.path },
  )
}

/** The ledger row and its event, as one statement that runs right after the body, in its transaction. */
function recordSql(schema: string, file: MigrationFile, mode: TransactionMode): string {
  const s = quoteIdent(schema)
  const actor = actorDetails()
  // statement_timestamp() is when this query arrived, so the difference is the body's own run time.
  return `with row as (
  insert into ${s}.migrations (version, name, checksum, status, started_at, finished_at, execution_ms)
  values (${file.version}, ${quoteLiteral(file.name)}, ${quoteLiteral(file.checksum)}, 'applied', statement_timestamp(), clock_timestamp(),
    round(extract(epoch from clock_timestamp() - statement_timestamp()) * 1000))
  returning version, checksum, name, execution_ms)
insert into ${s}.events (action, version, checksum, details)
select 'apply', version, checksum, jsonb_build_object('name', name, 'path', ${quoteLiteral(file.path)}, 'execution_ms', execution_ms,
  'mode', ${quoteLiteral(mode)}, 'os_user', ${quoteLiteral(actor.os_user)}, 'host', ${quoteLiteral(actor.host)})
from row;`
}

/** When a file of --single-transaction ran, by the server's clock, as text to be written back verbatim. */
interface RunTimes {
  started_at: string
  finished_at: string
  execution_ms: number
}

const runTimesSql = `select statement_timestamp()::text as started_at, clock_timestamp()::text as finished_at,
  round(extract(epoch from clock_timestamp() - statement_timestamp()) * 1000)::int as execution_ms;`

/** --single-transaction: the ledger rows and events of every file in two statements, before COMMIT. */
function recordAllSql(schema: string, done: { file: MigrationFile; times: RunTimes }[]): string {
  const s = quoteIdent(schema)
  const actor = actorDetails()
  const rows = done.map(
    ({ file, times: t }) =>
      `(${file.version}, ${quoteLiteral(file.name)}, ${quoteLiteral(file.checksum)}, 'applied', ${quoteLiteral(t.started_at)}, ${quoteLiteral(t.finished_at)}, ${t.execution_ms})`,
  )
  const events = done.map(({ file, times }) => {
    const details = { name: file.name, path: file.path, execution_ms: times.execution_ms, mode: 'single-transaction', ...actor }
    return `('apply', ${file.version}, ${quoteLiteral(file.checksum)}, ${quoteLiteral(JSON.stringify(details))}::jsonb)`
  })
  return `insert into ${s}.migrations (version, name, checksum, status, started_at, finished_at, execution_ms) values
${rows.join(',\n')};
insert into ${s}.events (action, version, checksum, details) values
${events.join(',\n')};`
}

interface FileQuery {
  text: string
  body: string
  prefix: string
}

/** `prefix`, the file's body and `suffix` as one query text; the newline ends a trailing `--` comment, the semicolon a last statement written without one. */
function fileQuery(file: MigrationFile, prefix: string, suffix: string): FileQuery {
  const body = normalize(file.content)
  return { text: `${prefix}${body}\n;\n${suffix}`, body, prefix }
}

/** A server error as the file's own: its line and column (the server counts from the start of the query, so the prefix is taken off). */
function fileFailure(e: unknown, file: MigrationFile, query: FileQuery): StrataError {
  const err = e as { position?: string }
  if (err.position) err.position = String(Number(err.position) - query.prefix.length)
  return migrationFailure(e, file, query.body, query.body)
}

const isContention = (e: unknown) => [LOCK_BUSY, ALREADY_RECORDED].includes((e as { code?: string }).code ?? '')

/** `prefix`, the file's body and `suffix` as one query; the last statement's rows are returned. */
async function runBody(ctx: ApplyContext, file: MigrationFile, prefix: string, suffix: string): Promise<unknown[]> {
  const query = fileQuery(file, prefix, suffix)
  try {
    const results = (await ctx.sql.unsafe(query.text)) as unknown as unknown[][]
    return results.at(-1) ?? []
  } catch (e) {
    throw fileFailure(e, file, query)
  }
}

async function rollback(ctx: ApplyContext): Promise<void> {
  await ctx.sql.unsafe('rollback').catch(() => {})
}

/** What the server answered to a query sent ahead: the last statement's rows, or the error. */
type Answer = { rows: unknown[] } | { error: unknown }

interface Sent {
  index: number
  file: MigrationFile
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
  send(index: number, file: MigrationFile, query: FileQuery): void {
    const answer = this.sql.unsafe(query.text).then(
      (results): Answer => ({ rows: (results as unknown as unknown[][]).at(-1) ?? [] }),
      (error: unknown): Answer => ({ error }),
    )
    this.sent.push({ index, file, query, sentAt: performance.now(), answer })
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
 * The default mode: each file in its own transaction together with its ledger row, pipelined (see the top of
 * this file). A `-- strata:no-transaction` file waits until everything before it has answered, then runs alone.
 * On a failure, the failed file's error is thrown (the last file given to `onStart`); the files after it were not applied.
 */
export async function applyEach(ctx: ApplyContext, files: MigrationFile[]): Promise<void> {
  const pipeline = new Pipeline(ctx.sql)
  let next = 0
  let lastDone = 0
  let announced: MigrationFile | undefined
  let resent: MigrationFile | undefined
  const send = (index: number) => {
    const file = files[index]
    const after = index > 0 ? files[index - 1].version : undefined
    const prefix = beginSql(ctx) + guardSql(ctx, file.version, after)
    pipeline.send(index, file, fileQuery(file, prefix, `${recordSql(ctx.schema, file, 'transaction')}\ncommit;`))
  }
  while (next < files.length || !pipeline.empty) {
    while (next < files.length && !files[next].noTransaction && !pipeline.full) send(next++)
    if (pipeline.empty) {
      await applyWithoutTransaction(ctx, files[next++]) // a no-transaction file, with nothing in flight
      lastDone = performance.now()
      continue
    }
    const head = pipeline.next()
    if (announced !== head.file) ctx.onStart(head.file, 'transaction')
    announced = head.file
    const answer = await head.answer
    if ('rows' in answer) {
      const ms = performance.now() - Math.max(head.sentAt, lastDone) // from when the server could start it
      lastDone = performance.now()
      ctx.onApplied({ version: head.file.version, name: head.file.name, path: head.file.path, ms: Math.round(ms) })
      continue
    }
    // Everything sent after a failure fails unrun (see the top of this file): roll back and go on from the file that failed.
    await pipeline.settle()
    await rollback(ctx)
    next = head.index + 1
    const { error } = answer
    if (isContention(error)) {
      await applyAfterWaiting(ctx, head.file)
      lastDone = performance.now()
    } else if (AFTER_FAILURE.has((error as { code?: string }).code ?? '') && resent !== head.file) {
      // Only a pooler that reorders pipelined queries gets here: its predecessor did commit. Send it again, once.
      resent = head.file
      next--
    } else {
      throw fileFailure(error, head.file, head.query)
    }
  }
}

/** Another runner holds the lock or got here first: wait for the lock (saying who holds it), re-read, then run or skip. */
async function applyAfterWaiting(ctx: ApplyContext, file: MigrationFile): Promise<void> {
  const rows = await beginLocked(ctx, [file.version])
  try {
    if (appliedMeanwhile(rows.get(file.version), file)) {
      await ctx.sql.unsafe('commit')
      return ctx.onSkipped(file)
    }
    const t0 = performance.now()
    await runBody(ctx, file, '', `${recordSql(ctx.schema, file, 'transaction')}\ncommit;`)
    ctx.onApplied({ version: file.version, name: file.name, path: file.path, ms: Math.round(performance.now() - t0) })
  } catch (e) {
    await rollback(ctx)
    throw e
  }
}

/**
 * --single-transaction: every pending file and its row in one transaction; all or nothing. The files' queries
 * are pipelined too. After a failed file the session refuses everything until our ROLLBACK; and each file first
 * checks the run's mark, a transaction-local setting, so that none runs once an earlier file ended the
 * transaction with its own COMMIT (which lint's explicit-transaction-control refuses unless ignored).
 */
export async function applyAllInOneTransaction(ctx: ApplyContext, files: MigrationFile[]): Promise<{ failed?: MigrationFile }> {
  const rows = await beginLocked(
    ctx,
    files.map((f) => f.version),
  )
  const mark = `${process.pid}.${Date.now()}`
  const pipeline = new Pipeline(ctx.sql)
  const done: { file: MigrationFile; times: RunTimes }[] = []
  let current: MigrationFile | undefined
  try {
    const todo: MigrationFile[] = []
    for (const file of files) {
      current = file
      if (appliedMeanwhile(rows.get(file.version), file)) ctx.onSkipped(file)
      else todo.push(file)
    }
    let next = 0
    while (next < todo.length || !pipeline.empty) {
      for (; next < todo.length && !pipeline.full; next++) {
        const prefix = (next === 0 ? `select set_config('strata.run', '${mark}', true);\n` : '') + markCheckSql(mark)
        pipeline.send(next, todo[next], fileQuery(todo[next], prefix, runTimesSql))
      }
      const head = pipeline.next()
      current = head.file
      ctx.onStart(head.file, 'single-transaction')
      const answer = await head.answer
      if ('rows' in answer) {
        done.push({ file: head.file, times: answer.rows[0] as RunTimes })
        continue
      }
      await pipeline.settle()
      if (!String((answer.error as Error).message).includes(MARK_LOST)) throw fileFailure(answer.error, head.file, head.query)
      const ended = todo[head.index - 1]
      throw new StrataError('migration', `${ended.path} ended the transaction of --single-transaction with its own COMMIT or ROLLBACK`, {
        file: ended.path,
        hint: 'remove the transaction control from the file (lint rule explicit-transaction-control)',
        rolledBack: `${head.file.path} and the files after it did not run; what ran before that COMMIT stays applied without ledger rows: check the database before you run strata again`,
      })
    }
    current = undefined
    // One statement for all the rows instead of two per file: they commit together anyway.
    await ctx.sql.unsafe(`${done.length ? recordAllSql(ctx.schema, done) : ''}\ncommit;`)
  } catch (e) {
    await pipeline.settle()
    await rollback(ctx)
    if (e instanceof StrataError) e.facts.failedFile = current?.path
    throw e
  }
  for (const { file, times } of done) ctx.onApplied({ version: file.version, name: file.name, path: file.path, ms: times.execution_ms })
  return {}
}

const MARK_LOST = 'strata: the transaction of this run has ended'

/** Fails (a cast that cannot succeed) when the run's mark is gone: the transaction ended before this file. */
function markCheckSql(mark: string): string {
  // The text is not a constant (current_setting is only stable), so the planner cannot fold the cast and fail early.
  return `select (coalesce(current_setting('strata.run', true), '') || ' ${MARK_LOST}')::int where current_setting('strata.run', true) is distinct from '${mark}';\n`
}

/**
 * A `-- strata:no-transaction` file: claim the version with a committed `running` row, run each statement
 * alone in autocommit, then mark it applied, or failed with the error so that nobody passes it unawares.
 */
export async function applyWithoutTransaction(ctx: ApplyContext, file: MigrationFile): Promise<void> {
  ctx.onStart(file, 'no-transaction')
  const s = quoteIdent(ctx.schema)
  const rows = await beginLocked(ctx, [file.version], false)
  try {
    if (appliedMeanwhile(rows.get(file.version), file)) {
      await ctx.sql.unsafe('commit')
      return ctx.onSkipped(file)
    }
    await ctx.sql.unsafe(
      `insert into ${s}.migrations (version, name, checksum, status) values (${file.version}, ${quoteLiteral(file.name)}, ${quoteLiteral(file.checksum)}, 'running'); commit;`,
    )
  } catch (e) {
    await rollback(ctx)
    throw e
  }

  const text = normalize(file.content)
  const { splitStatements } = await import('../sql/index.js') // the parser loads only for files that need splitting
  const statements = await splitStatements(text)
  const t0 = performance.now()
  let done = 0
  try {
    for (const stmt of statements) {
      try {
        await ctx.sql.unsafe(stmt.text)
      } catch (e) {
        throw migrationFailure(e, file, text, stmt.text, stmt.start)
      }
      done++
    }
  } catch (e) {
    const error = (e as Error).message
    await ctx.sql.begin(async (tx) => {
      await tx.unsafe(`update ${s}.migrations set status = 'failed', finished_at = clock_timestamp(), error = $2 where version = $1`, [
        file.version,
        error,
      ])
      await recordEvent(tx as unknown as Sql, ctx.schema, 'fail', file.version, file.checksum, {
        name: file.name,
        path: file.path,
        error,
        statements_done: done,
        mode: 'no-transaction',
      })
    })
    const err = e as StrataError
    err.facts.rolledBack = `${file.path} ran without a transaction: ${done} of ${statements.length} statements took effect and stay; it is marked failed until you fix the database and run strata repair`
    throw err
  }
  const ms = Math.round(performance.now() - t0)
  await ctx.sql.begin(async (tx) => {
    await tx.unsafe(
      `update ${s}.migrations set status = 'applied', finished_at = clock_timestamp(), execution_ms = $2 where version = $1`,
      [file.version, ms],
    )
    await recordEvent(tx as unknown as Sql, ctx.schema, 'apply', file.version, file.checksum, {
      name: file.name,
      path: file.path,
      execution_ms: ms,
      mode: 'no-transaction',
    })
  })
  ctx.onApplied({ version: file.version, name: file.name, path: file.path, ms })
}
