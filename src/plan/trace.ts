/**
 * `strata plan --trace`: build a scratch database from the applied history (setup files, the target's roles, the
 * applied files, optionally sample rows from the target), then apply the pending files there statement by
 * statement and record what each did (observe.ts): locks on relations that existed before the file, rewrites,
 * validation scans, time. Never on the target.
 *
 * A transaction file runs in one transaction, as migrate runs it, and its locks are read from pg_locks after
 * each statement, before COMMIT; a lock a statement takes is held until the file commits. A no-transaction file
 * runs each statement in a transaction of its own when the statement allows it (as migrate does), else alone in
 * autocommit, watched from a second connection.
 */
import { connect, type Sql } from '../db/connect.js'
import { openScratch, refuseNonEmpty } from '../db/scratch.js'
import { StrataError } from '../errors.js'
import { statementsOf, type Source } from '../runner/execute.js'
import { normalize, type MigrationFile } from '../runner/file-format.js'
import { migrationFailure } from '../runner/failure.js'
import type { StatementText } from '../sql/index.js'
import { blocksWrites, flagsFor, shapeOf } from './advice.js'
import { LOCK_MODES, observe, relationsNow, watchAutocommit, type Moment, type Relation } from './observe.js'
import { oneLine } from './render.js'
import { sampleRows } from './sample.js'
import type { HeldLock, LockTaken, PlannedFile, PlannedStatement } from './types.js'

export interface TraceInput {
  /** A database to use as scratch (it must be empty); default: an embedded Postgres in a temporary directory. */
  scratchUrl?: string
  setup: Source[]
  /** Roles the target has: created NOLOGIN first, so that GRANTs and policies in the history apply. */
  roles: string[]
  /** The applied files, in order: replayed whole to build the scratch database. */
  history: MigrationFile[]
  pending: MigrationFile[]
  /** Copy up to `rows` rows of each table from the target (`read` runs the caller's read-only reads there). */
  sample?: { rows: number; read: <T>(work: (target: Sql) => Promise<T>) => Promise<T> }
  onProgress?: (event: TraceProgress) => void
}

export type TraceProgress =
  | { type: 'scratch'; shown: string }
  | { type: 'history'; files: number }
  | { type: 'sampled'; tables: number; rows: number }
  | { type: 'traced'; path: string }
  | { type: 'note'; message: string }

/** Per pending file, what the trace adds to the plan. */
export type TracedFile = Pick<PlannedFile, 'path' | 'statements' | 'holds' | 'error' | 'ms'>

export async function tracePending(input: TraceInput): Promise<{ shown: string; files: TracedFile[] }> {
  const progress = input.onProgress ?? (() => {})
  const scratch = await openScratch(input.scratchUrl)
  try {
    progress({ type: 'scratch', shown: scratch.shown })
    await refuseNonEmpty(scratch, 'plan --trace')
    await buildHistory(scratch.sql, input)
    progress({ type: 'history', files: input.history.length })
    if (input.sample) {
      const sampled = await input.sample.read((target) =>
        sampleRows(target, scratch.sql, input.sample!.rows, (m) => progress({ type: 'note', message: m })),
      )
      progress({ type: 'sampled', ...sampled })
    }
    const tracer = new Tracer(scratch.sql, scratch.url)
    const files: TracedFile[] = []
    try {
      for (const file of input.pending) {
        const traced = await tracer.file(file)
        files.push(traced)
        progress({ type: 'traced', path: file.path })
        if (traced.error) break // the files after it were written for a database where it applied
      }
    } finally {
      await tracer.close()
    }
    return { shown: scratch.shown, files }
  } finally {
    await scratch.close()
  }
}

/** The applied history, replayed as verify --shadow replays it (roles, setup files, each file in its run mode). */
async function buildHistory(sql: Sql, input: TraceInput): Promise<void> {
  const { replayHistory } = await import('../verify/shadow.js')
  try {
    await replayHistory(sql, input.history, { roles: input.roles, setup: input.setup })
  } catch (e) {
    const err = e instanceof StrataError ? e : new StrataError('migration', String(e))
    throw new StrataError('migration', `plan --trace: the applied history does not build on the scratch database: ${err.message}`, {
      ...err.facts,
      hint: 'the scratch database needs what the history expects from its platform (schemas, extensions, roles): load stand-ins with --setup FILE, or give a scratch server that has them with --scratch-url',
    })
  }
}

