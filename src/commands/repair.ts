/**
 * `strata repair`: change the ledger deliberately, one version at a time, never by hand in psql.
 *   --applied V         record V as applied without running it (after fixing the database by hand); its objects
 *                       must exist (as baseline checks), unless --force
 *   --reapply V         run the applied file V again, in one transaction with its event: when its objects went missing
 *   --rolled-back V     forget V's ledger row; nothing in the database changes, migrate will apply it again
 *   --accept-checksum V accept the edited file on disk as what was applied
 * Each writes a `repair` event with the row as it was, and asks first (or needs --yes).
 */
import { resolveOptions, type CommonOptions } from '../config/index.js'
import { openTarget, type Target } from '../db/target.js'
import { isConnectionLost } from '../db/connect.js'
import type { Sql } from '../db/connect.js'
import { StrataError } from '../errors.js'
import { readMigrations } from '../runner/files.js'
import { type MigrationFile } from '../runner/file-format.js'
import {
  ensureLedger,
  markRepaired,
  readLedger,
  reappliedEventSql,
  recordEvent,
  recordWithoutRunning,
  removeRow,
  type LedgerRow,
} from '../runner/ledger.js'
import { beginLocked, type ApplyContext } from '../runner/step.js'
import { fileQuery, queryFailure, runStatements } from '../runner/execute.js'
import { locate } from '../runner/locate.js'
import { checkBeforeRecording } from '../verify/before-recording.js'
import type { ObjectProblem } from '../verify/index.js'
import { DEFAULT_LOCK_TIMEOUT, underLock } from '../runner/lock.js'
import { parseDuration } from '../config/duration.js'
import { decideRunModes } from '../runner/run-mode.js'

export type RepairAction = 'applied' | 'rolled-back' | 'accept-checksum' | 'reapply'

export interface RepairOptions extends CommonOptions {
  applied?: number
  rolledBack?: number
  acceptChecksum?: number
  reapply?: number
  /** --applied: record even when objects the file creates are missing (the event says so). */
  force?: boolean
  /** Confirm without asking; --reapply of a no-transaction file needs it even on a terminal. */
  yes?: boolean
  /** Ask a person; without it (no terminal) and without `yes`, repair refuses. */
  confirm?: (question: string) => Promise<boolean>
  /** How long to wait for a running migrate to finish, in milliseconds (default 60 000). */
  waitMs?: number
}

export interface RepairResult {
  target: string
  action: RepairAction
  version: number
  name: string
  /** The ledger row before the repair, as recorded in the event. */
  before: LedgerRow | null
  /** The row after it, or null when it was removed. */
  after: { status: string; checksum: string } | null
  /** --applied --force: objects the file creates that were missing when it was recorded. */
  missing: ObjectProblem[]
  /** --reapply: how long the file ran. */
  ms?: number
}

