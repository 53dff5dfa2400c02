/**
 * The ledger: `<schema>.migrations` (one row per up file) and `<schema>.events` (append-only history),
 * plus the transaction-scoped advisory lock that serialises runners. Never a session lock or a session
 * SET: both leak across clients behind a transaction pooler.
 */
import { createHash } from 'node:crypto'
import { hostname, userInfo } from 'node:os'
import { StrataError } from '../errors.js'
import type { Sql } from '../db/connect.js'

export type LedgerStatus = 'applied' | 'running' | 'failed'

export interface LedgerRow {
  version: number
  name: string
  checksum: string
  status: LedgerStatus
  started_at: Date
  finished_at: Date | null
  execution_ms: number | null
  applied_by: string
  error: string | null
}

export type EventAction = 'apply' | 'fail' | 'rollback' | 'baseline' | 'repair' | 'adopt'

export { quoteIdent } from '../sql/quote.js'
import { quoteIdent } from '../sql/quote.js'
import type { MigrationFile } from './file-format.js'

export function ledgerSql(schema: string): string {
  const s = quoteIdent(schema)
  return `
create schema if not exists ${s};
create table if not exists ${s}.migrations (
  version bigint primary key,
  name text not null,
  checksum text not null,
  status text not null check (status in ('applied', 'running', 'failed')),
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  execution_ms integer,
  applied_by text not null default current_user,
  error text
);
create table if not exists ${s}.events (
  id bigserial primary key,
  at timestamptz not null default now(),
  actor text not null default current_user,
  action text not null,
  version bigint,
  checksum text,
  details jsonb not null default '{}'
);
comment on table ${s}.migrations is 'Strata: one row per applied migration file. Change it only with strata repair.';
comment on table ${s}.events is 'Strata: append-only history of every apply, rollback, baseline, repair and adopt.';`
}

/** All ledger rows, or none when the ledger does not exist yet (one round trip either way). */
export async function readLedger(sql: Sql, schema: string): Promise<LedgerRow[]> {
  return (await readLedgerState(sql, schema)).rows
}

export async function readLedgerState(sql: Sql, schema: string): Promise<{ rows: LedgerRow[]; exists: boolean }> {
  try {
    const rows = await sql.unsafe(
      `select version, name, checksum, status, started_at, finished_at, execution_ms, applied_by, error
         from ${quoteIdent(schema)}.migrations order by version`,
    )
    return { rows: rows as unknown as LedgerRow[], exists: true }
  } catch (e) {
    const code = (e as { code?: string }).code
    if (code === '42P01' || code === '3F000') return { rows: [], exists: false }
    throw e
  }
}

/**
 * Create the ledger when missing, under the runners' lock so that concurrent first runs do not collide.
 * A runner that looked for the ledger before another created it may hold a stale catalog cache for the rest
 * of its transaction (an advisory lock does not make Postgres read invalidations, a relation lock would), so
 * its CREATE ... IF NOT EXISTS can still collide: then once more, in a new transaction, which starts fresh.
 */
export async function ensureLedger(sql: Sql, schema: string, waitMs: number, onWait?: (msg: string) => void): Promise<void> {
  const create = () => underLock(sql, schema, waitMs, (tx) => tx.unsafe(ledgerSql(schema)), onWait)
  try {
    await create()
  } catch (e) {
    const code = (e as { code?: string }).code
    if (code !== '23505' && code !== '42P07' && code !== '42710') throw e
    await create()
  }
}

/** A stable 64-bit key per ledger schema, so two apps with different schemas in one database do not block each other. */
export function lockKey(schema: string): string {
  return createHash('sha256').update(`strata:${schema}`).digest().readBigInt64BE(0).toString()
}

/**
 * Retry `attempt` with backoff until it returns a value or `waitMs` runs out; between tries, report who holds
 * the runners' lock (pid, application, user, since when). `attempt` takes the lock in its own way and returns
 * undefined when it was busy.
 */