class Tracer {
  private side?: { observer: Sql; gate: Sql }
  constructor(
    private sql: Sql,
    private url: string,
  ) {}

  async file(file: MigrationFile): Promise<TracedFile> {
    const text = normalize(file.content)
    const statements = await statementsOf(text)
    const before = await relationsNow(this.sql)
    const traced: TracedFile = { path: file.path, statements: [] }
    const steps = file.noTransaction
      ? await this.alone(file, text, statements, before, traced)
      : await this.inTransaction(file, text, statements, before, traced)
    traced.ms = round(steps.reduce((t, s) => t + s.ms, 0)) // the statements' own time, not our observing
    if (!file.noTransaction && !traced.error) traced.holds = heldLocks(steps)
    return traced
  }

  /** The file in one transaction; each statement's locks read before COMMIT. */
  private async inTransaction(
    file: MigrationFile,
    text: string,
    statements: StatementText[],
    before: Map<number, Relation>,
    traced: TracedFile,
  ) {
    const steps: Step[] = []
    await this.sql.unsafe('begin isolation level read committed')
    try {
      let moment = await observe(this.sql)
      for (const statement of statements) {
        const t0 = performance.now()
        await this.sql.unsafe(statement.text)
        const ms = performance.now() - t0
        const now = await observe(this.sql)
        steps.push({ statement, ms, seen: changes(before, moment, now, statement) })
        moment = now
      }
      await this.sql.unsafe('commit')
    } catch (e) {
      await this.sql.unsafe('rollback').catch(() => {})
      traced.error = failure(e, file, text, steps.length < statements.length ? statements[steps.length] : undefined)
    }
    let remaining = steps.reduce((t, s) => t + s.ms, 0)
    for (const step of steps) {
      traced.statements.push(await planned(step, traced.error ? null : remaining))
      remaining -= step.ms
    }
    return steps
  }

  /** A no-transaction file: each statement in a transaction of its own when it allows one, else watched in autocommit. */
  private async alone(file: MigrationFile, text: string, statements: StatementText[], before: Map<number, Relation>, traced: TracedFile) {
    const steps: Step[] = []
    for (const statement of statements) {
      try {
        const step = await this.ownTransaction(statement, before)
        steps.push(step ?? (await this.autocommit(statement, before)))
      } catch (e) {
        traced.error = failure(e, file, text, statement)
        break
      }
      traced.statements.push(await planned(steps.at(-1)!, null))
    }
    return steps
  }

  private async ownTransaction(statement: StatementText, before: Map<number, Relation>): Promise<Step | undefined> {
    await this.sql.unsafe('begin isolation level read committed')
    try {
      const moment = await observe(this.sql)
      const t0 = performance.now()
      await this.sql.unsafe(statement.text)
      const ms = performance.now() - t0
      const seen = changes(before, moment, await observe(this.sql), statement)
      await this.sql.unsafe('commit')
      return { statement, ms, seen }
    } catch (e) {
      await this.sql.unsafe('rollback').catch(() => {})
      if ((e as { code?: string }).code === '25001') return undefined // cannot run in a transaction block
      throw e
    }
  }

  private async autocommit(statement: StatementText, before: Map<number, Relation>): Promise<Step> {
    this.side ??= { observer: connect({ url: this.url }), gate: connect({ url: this.url }) }
    const moment = await observe(this.sql)
    const watched = await watchAutocommit(this.sql, this.side.observer, this.side.gate, statement.text)
    const after = await observe(this.sql)
    const seen = changes(before, { ...moment, locks: new Set() }, { ...after, locks: watched.locks }, statement)
    return { statement, ms: watched.ms, seen: { ...seen, scans: [] } } // scan counts are per transaction: not known here
  }

  async close(): Promise<void> {
    if (!this.side) return
    await Promise.all([this.side.observer.end({ timeout: 5 }), this.side.gate.end({ timeout: 5 })]).catch(() => {})
  }
}