export async function repair(options: RepairOptions): Promise<RepairResult> {
  const { action, version } = chosenAction(options)
  const cfg = resolveOptions(options)
  const files = readMigrations(cfg.dir, cfg.cwd, cfg.layout)
  const file = files.find((f) => f.version === version)
  const target = await openTarget(cfg)
  try {
    const rows = await readLedger(target.sql, cfg.schema)
    const before = rows.find((r) => r.version === version) ?? null
    const question = plan(action, version, file, before)
    if (action === 'reapply' && file!.noTransaction && !options.yes) {
      throw new StrataError(
        'usage',
        `--reapply ${version}: ${file!.path} is a no-transaction file: it runs statement by statement, and a failure leaves the statements before it applied`,
        {
          file: file!.path,
          hint: 'pass --yes to run it so, knowingly',
        },
      )
    }
    const check =
      action === 'applied'
        ? await checkBeforeRecording(target.sql, {
            files: [...files.filter((f) => rows.some((r) => r.version === f.version && r.status === 'applied')), file!],
            recording: [version],
            ledgerSchema: cfg.schema,
            force: options.force,
            command: `repair --applied ${version}`,
            hint: `apply what is missing first; if the file never ran, strata repair --rolled-back ${version} and migrate, or run it again with strata repair --reapply`,
          })
        : { problems: [], forced: false }
    await confirmed(options, `${question} on ${target.shown}?`)
    const waitMs = options.waitMs ?? 60_000
    const base = { target: target.shown, action, version, name: file?.name ?? before!.name, before, missing: check.problems }
    if (action === 'reapply') {
      const ms = await reapply(target, cfg.schema, file!, waitMs)
      return { ...base, after: { status: 'applied', checksum: file!.checksum }, ms }
    }
    if (action === 'applied') await ensureLedger(target.sql, cfg.schema, waitMs)
    const after = await underLock(target.sql, cfg.schema, waitMs, async (tx) => {
      const now = (await readLedger(tx, cfg.schema)).find((r) => r.version === version) ?? null
      if (JSON.stringify(now) !== JSON.stringify(before))
        throw new StrataError('history', `version ${version} changed in the ledger while repair was asking; run it again`)
      return apply(tx, cfg.schema, action, file, before, check.forced)
    })
    return { ...base, after }
  } finally {
    await target.close()
  }
}

function chosenAction(o: RepairOptions): { action: RepairAction; version: number } {
  const chosen = (
    [
      ['applied', o.applied],
      ['rolled-back', o.rolledBack],
      ['accept-checksum', o.acceptChecksum],
      ['reapply', o.reapply],
    ] as const
  ).filter(([, v]) => v !== undefined)
  if (chosen.length !== 1) {
    throw new StrataError(
      'usage',
      'strata repair needs exactly one of --applied <version>, --rolled-back <version>, --accept-checksum <version> or --reapply <version>',
    )
  }
  return { action: chosen[0][0], version: chosen[0][1]! }
}

/** Check the repair makes sense for this row and file, and say in one sentence what it will do. */
function plan(action: RepairAction, version: number, file: MigrationFile | undefined, row: LedgerRow | null): string {
  const what = file?.path ?? `version ${version}${row ? ` (${row.name})` : ''}`
  if (action === 'applied') {
    if (!file) throw new StrataError('usage', `--applied ${version}: there is no file with version ${version} in the migrations directory`)
    if (row?.status === 'applied') {
      throw new StrataError('usage', `--applied ${version}: ${file.path} is already recorded as applied`, {
        hint:
          row.checksum !== file.checksum
            ? `its file was edited since; to accept the edit use strata repair --accept-checksum ${version}`
            : undefined,
      })
    }
    return row ? `Mark ${what} (now ${row.status}) as applied, without running it,` : `Record ${what} as applied without running it`
  }
  if (!row) throw new StrataError('usage', `--${action} ${version}: version ${version} has no ledger row`)
  if (action === 'reapply') {
    if (!file) throw new StrataError('usage', `--reapply ${version}: there is no file with version ${version} in the migrations directory`)
    if (row.status !== 'applied')
      throw new StrataError('usage', `--reapply ${version}: the row is ${row.status}, not applied; use --applied or --rolled-back`)
    if (row.checksum !== file.checksum)
      throw new StrataError('usage', `--reapply ${version}: ${file.path} was edited after it was applied, so it is not the file that ran`, {
        hint: `restore the file as it was applied; or, if the edit changed nothing in the database, strata repair --accept-checksum ${version} first`,
      })
    return `Run ${what} again (it stays recorded as applied; a repair event records the run)`
  }
  if (action === 'rolled-back') {
    return `Remove the ledger row of ${what} (${row.status}); nothing in the database is undone, and migrate will apply the file again if it is on disk,`
  }
  if (!file)
    throw new StrataError('usage', `--accept-checksum ${version}: there is no file with version ${version} to take the checksum from`)
  if (row.status !== 'applied')
    throw new StrataError('usage', `--accept-checksum ${version}: the row is ${row.status}, not applied; use --applied or --rolled-back`)
  if (row.checksum === file.checksum)
    throw new StrataError('usage', `--accept-checksum ${version}: ${file.path} matches its ledger checksum already`)
  return `Accept the edited ${what} as applied (checksum ${row.checksum.slice(0, 12)}… becomes ${file.checksum.slice(0, 12)}…)`
}

