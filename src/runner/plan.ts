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
  /** The file's path; for a missing file, where it would be (named like the files beside it). */
  path: string
}

export interface Plan {
  entries: PlanEntry[]
  pending: MigrationFile[]
  /** Entries that make `migrate` refuse to run: edited, missing, failed, running, out of order. */
  blockers: PlanEntry[]
}

export interface PlanOptions {
  outOfOrder?: boolean
  to?: number
  /** The migrations directory, to name a missing file when no file is left beside it. */
  dir?: string
}

export function makePlan(files: MigrationFile[], rows: LedgerRow[], opts: PlanOptions = {}): Plan {
  const byVersion = new Map(rows.map((r) => [r.version, r]))
  const lastApplied = rows.reduce((max, r) => (r.status === 'applied' && r.version > max ? r.version : max), -Infinity)
  const entries: PlanEntry[] = []
  for (const file of files) {
    const row = byVersion.get(file.version)
    byVersion.delete(file.version)
    let state: EntryState
    if (!row) state = file.version < lastApplied && !file.repeatable ? 'out-of-order' : 'pending'
    else if (row.status !== 'applied') state = row.status
    else if (row.checksum === file.checksum) state = 'applied'
    else state = file.repeatable ? 'pending' : 'changed' // a repeatable runs again when it changes: that is what it is for
    entries.push({ version: file.version, name: file.name, state, file, row, path: file.path })
  }
  for (const row of byVersion.values())
    entries.push({ version: row.version, name: row.name, state: 'missing', row, path: missingPath(files, row, opts.dir) })
  // Repeatables (Flyway's R__, keyed by negative numbers) come after every versioned file, in their files' order.
  const order = new Map(files.map((f, i) => [f, i]))
  const repeatable = (e: PlanEntry) => e.version < 0
  entries.sort((a, b) =>
    repeatable(a) !== repeatable(b)
      ? Number(repeatable(a)) - Number(repeatable(b))
      : repeatable(a) && a.file && b.file
        ? order.get(a.file)! - order.get(b.file)!
        : a.version - b.version,
  )

  const inRange = (v: number) => opts.to === undefined || (v >= 0 && v <= opts.to)
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
  const where = e.file ? e.path : `${e.path} (version ${e.version})`
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

/**
 * Where the file of a ledger row with no file would be: in the directory of the file nearest in version, in its
 * layout (Prisma's `<version>_<name>/migration.sql`, else `<version>_<name>.sql`), the version zero-padded to the
 * width of the padded versions there (none padded: not padded). With no file left, in `dir`, three digits wide
 * as `strata new` starts.
 */
export function missingPath(files: MigrationFile[], row: { version: number; name: string }, dir?: string): string {
  let nearest: MigrationFile | undefined
  let width = 0
  for (const f of files) {
    if (!nearest || Math.abs(f.version - row.version) < Math.abs(nearest.version - row.version)) nearest = f
    const digits = /(\d+)_[^\\/]*(?:[\\/]migration)?\.sql$/.exec(f.path)?.[1] ?? ''
    if (digits.startsWith('0')) width = Math.max(width, digits.length)
  }
  if (!nearest) {
    const name = `${String(row.version).padStart(3, '0')}_${row.name}.sql`
    return dir ? `${dir.replace(/[\\/]+$/, '')}/${name}` : name
  }
  const parts = nearest.path.split(/([\\/])/) // keep the separators the path was shown with
  const prisma = parts.length >= 3 && parts[parts.length - 1] === 'migration.sql'
  parts[prisma ? parts.length - 3 : parts.length - 1] = `${String(row.version).padStart(width, '0')}_${row.name}${prisma ? '' : '.sql'}`
  return parts.join('')
}
