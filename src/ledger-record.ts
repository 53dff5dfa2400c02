/**
 * Ledger rows written without running a file (baseline, adopt, repair --applied): always together with
 * their event, inside the caller's transaction, under the runners' lock.
 */
import type { Sql } from './db/connect.js'
import type { MigrationFile } from './files.js'
import { acquireLock, actorDetails, quoteIdent, type EventAction } from './ledger.js'

export interface RecordTimes {
  startedAt?: Date | null
  finishedAt?: Date | null
}

export async function recordWithoutRunning(
  tx: Sql,
  schema: string,
  file: MigrationFile,
  action: EventAction,
  details: Record<string, unknown>,
  times: RecordTimes = {},
): Promise<void> {
  await tx.unsafe(
    `insert into ${quoteIdent(schema)}.migrations (version, name, checksum, status, started_at, finished_at, execution_ms)
     values ($1, $2, $3, 'applied', coalesce($4::timestamptz, now()), coalesce($5::timestamptz, now()), null)`,
    [file.version, file.name, file.checksum, times.startedAt ?? null, times.finishedAt ?? null],
  )
  await writeEvent(tx, schema, action, file.version, file.checksum, { name: file.name, path: file.path, ran: false, ...details })
}

/** Run `work` in a transaction holding the runners' lock, so no migrate runs while the ledger is being changed. */
export async function underLock<T>(sql: Sql, schema: string, waitMs: number, work: (tx: Sql) => Promise<T>): Promise<T> {
  return (await sql.begin(async (tx) => {
    await acquireLock(tx as unknown as Sql, schema, waitMs)
    return work(tx as unknown as Sql)
  })) as T
}

/**
 * One row in the events table. The details go in as text cast to jsonb: with a bare `$n::jsonb` postgres.js
 * learns the parameter is jsonb and JSON-encodes the already encoded text again, storing a JSON string.
 */
export async function writeEvent(
  tx: Sql,
  schema: string,
  action: EventAction,
  version: number | null,
  checksum: string | null,
  details: Record<string, unknown> = {},
): Promise<void> {
  await tx.unsafe(`insert into ${quoteIdent(schema)}.events (action, version, checksum, details) values ($1, $2, $3, $4::text::jsonb)`, [
    action,
    version,
    checksum,
    JSON.stringify({ ...actorDetails(), ...details }),
  ])
}