export async function waitForLock<T>(
  sql: Sql,
  schema: string,
  waitMs: number,
  onWait: ((msg: string) => void) | undefined,
  attempt: () => Promise<T | undefined>,
): Promise<T> {
  const key = lockKey(schema)
  const deadline = Date.now() + waitMs
  let reported = ''
  for (let delay = 25; ; delay = Math.min(delay * 2, 1000)) {
    const got = await attempt()
    if (got !== undefined) return got
    const holder = await lockHolder(sql, key)
    if (Date.now() >= deadline) {
      throw new StrataError('lock', `gave up waiting ${Math.round(waitMs / 1000)}s for the migration lock, held by ${holder}`, {
        hint: 'another strata is applying migrations to this database; wait for it, or raise --wait',
      })
    }
    if (onWait && holder !== reported) onWait(`waiting for the migration lock, held by ${holder}`)
    reported = holder
    await new Promise((r) => setTimeout(r, Math.min(delay, Math.max(0, deadline - Date.now()))))
  }
}

/** Take the transaction-scoped advisory lock inside the caller's transaction, waiting as `waitForLock` does. */
export async function acquireLock(tx: Sql, schema: string, waitMs: number, onWait?: (msg: string) => void): Promise<void> {
  const key = lockKey(schema)
  await waitForLock(tx, schema, waitMs, onWait, async () => {
    const [row] = await tx`select pg_try_advisory_xact_lock(${key}::bigint) as locked`
    return row.locked ? true : undefined
  })
}

export async function lockHolder(tx: Sql, key: string): Promise<string> {
  const k = BigInt(key)
  const classid = Number((k >> 32n) & 0xffffffffn)
  const objid = Number(k & 0xffffffffn)
  const rows = await tx`
    select a.pid, a.application_name, a.usename, a.client_addr::text as addr, a.xact_start
      from pg_locks l join pg_stat_activity a on a.pid = l.pid
     where l.locktype = 'advisory' and l.granted and l.classid::bigint = ${classid} and l.objid::bigint = ${objid} and l.objsubid = 1`
  if (!rows.length) return 'another session (not visible to this user)'
  const r = rows[0]
  const since = r.xact_start ? `, in a transaction since ${new Date(r.xact_start).toISOString()}` : ''
  return `pid ${r.pid} (${r.application_name || 'unnamed client'}, user ${r.usename}${r.addr ? ` from ${r.addr}` : ''}${since})`
}

/** Who is running this, for the events table (asked once: it does not change during a run). */
let actor: Record<string, string> | undefined
export function actorDetails(): Record<string, string> {
  if (actor) return actor
  let user = 'unknown'
  try {
    user = userInfo().username
  } catch {}
  return (actor = { os_user: user, host: hostname() })
}

export async function recordEvent(
  tx: Sql,
  schema: string,
  action: EventAction,
  version: number | null,
  checksum: string | null,
  details: Record<string, unknown> = {},
): Promise<void> {
  await tx.unsafe(
    // As text, cast on the server: a JS string bound to a jsonb parameter would be stored as one JSON string.
    `insert into ${quoteIdent(schema)}.events (action, version, checksum, details) values ($1, $2, $3, $4::text::jsonb)`,
    [action, version, checksum, JSON.stringify({ ...actorDetails(), ...details })],
  )
}

/** Ledger rows written without running a file (baseline, adopt, repair --applied), always with their event. */
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
  await recordEvent(tx, schema, action, file.version, file.checksum, { name: file.name, path: file.path, ran: false, ...details })
}

/** Run `work` in a transaction holding the runners' lock, so no migrate runs while the ledger is being changed. */
export async function underLock<T>(
  sql: Sql,
  schema: string,
  waitMs: number,
  work: (tx: Sql) => Promise<T>,
  onWait?: (msg: string) => void,
): Promise<T> {
  return (await sql.begin(async (tx) => {
    await acquireLock(tx as unknown as Sql, schema, waitMs, onWait)
    return work(tx as unknown as Sql)
  })) as T
}
