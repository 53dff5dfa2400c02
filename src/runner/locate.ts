/**
 * Finding the statement that failed, when the server did not say. A file runs as one query, and for many
 * run-time errors (a unique violation, a division by zero, a missing column in a function call) the server
 * gives no position. After such a failure, and only then, the file is run again statement
 * by statement in a transaction that is always rolled back, until a statement fails the same way: that one
 * is named, with its line and column. Statements are sent in chunks under a savepoint, so a large file costs
 * a round trip per chunk, and only the failing chunk is taken apart.
 *
 * What a replay cannot do is undone by its rollback, except what nothing undoes (sequence values, work sent
 * elsewhere by a function): the same as the failed run itself did. A file that ran long before it failed is
 * not replayed (it would take as long again), nor one with its own transaction control, nor a lock timeout
 * (lock-retry.ts names the statement and the session in the way from pg_locks instead).
 */
import type { Sql } from '../db/connect.js'
import type { StrataError } from '../errors.js'
import type { StatementText } from '../sql/index.js'
import { caretLines } from '../location.js'
import { lineColumn } from '../sql/position.js'
import { quoteLiteral } from '../sql/quote.js'
import { normalize } from './file-format.js'
import type { Source } from './file-format.js'
import { statementsOf } from './statements.js'
import { explainLockTimeout, LOCK_TIMEOUT } from './lock-retry.js'

export interface Timeouts {
  /** Milliseconds; 0 is off. */
  lockTimeoutMs: number
  statementTimeoutMs: number
}

export interface LocateOptions {
  source: Source
  timeouts?: Timeouts
  /** How long the failed run took: a long one is not replayed. */
  ranMs: number
  /** Files that ran before this one in the same (rolled back) transaction: run again first, whole. */
  before?: Source[]
  /** The search_path the file ran with (--each-schema), so that the replay resolves names as the run did. */
  searchPath?: string
}

/** Files that failed after running longer than this are not replayed to find the statement. */
export const REPLAY_LIMIT_MS = 30_000
/** The replay waits at most this long for a lock: long enough to meet the same lock again, short enough not to wait twice. */
const REPLAY_LOCK_TIMEOUT_MS = 2_000
const CHUNK_STATEMENTS = 200
const CHUNK_CHARS = 1 << 20
const SAVEPOINT = 'strata_locate'
const TRANSACTION_CONTROL = /^(begin|commit|rollback|abort|end|start\s+transaction|savepoint|release|prepare\s+transaction)\b/i

/**
 * Give `error` the failing statement's line, column and caret. Returns the same error, located when that
 * was possible; a note says why when it was not. Never throws: locating is a courtesy on top of the error.
 */
export async function locate(sql: Sql, error: StrataError, options: LocateOptions): Promise<StrataError> {
  if (error.code !== 'migration' || error.facts.line !== undefined || !error.facts.sqlstate) return error
  if (/^(08|57P)/.test(error.facts.sqlstate)) return error // the connection is gone: nothing to replay on
  // A replay would queue another lock request behind the same transaction, the very thing that stops an application.
  if (error.facts.sqlstate === LOCK_TIMEOUT) return explainLockTimeout(sql, error, options.source)
  const text = normalize(options.source.content)
  let statements: StatementText[]
  try {
    statements = await statementsOf(text)
  } catch {
    return error
  }
  if (statements.length === 1) return pin(error, text, statements[0])
  if (!statements.length) return error
  if (options.ranMs > REPLAY_LIMIT_MS)
    return note(error, `not replayed to find the statement: the file ran ${Math.round(options.ranMs / 1000)}s before it failed`)
  if (statements.some((s) => s.kind === 'TransactionStmt' || TRANSACTION_CONTROL.test(s.text)))
    return note(error, 'not replayed to find the statement: the file controls its own transaction')
  try {
    const found = await replay(sql, statements, options)
    if (!found)
      return note(error, 'replaying the file statement by statement did not fail again (the cause may be gone, e.g. a lock released)')
    const { statement, failure } = found
    if (failure.code !== error.facts.sqlstate) {
      return note(
        error,
        `replaying the file, ${options.source.path}:${statement.line}:${statement.column} failed instead: ${failure.message} [${failure.code}]`,
      )
    }
    return pin(error, text, statement, failure.position ? Number(failure.position) - 1 : undefined)
  } catch {
    return error
  }
}

interface ReplayFailure {
  code?: string
  message?: string
  position?: string
}

async function replay(sql: Sql, statements: StatementText[], options: LocateOptions) {
  const t = options.timeouts
  const lockMs = t?.lockTimeoutMs ? Math.min(t.lockTimeoutMs, REPLAY_LOCK_TIMEOUT_MS) : REPLAY_LOCK_TIMEOUT_MS
  const path = options.searchPath === undefined ? '' : `, set_config('search_path', ${quoteLiteral(options.searchPath)}, true)`
  await sql.unsafe(
    `begin isolation level read committed;
select set_config('lock_timeout', '${lockMs}ms', true), set_config('statement_timeout', '${t?.statementTimeoutMs ?? 0}ms', true)${path};`,
  )
  try {
    for (const before of options.before ?? []) await sql.unsafe(`${normalize(before.content)}\n;`)
    for (const chunk of chunks(statements)) {
      const failed = await attempt(sql, `savepoint ${SAVEPOINT};\n${chunk.map((s) => `${s.text}\n;`).join('\n')}`)
      if (!failed) continue
      await sql.unsafe(`rollback to savepoint ${SAVEPOINT}`)
      for (const statement of chunk) {
        const failure = await attempt(sql, `${statement.text}\n;`)
        if (failure) return { statement, failure }
      }
      return undefined // the chunk failed as a whole but no statement alone: give up rather than guess
    }
    return undefined
  } finally {
    await sql.unsafe('rollback').catch(() => {})
  }
}

async function attempt(sql: Sql, text: string): Promise<ReplayFailure | undefined> {
  try {
    await sql.unsafe(text)
    return undefined
  } catch (e) {
    return e as ReplayFailure
  }
}

function* chunks(statements: StatementText[]): Generator<StatementText[]> {
  let chunk: StatementText[] = []
  let chars = 0
  for (const statement of statements) {
    if (chunk.length && (chunk.length >= CHUNK_STATEMENTS || chars + statement.text.length > CHUNK_CHARS)) {
      yield chunk
      chunk = []
      chars = 0
    }
    chunk.push(statement)
    chars += statement.text.length
  }
  if (chunk.length) yield chunk
}

/** Put the statement's place on the error: `file:line:col: message`, the line with a caret. */
function pin(error: StrataError, text: string, statement: StatementText, positionInStatement?: number): StrataError {
  const { line, column } = positionInStatement === undefined ? statement : lineColumn(text, statement.start + positionInStatement)
  const file = error.facts.file ?? ''
  if (error.message.startsWith(`${file}: `)) error.message = `${file}:${line}:${column}: ${error.message.slice(file.length + 2)}`
  Object.assign(error.facts, { line, column, context: [...caretLines(text, line, column), ...(error.facts.context ?? [])] })
  return error
}

function note(error: StrataError, text: string): StrataError {
  error.facts.context = [...(error.facts.context ?? []), text]
  return error
}
