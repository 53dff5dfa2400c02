/**
 * `strata backup --all --check`: a backup proven restorable. It is restored into a scratch database
 * (embedded, or --scratch-url), then every table is read back and hashed as the backup hashed it, and the
 * scratch catalog is compared with the source's.
 */
import { connect, type Sql } from '../db/connect.js'
import { inTransaction } from '../db/transaction.js'
import { createRoles, withScratch } from '../db/scratch.js'
import type { MigrationFile } from '../runner/file-format.js'
import { diffSnapshots, snapshotSchema, type SchemaDifference } from '../schema/index.js'
import { quoteIdent } from '../sql/quote.js'
import { withoutLedger } from '../verify/index.js'
import { copyDigest, STABLE_TEXT_SQL } from './copy.js'
import type { FullManifest } from './manifest.js'
import { restoreFull, type RestoreProgress } from './restore-full.js'

export interface CheckOptions {
  /** The database the backup was taken from: its catalog is what the scratch one must match. */
  source: Sql
  dir: string
  manifest: FullManifest
  files: MigrationFile[]
  scratchUrl?: string
  excludeSchemas?: string[]
  onProgress?: (event: RestoreProgress) => void
}

export interface CheckResult {
  ok: boolean
  /** Where it was restored, as people may see it. */
  scratch: string
  /** Tables whose rows read back differently from the backup. */
  mismatches: string[]
  /** The scratch catalog (actual) against the source's (expected). */
  differences: SchemaDifference[]
  tables: number
  rows: number
}

export async function checkBackup(options: CheckOptions): Promise<CheckResult> {
  const { manifest } = options
  const exclude = [manifest.ledgerSchema, ...(options.excludeSchemas ?? [])]
  return withScratch(options.scratchUrl, async (scratch) => {
    const { refuseNonEmpty } = await import('../db/scratch.js')
    await refuseNonEmpty(scratch, 'strata backup --check')
    await createRoles(scratch.sql, manifest.roles)
    await restoreFull({
      sql: scratch.sql,
      shown: scratch.shown,
      openSide: async () => {
        const side = connect({ url: scratch.url, arrays: false })
        return { sql: side, close: () => side.end({ timeout: 5 }).catch(() => {}) }
      },
      files: options.files,
      dir: options.dir,
      manifest,
      onProgress: options.onProgress,
    })
    const mismatches = await compareRows(scratch.sql, manifest)
    const [expected, actual] = [await snapshotSchema(options.source, { exclude }), await snapshotSchema(scratch.sql, { exclude })]
    const differences = diffSnapshots(withoutLedger(expected, manifest.ledgerSchema), withoutLedger(actual, manifest.ledgerSchema))
    return {
      ok: !mismatches.length && !differences.length,
      scratch: scratch.shown,
      mismatches,
      differences,
      tables: manifest.tables.length,
      rows: manifest.tables.reduce((n, t) => n + t.rows, 0),
    }
  })
}

/** Each table read back with the backup's own COPY and hashed: the same rows in the same text, or a mismatch. */
async function compareRows(sql: Sql, manifest: FullManifest): Promise<string[]> {
  return inTransaction(
    sql,
    async () => {
      await sql.unsafe(STABLE_TEXT_SQL)
      const mismatches: string[] = []
      for (const t of manifest.tables) {
        const name = `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`
        const list = t.columns.map(quoteIdent).join(', ')
        const read = await copyDigest(
          sql,
          t.partitioned ? `copy (select ${list} from ${name}) to stdout` : `copy ${name} (${list}) to stdout`,
        )
        if (read.sha256 !== t.sha256 || read.rows !== t.rows)
          mismatches.push(
            `${t.table}: ${read.rows} row(s) read back, sha256 ${read.sha256.slice(0, 12)}…; the backup has ${t.rows}, ${t.sha256.slice(0, 12)}…`,
          )
      }
      return mismatches
    },
    'begin isolation level repeatable read read only',
  )
}
