/**
 * Files versus ledger: the state of every version, the pending list and what blocks a run.
 * Pure: no database, no disk. migrate, status and verify all read history through this.
 */
import type { MigrationFile } from './file-format.js'
import type { LedgerRow } from './ledger.js'

export type EntryState = 'applied' | 'pending' | 'changed' | 'missing' | 'failed' | 'running' | 'out-of-order'

export interface PlanEntry {
  version: number
  name: string
  state: EntryState
  file?: MigrationFile
  row?: LedgerRow
}

export interface Plan {
  entries: PlanEntry[]
  pending: MigrationFile[]
  /** Entries that make `migrate` refuse to run: edited, missing, failed, running, out of order. */
  blockers: PlanEntry[]
}

export function makePlan(files: MigrationFile[], rows: LedgerRow[], opts: { outOfOrder?: boolean; to?: number } = {}): Plan {
  const byVersion = new Map(rows.map((r) => [r.version, r]))
  const lastApplied = rows.reduce((max, r) => (r.status === 'applied' && r.version > max ? r.version : max), -Infinity)
  const entries: PlanEntry[] = []
  for (const file of files) {
    const row = byVersion.get(file.version)
    byVersion.delete(file.version)
    let state: EntryState
    if (!row) state = file.version < lastApplied ? 'out-of-order' : 'pending'
    else if (row.status !== 'applied') state = row.status
    else state = row.checksum === file.checksum ? 'applied' : 'changed'
    entries.push({ version: file.version, name: file.name, state, file, row })
  }
  for (const row of byVersion.values()) entries.push({ version: row.version, name: row.name, state: 'missing', row })
  entries.sort((a, b) => a.version - b.version)

  const inRange = (v: number) => opts.to === undefined || v <= opts.to
  const pending = entries
    .filter((e) => (e.state === 'pending' || (e.state === 'out-of-order' && opts.outOfOrder)) && inRange(e.version))
    .map((e) => e.file!)
  const blockers = entries.filter(
    (e) =>
      e.state === 'changed' ||
      e.state === 'missing' ||
      e.state === 'failed' ||
      e.state === 'running' ||
      (e.state === 'out-of-order' && !opts.outOfOrder),
  )
  return { entries, pending, blockers }
}

/** One sentence per blocker, naming the file and what to do. */
export function describeBlocker(e: PlanEntry): string {
  const where = e.file?.path ?? `version ${e.version} (${e.name})`
  switch (e.state) {
    case 'changed':
      return `${where} was edited after it was applied (checksum ${e.row!.checksum.slice(0, 12)}… in the ledger, ${e.file!.checksum.slice(0, 12)}… on disk): write a new migration instead, or accept the edit with strata repair --accept-checksum ${e.version}`
    case 'missing':
      return `${where} is recorded as applied but its file is gone: restore the file, or record its removal with strata repair --rolled-back ${e.version}`
    case 'failed':
      return `${where} failed part-way as a no-transaction file${e.row?.error ? ` (${e.row.error})` : ''}: fix the database by hand, then strata repair --applied ${e.version} or --rolled-back ${e.version}`
    case 'running':
      return `${where} is marked running: another runner is applying it, or one died part-way; when none is running, use strata repair --applied ${e.version} or --rolled-back ${e.version}`
    case 'out-of-order':
      return `${where} is pending but sorts before the last applied version: rename it to a later version, or pass --out-of-order`
    default:
      return `${where}: ${e.state}`
  }
}
