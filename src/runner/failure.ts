/** A server error while running a file, turned into a StrataError that says where (file:line:col) and why. */
import { StrataError } from '../errors.js'
import { caretLines } from '../location.js'
import { lineColumn } from '../sql/position.js'

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
  const state = err.code ? ` [${err.code}]` : ''
  return new StrataError('migration', `${where}: ${err.message ?? String(e)}${state}`, facts)
}
