/**
 * Running a file's text on a connection, in each of the ways Strata runs files, with every failure located
 * in the file (file:line:col). One module for all of them:
 *   fileQuery + queryFailure  the file as one simple-protocol query between a prefix and a suffix that Strata
 *                             writes (BEGIN, lock, ledger row, COMMIT): migrate, down, --single-transaction
 *   runWhole                  the file in a transaction of its own, without the ledger: verify --shadow, check-reverse
 *   runStatements             statement by statement in autocommit: `-- strata:no-transaction` files
 */
import type { Sql } from '../db/connect.js'
import type { StrataError } from '../errors.js'
import type { StatementText } from '../sql/index.js'
import { normalize, type Source } from './file-format.js'
import { migrationFailure } from './failure.js'
import { locate, type Timeouts } from './locate.js'
import { statementsOf } from './statements.js'

export { statementsOf }
export type { Source }

export interface FileQuery {
  source: Source
  /** The whole query text. */
  text: string
  /** The file's text as sent (normalised line endings). */
  body: string
  /** What Strata put before the body: the server counts error positions from the start of the query. */
  prefix: string
}

/** `prefix`, the file's body and `suffix` as one query text; the newline ends a trailing `--` comment, the semicolon a last statement written without one. */
export function fileQuery(source: Source, prefix: string, suffix: string): FileQuery {
  const body = normalize(source.content)
  return { source, text: `${prefix}${body}\n;\n${suffix}`, body, prefix }
}

/** A server error of a file query as the file's own: its line and column, when the server gave a position inside the body. */
export function queryFailure(e: unknown, query: FileQuery): StrataError {
  const err = e as { position?: string }
  if (err.position) {
    const inBody = Number(err.position) - query.prefix.length
    // A position in Strata's own prefix or suffix is not the file's: leave it unlocated (locate() may find the statement).
    if (inBody >= 1 && inBody <= query.body.length + 1) err.position = String(inBody)
    else delete err.position
  }
  return migrationFailure(e, query.source, query.body, query.body)
}

/** A file in a transaction of its own, as migrate would run it but without the ledger. Throws a located StrataError. */
export async function runWhole(sql: Sql, source: Source, options: { noTransaction?: boolean; timeouts?: Timeouts } = {}): Promise<void> {
  if (options.noTransaction) {
    await runStatements(sql, source)
    return
  }
  const query = fileQuery(source, 'begin;\n', 'commit;')
  const t0 = performance.now()
  try {
    await sql.unsafe(query.text)
  } catch (e) {
    await sql.unsafe('rollback').catch(() => {})
    throw await locate(sql, queryFailure(e, query), { source, timeouts: options.timeouts, ranMs: performance.now() - t0 })
  }
}

export interface StatementHooks {
  /** Before each statement runs (the split is known by then). */
  before?(statement: StatementText, index: number, total: number): Promise<void> | void
  /** After each statement took effect. */
  after?(statement: StatementText, index: number, total: number): Promise<void> | void
  /** Runs the statement instead of sending its text alone (the runner adds timeouts and lock retries). */
  run?(statement: StatementText, statements: StatementText[]): Promise<void>
}

/**
 * Each statement alone, in autocommit, as `-- strata:no-transaction` files need (CREATE INDEX CONCURRENTLY).
 * A failure carries `statementsDone` and `statementsTotal`: what took effect stays.
 */
export async function runStatements(sql: Sql, source: Source, hooks: StatementHooks = {}): Promise<number> {
  const text = normalize(source.content)
  const statements = await statementsOf(text)
  for (const [i, statement] of statements.entries()) {
    await hooks.before?.(statement, i, statements.length)
    try {
      if (hooks.run) await hooks.run(statement, statements)
      else await sql.unsafe(statement.text)
    } catch (e) {
      const error = migrationFailure(e, source, text, statement.text, statement.start)
      Object.assign(error.facts, { statementsDone: i, statementsTotal: statements.length })
      throw error
    }
    await hooks.after?.(statement, i, statements.length)
  }
  return statements.length
}
