/**
 * `manifest.json` of a backup directory: what each data file holds, how to check it, why it was taken,
 * and enough of each table's definition to recreate it when the migration dropped it.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { StrataError } from '../errors.js'
import type { Reason } from './at-risk.js'
import type { ColumnDef } from './catalog.js'

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
  /** The columns in the data file, in order. */
  columns: string[]
  /** The columns the statements drop, retype or overwrite; null when whole rows are at risk. */
  atRisk: string[] | null
  /** Every column of the table as it was, to recreate it or to re-add a dropped column. */
  definition: ColumnDef[]
  primaryKey: string[]
  rows: number
  /** Size and sha256 of the uncompressed data. */
  bytes: number
  sha256: string
  reasons: Reason[]
}

export interface Manifest {
  format: 1
  createdAt: string
  /** The database URL with its password masked. */
  target: string
  database: string
  serverVersion: string
  tables: BackupTable[]
  notes: string[]
}

export function readManifest(dir: string): Manifest {
  const path = join(dir, MANIFEST)
  let manifest: Manifest
  try {
    manifest = JSON.parse(readFileSync(path, 'utf8'))
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT'
    throw new StrataError('config', `${path} ${missing ? 'does not exist' : `is not valid JSON: ${(e as Error).message}`}`, {
      hint: missing ? 'pass the directory strata backup printed, e.g. .strata/backups/2025-01-31T09-30-00-000Z' : undefined,
    })
  }
  if (manifest?.format !== 1 || !Array.isArray(manifest.tables)) {
    throw new StrataError('config', `${path} is not a strata backup manifest (format 1)`)
  }
  return manifest
}