async function confirmed(options: RepairOptions, question: string): Promise<void> {
  if (options.yes) return
  if (!options.confirm) {
    throw new StrataError('usage', 'strata repair changes the ledger and needs confirmation, but there is no terminal to ask on', {
      hint: 'pass --yes to confirm',
    })
  }
  if (!(await options.confirm(question))) throw new StrataError('usage', 'repair cancelled: nothing changed')
}

async function apply(
  tx: Sql,
  schema: string,
  action: RepairAction,
  file: MigrationFile | undefined,
  before: LedgerRow | null,
  forced: boolean,
) {
  const details = { operation: action, previous: before, ...(forced && { forced: true }) }
  if (action === 'rolled-back') {
    await removeRow(tx, schema, before!, details)
    return null
  }
  if (action === 'applied' && !before) await recordWithoutRunning(tx, schema, file!, 'repair', details)
  else await markRepaired(tx, schema, file!, action === 'applied' ? 'applied' : 'checksum', details)
  return { status: 'applied', checksum: file!.checksum }
}

/**
 * Run an applied file again, through the runner: BEGIN, the runners' lock (waiting as migrate does), its row
 * re-read under the lock, the body, the repair event, COMMIT. A failure rolls back all of it, located in the file.
 * A no-transaction file runs statement by statement, as migrate runs it, and its event follows.
 */
async function reapply(target: Target, schema: string, file: MigrationFile, waitMs: number): Promise<number> {
  const source = { path: file.path, content: file.content }
  // migrate's lock timeout: a busy table makes the reapply stop and name the holder, not queue behind it.
  const timeouts = { lockTimeoutMs: parseDuration(DEFAULT_LOCK_TIMEOUT, '--lock-timeout'), statementTimeoutMs: 0 }
  await decideRunModes([file]) // the mode migrate ran it in: a lone CREATE INDEX CONCURRENTLY without a transaction
  const t0 = performance.now()
  if (file.noTransaction) {
    await runStatements(target.sql, source)
    await recordEvent(target.sql, schema, 'repair', file.version, file.checksum, {
      operation: 'reapply',
      name: file.name,
      path: file.path,
      mode: 'no-transaction',
    })
    return Math.round(performance.now() - t0)
  }
  const none = () => {}
  const ctx: ApplyContext = {
    sql: target.sql,
    schema,
    timeouts,
    waitMs,
    openSide: target.side,
    onWait: none,
    onStart: none,
    onDone: none,
    onSkipped: none,
    onNote: none,
  }
  const rows = await beginLocked(ctx, [file.version])
  const row = rows.get(file.version)
  if (row?.status !== 'applied' || row.checksum !== file.checksum) {
    await target.sql.unsafe('rollback')
    throw new StrataError('history', `version ${file.version} changed in the ledger while repair was asking; run it again`)
  }
  const query = fileQuery(source, '', `${reappliedEventSql(schema, file, { mode: 'transaction' })}\ncommit;`)
  try {
    await target.sql.unsafe(query.text)
  } catch (e) {
    if (isConnectionLost(e)) throw e
    await target.sql.unsafe('rollback').catch(() => {})
    const err = await locate(target.sql, queryFailure(e, query), { source, timeouts, ranMs: performance.now() - t0 })
    err.facts.outcome = `${file.path} was rolled back: nothing of this run took effect, and version ${file.version} stays recorded as applied.`
    throw err
  }
  return Math.round(performance.now() - t0)
}