interface Seen {
  locks: (LockTaken & { kind: string })[]
  rewrites: { relation: string; indexes: number }[]
  /** Every relation whose file node changed, tables and indexes. */
  rewritten: string[]
  scans: string[]
}

interface Step {
  statement: StatementText
  ms: number
  seen: Seen
}

/** What changed between two moments, on relations that existed before the file. */
function changes(before: Map<number, Relation>, from: Moment, to: Moment, statement: StatementText): Seen {
  const strongest = new Map<number, string>()
  for (const key of to.locks) {
    if (from.locks.has(key)) continue // held already: taken by an earlier statement of the file
    const [oid, mode] = [Number(key.slice(0, key.indexOf(':'))), key.slice(key.indexOf(':') + 1)]
    if (!before.has(oid)) continue
    const had = strongest.get(oid)
    if (!had || LOCK_MODES.indexOf(mode) > LOCK_MODES.indexOf(had)) strongest.set(oid, mode)
  }
  // An index's lock says nothing more when its table's is reported (a table lock comes with its indexes').
  const locks = [...strongest]
    .filter(([oid]) => !(before.get(oid)!.table && strongest.has(before.get(oid)!.table!)))
    .map(([oid, mode]) => ({ relation: before.get(oid)!.name, mode, kind: before.get(oid)!.kind }))
  const changed = [...before.values()].filter((r) => {
    const a = from.filenodes.get(r.oid)
    const b = to.filenodes.get(r.oid)
    return a !== undefined && b !== undefined && a !== 0 && a !== b
  })
  const truncate = statement.kind === 'TruncateStmt' // a new, empty file: not a rewrite of rows
  const rewritten = truncate ? [] : changed.sort((a, b) => Number(!!a.table) - Number(!!b.table)) // tables first
  const tables = rewritten.filter((r) => !r.table)
  const rewrites = tables.map((t) => ({ relation: t.name, indexes: rewritten.filter((r) => r.table === t.oid).length }))
  // Validation reads of ALTER TABLE (a table it rewrote was read anyway).
  const scans =
    statement.kind === 'AlterTableStmt'
      ? [...before.values()]
          .filter((r) => !r.table && (to.scans.get(r.oid) ?? 0) > (from.scans.get(r.oid) ?? 0) && !rewritten.includes(r))
          .map((r) => r.name)
      : []
  return { locks, rewrites, rewritten: rewritten.map((r) => r.name), scans }
}

async function planned(step: Step, heldMs: number | null): Promise<PlannedStatement> {
  const { seen, statement } = step
  const interesting =
    seen.rewrites.length || seen.scans.length || seen.locks.some((l) => l.mode !== 'AccessShareLock' && l.mode !== 'RowExclusiveLock')
  const flags = interesting ? flagsFor(await shapeOf(statement.text), { ...seen, heldMs }) : []
  return {
    line: statement.line,
    column: statement.column,
    sql: oneLine(statement.text),
    ms: round(step.ms),
    locks: seen.locks.map(({ relation, mode }) => ({ relation, mode })),
    rewrites: seen.rewritten,
    scans: seen.scans,
    flags,
  }
}

/** Locks that block writes, from the statement that took them until COMMIT (a weaker one after a stronger is no news). */
function heldLocks(steps: Step[]): HeldLock[] {
  const held: HeldLock[] = []
  const strongest = new Map<string, number>()
  let remaining = steps.reduce((t, s) => t + s.ms, 0)
  for (const step of steps) {
    for (const lock of step.seen.locks) {
      const rank = LOCK_MODES.indexOf(lock.mode)
      if (!blocksWrites(lock.mode) || rank <= (strongest.get(lock.relation) ?? -1)) continue
      strongest.set(lock.relation, rank)
      held.push({ relation: lock.relation, mode: lock.mode, line: step.statement.line, ms: round(remaining) })
    }
    remaining -= step.ms
  }
  return held
}

function failure(e: unknown, file: MigrationFile, text: string, statement: StatementText | undefined): NonNullable<TracedFile['error']> {
  const err = migrationFailure(e, file, text, statement?.text ?? text, statement?.start ?? 0)
  return { line: err.facts.line, column: err.facts.column, message: err.message, sqlstate: err.facts.sqlstate }
}

const round = (ms: number) => Math.round(ms * 10) / 10
