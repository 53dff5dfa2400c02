/**
 * `strata repair`: change the ledger deliberately, one version at a time, never by hand in psql.
 *   --applied V         record V as applied without running it (after fixing the database by hand)
 *   --rolled-back V     forget V's ledger row; nothing in the database changes, migrate will apply it again
 *   --accept-checksum V accept the edited file on disk as what was applied
 * Each writes a `repair` event with the row as it was, and asks first (or needs --yes).
 */
import { resolveOptions, type CommonOptions } from '../config/index.js'
import { openTarget } from '../db/target.js'
import type { Sql } from '../db/connect.js'
import { StrataError } from '../errors.js'
import { readMigrations } from '../runner/files.js'
import { type MigrationFile } from '../runner/file-format.js'
import { ensureLedger, markRepaired, readLedger, recordWithoutRunning, removeRow, type LedgerRow } from '../runner/ledger.js'
import { underLock } from '../runner/lock.js'

export type RepairAction = 'applied' | 'rolled-back' | 'accept-checksum'

export interface RepairOptions extends CommonOptions {
  applied?: number
  rolledBack?: number
  acceptChecksum?: number
  /** Confirm without asking. */
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
}

export async function repair(options: RepairOptions): Promise<RepairResult> {
  const { action, version } = chosenAction(options)
  const cfg = resolveOptions(options)
  const files = readMigrations(cfg.dir, cfg.cwd, cfg.layout)
  const file = files.find((f) => f.version === version)
  const target = await openTarget(cfg)
  try {
    const before = (await readLedger(target.sql, cfg.schema)).find((r) => r.version === version) ?? null
    const question = plan(action, version, file, before)
    await confirmed(options, `${question} on ${target.shown}?`)
    if (action === 'applied') await ensureLedger(target.sql, cfg.schema, options.waitMs ?? 60_000)
    const after = await underLock(target.sql, cfg.schema, options.waitMs ?? 60_000, async (tx) => {
      const now = (await readLedger(tx, cfg.schema)).find((r) => r.version === version) ?? null
      if (JSON.stringify(now) !== JSON.stringify(before))
        throw new StrataError('history', `version ${version} changed in the ledger while repair was asking; run it again`)
      return apply(tx, cfg.schema, action, file, before)
    })
    return { target: target.shown, action, version, name: file?.name ?? before!.name, before, after }
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
    ] as const
  ).filter(([, v]) => v !== undefined)
  if (chosen.length !== 1) {
    throw new StrataError(
      'usage',
      'strata repair needs exactly one of --applied <version>, --rolled-back <version> or --accept-checksum <version>',
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

async function apply(tx: Sql, schema: string, action: RepairAction, file: MigrationFile | undefined, before: LedgerRow | null) {
  const details = { operation: action, previous: before }
  if (action === 'rolled-back') {
    await removeRow(tx, schema, before!, details)
    return null
  }
  if (action === 'applied' && !before) await recordWithoutRunning(tx, schema, file!, 'repair', details)
  else await markRepaired(tx, schema, file!, action === 'applied' ? 'applied' : 'checksum', details)
  return { status: 'applied', checksum: file!.checksum }
}
