/** Failures while running a file, turned into StrataErrors that say where (file:line:col) and what is known. */
import { StrataError } from '../errors.js'
import { caretLines } from '../location.js'
import { lineColumn } from '../sql/position.js'
import { isConnectionLost, type Sql } from '../db/connect.js'
import { readRows } from './ledger.js'

interface PgError {
  code?: string
  message?: string
  detail?: string
  hint?: string
  position?: string
  where?: string
}

/**
 * @param body   the text sent to the server
 * @param offset where `body` starts in the file text (statements of no-transaction files are sent one by one)
 */
export function migrationFailure(e: unknown, file: { path: string; content: string }, text: string, body: string, offset = 0): StrataError {
  if (e instanceof StrataError) return e
  const err = e as PgError
  const facts: StrataError['facts'] = { file: file.path, sqlstate: err.code, detail: err.detail, hint: err.hint }
  let where = file.path
  if (err.position) {
    // The server counts characters from 1 in the query it was sent.
    const { line, column } = lineColumn(text, offset + Number(err.position) - 1)
    Object.assign(facts, { line, column, context: caretLines(text, line, column) })
    where = `${file.path}:${line}:${column}`
  } else if (offset > 0) {
    const { line, column } = lineColumn(text, offset)
    Object.assign(facts, { line, column, context: caretLines(text, line, column) })
    where = `${file.path}:${line}:${column}`
  }
  if (err.where) facts.context = [...(facts.context ?? []), `where: ${err.where}`]
  const state = err.code && /^[0-9A-Z]{5}$/.test(err.code) ? ` [${err.code}]` : ''
  return new StrataError('migration', `${where}: ${err.message ?? String(e)}${state}`, facts)
}

export { isConnectionLost }

interface StepLike {
  direction: 'up' | 'down'
  file: { version: number; checksum: string; path: string }
  source: { path: string }
}

/**
 * The connection was lost while `failed` ran (and `inFlight` were sent): whether each committed is unknown to
 * the client, so connect again and read the ledger, which commits with each file; say what it shows.
 */
export async function connectionLostFailure<S extends StepLike>(
  ctx: { sql: Sql; schema: string; onDone(done: { step: S; ms: number }): void },
  e: unknown,
  failed: S,
  inFlight: S[],
  wholeRun = false,
): Promise<StrataError> {
  const reason = (e as Error).message ?? String(e)
  const error = new StrataError('connection', `${failed.source.path}: the connection to the server was lost while it ran (${reason})`, {
    file: failed.source.path,
    sqlstate: /^[0-9A-Z]{5}$/.test((e as PgError).code ?? '') ? (e as PgError).code : undefined,
    connectionLost: true,
  })
  const steps = inFlight.includes(failed) ? inFlight : [failed, ...inFlight]
  let rows
  try {
    const versions = steps.map((s) => s.file.version)
    rows = await readAgain(() => readRows(ctx.sql, ctx.schema, versions))
  } catch (again) {
    error.facts.outcome = `Strata could not connect again to read the ledger (${(again as Error).message}). Each file is applied with its ledger row or not at all: run strata status when the server is back to see which.`
    return error
  }
  const done: string[] = []
  const notDone: string[] = []
  const running: string[] = []
  for (const step of steps) {
    const row = rows.get(step.file.version)
    const finished = step.direction === 'up' ? row?.status === 'applied' && row.checksum === step.file.checksum : !row
    if (row?.status === 'running' || row?.status === 'failed') running.push(`${step.source.path} (its row is ${row.status})`)
    else if (finished) {
      done.push(step.source.path)
      ctx.onDone({ step, ms: row?.execution_ms ?? 0 })
    } else notDone.push(step.source.path)
  }
  const verb = failed.direction === 'up' ? 'applied' : 'rolled back'
  const parts = [
    done.length && `${done.join(', ')} ${done.length === 1 ? 'is' : 'are'} ${verb} (committed before the connection was lost)`,
    notDone.length &&
      `${notDone.join(', ')} ${notDone.length === 1 ? 'is' : 'are'} not ${verb}: nothing of ${notDone.length === 1 ? 'it' : 'them'} took effect`,
    running.length && `${running.join(', ')} ran without a transaction and stopped part-way: see strata status`,
  ].filter(Boolean)
  error.facts.outcome = `Strata connected again and read the ledger: ${parts.join('; ')}.${wholeRun ? ' (--single-transaction: the run committed as a whole or not at all)' : ''} Run strata ${failed.direction === 'up' ? 'migrate' : 'down'} again to go on.`
  error.facts.applied = failed.direction === 'up' ? done : []
  return error
}

/** The driver may hand the lost session's last words (57P01) to the next query: try a few times on a new connection. */
async function readAgain<T>(read: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await read()
    } catch (e) {
      if (attempt >= 3 || !isConnectionLost(e)) throw e
      await new Promise((r) => setTimeout(r, 200 * attempt))
    }
  }
}
