/**
 * `manifest.json` of a backup directory: what each data file holds and how to check it. Two kinds:
 *   at-risk  the data pending migrations would destroy, why, and each table's definition (to recreate it)
 *   full     the ledger and every table's rows: the schema is the history itself
 * It is written last, under a temporary name renamed into place: a backup that was interrupted has none.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { StrataError } from '../errors.js'
import type { Reason } from './at-risk.js'
import type { ColumnDef, TableObjects } from './catalog.js'

export const MANIFEST = 'manifest.json'

export interface BackupTable {
  /** `schema.name`. */
  table: string
  schema: string
  name: string
  /** The gzip-compressed COPY text-format data file, in the backup directory. */
  file: string
  /** rows: every stored column of every row. columns: the primary key plus the columns at risk. */
  scope: 'rows' | 'columns'
  /**
   * Rows: only the rows a cascade removes (those referencing deleted rows), as this condition on the table;
   * restore adds back those the table lacks. Absent: every row.
   */
  where?: string
  /** The columns in the data file, in order. */
  columns: string[]
  /** The columns the statements drop, retype or overwrite; null when whole rows are at risk. */
  atRisk: string[] | null
  /** Every column of the table as it was, to recreate it or to re-add a dropped column. */
  definition: ColumnDef[]
  primaryKey: string[]
  /** The rest of the table as it was (indexes, constraints, RLS, policies, grants, comments, owner): to recreate it whole. */
  objects?: TableObjects
  rows: number
  /** Size and sha256 of the uncompressed data. */
  bytes: number
  sha256: string
  reasons: Reason[]
}

export interface Manifest {
  format: 1
  kind?: 'at-risk'
  createdAt: string
  /** The database URL with its password masked. */
  target: string
  database: string
  serverVersion: string
  tables: BackupTable[]
  notes: string[]
}

/** A data file of a full backup. */
export interface DataFile {
  file: string
  rows: number
  bytes: number
  sha256: string
}

export interface FullTable extends DataFile {
  table: string
  schema: string
  name: string
  /** The stored columns in the data file, in order (generated columns are recomputed, never copied). */
  columns: string[]
  /** Read through its partitions; loaded through the root, which routes each row. */
  partitioned: boolean
}

export interface LedgerEntry {
  version: number
  name: string
  checksum: string
  startedAt: string
  finishedAt: string | null
  executionMs: number | null
  appliedBy: string
}

export interface FullManifest {
  format: 1
  kind: 'full'
  createdAt: string
  target: string
  database: string
  serverVersion: string
  /** The ledger schema, and the applied files in version order: restore replays exactly these. */
  ledgerSchema: string
  ledger: LedgerEntry[]
  /** The ledger's event history, restored ahead of the events the replay writes. */
  events: DataFile | null
  tables: FullTable[]
  sequences: { sequence: string; lastValue: string; isCalled: boolean }[]
  /** Roles the schema grants to or whose policies name them: restore needs them to exist. */
  roles: string[]
  /** Schemas left out (--exclude-schema): a platform's own, which the target database has of its own. */
  excludedSchemas?: string[]
  /** What was left out, and why (only with --allow-drift). */
  notes: string[]
}

export type AnyManifest = Manifest | FullManifest

export const isFull = (m: AnyManifest): m is FullManifest => m.kind === 'full'

/** Write the manifest last and atomically: until the rename, the directory is not a backup. */
export function writeManifest(dir: string, manifest: AnyManifest): void {
  const path = join(dir, MANIFEST)
  writeFileSync(`${path}.partial`, JSON.stringify(manifest, null, 2) + '\n', { mode: 0o600 })
  renameSync(`${path}.partial`, path)
}

export function readManifest(dir: string): AnyManifest {
  const path = join(dir, MANIFEST)
  let manifest: AnyManifest
  try {
    manifest = JSON.parse(readFileSync(path, 'utf8'))
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT'
    if (missing && existsSync(dir)) {
      throw new StrataError(
        'config',
        `${dir} has no ${MANIFEST}: the backup did not finish (it was interrupted, or failed), so it cannot be restored`,
        {
          hint: 'use another backup; strata writes the manifest last, only when every file is complete',
        },
      )
    }
    throw new StrataError('config', `${path} ${missing ? 'does not exist' : `is not valid JSON: ${(e as Error).message}`}`, {
      hint: missing ? 'pass the directory strata backup printed, e.g. .strata/backups/2025-01-31T09-30-00-000Z' : undefined,
    })
  }
  if (manifest?.format !== 1 || !Array.isArray(manifest.tables)) {
    throw new StrataError('config', `${path} is not a strata backup manifest (format 1)`)
  }
  return manifest
}
