/**
 * The ledger: `<schema>.migrations` (one row per up file) and `<schema>.events` (append-only history).
 * This module is the only code that writes either table. Writes that must travel inside a file's own query
 * (the apply pipeline sends BEGIN, the body, the row and COMMIT as one) are returned as SQL text; the others
 * run here. Values in SQL text are escaped literals: simple-protocol queries cannot carry parameters.
 */
import { hostname, userInfo } from 'node:os'
import type { Sql } from '../db/connect.js'
import { quoteIdent, quoteLiteral } from '../sql/quote.js'
import type { MigrationFile } from './file-format.js'
import { underLock } from './lock.js'

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

/** How far a no-transaction file got: kept on its row while it runs, so an interrupted run can be told truthfully. */
export interface Progress {
  /** Statements that took effect. */
  done: number
  total: number
  /** The statement running now (or when the run was interrupted). */
  running?: { line: number; sql: string }
}

/** What an interrupted no-transaction run left, from its row: how many statements ran, which one was running. */
export function describeInterrupted(row: Pick<LedgerRow, 'started_at'>, progress: Progress | undefined): string {
  const since = row.started_at ? ` (started ${new Date(row.started_at).toISOString()})` : ''
  if (!progress?.total)
    return `a run without a transaction stopped before it finished${since}; its row stays 'running' and nothing records how far it got`
  const running = progress.running
    ? `statement ${progress.done + 1} (line ${progress.running.line}: ${progress.running.sql}) was running and may or may not have taken effect`
    : ''
  return `a run without a transaction stopped part-way${since}: ${progress.done} of ${progress.total} statements took effect; ${running}; its row stays 'running'`
}

export type EventAction = 'apply' | 'fail' | 'rollback' | 'baseline' | 'repair' | 'adopt' | 'diff' | 'reset'

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
  error text,
  progress jsonb
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

const ROW_COLUMNS = 'version, name, checksum, status, started_at, finished_at, execution_ms, applied_by, error'

/** All ledger rows, or none when the ledger does not exist yet (one round trip either way). */
export async function readLedger(sql: Sql, schema: string): Promise<LedgerRow[]> {
  return (await readLedgerState(sql, schema)).rows
}

export async function readLedgerState(sql: Sql, schema: string): Promise<{ rows: LedgerRow[]; exists: boolean }> {
  try {
    const rows = await sql.unsafe(`select ${ROW_COLUMNS} from ${quoteIdent(schema)}.migrations order by version`)
    return { rows: rows as unknown as LedgerRow[], exists: true }
  } catch (e) {
    if (isMissingLedger(e)) return { rows: [], exists: false }
    throw e
  }
}

/** The rows of some versions, read again (under the lock, after a lost connection). */
export async function readRows(sql: Sql, schema: string, versions: number[]): Promise<Map<number, LedgerRow>> {
  if (!versions.length) return new Map()
  try {
    const rows = (await sql.unsafe(
      `select ${ROW_COLUMNS} from ${quoteIdent(schema)}.migrations where version in (${versions.map(Number).join(',')})`,
    )) as unknown as LedgerRow[]
    return new Map(rows.map((r) => [Number(r.version), r]))
  } catch (e) {
    if (isMissingLedger(e)) return new Map()
    throw e
  }
}

/** The progress kept on a no-transaction file's row; undefined on a ledger from before the column existed. */
export async function readProgress(sql: Sql, schema: string, version: number): Promise<Progress | undefined> {
  try {
    const [row] = await sql.unsafe(`select progress from ${quoteIdent(schema)}.migrations where version = ${Number(version)}`)
    return (row?.progress as Progress | null) ?? undefined
  } catch {
    return undefined
  }
}

const isMissingLedger = (e: unknown) => ['42P01', '3F000'].includes((e as { code?: string }).code ?? '')

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

/** Ledgers made before the progress column existed get it the first time a no-transaction file runs. */
export function upgradeLedgerSql(schema: string): string {
  return `alter table ${quoteIdent(schema)}.migrations add column if not exists progress jsonb;`
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

function eventValues(action: EventAction, version: number | null, checksum: string | null, details: Record<string, unknown>): string {
  const json = JSON.stringify({ ...actorDetails(), ...details })
  return `(${quoteLiteral(action)}, ${version ?? 'null'}, ${checksum === null ? 'null' : quoteLiteral(checksum)}, ${quoteLiteral(json)}::jsonb)`
}

function eventSql(schema: string, action: EventAction, version: number | null, checksum: string | null, details: Record<string, unknown>) {
  return `insert into ${quoteIdent(schema)}.events (action, version, checksum, details) values ${eventValues(action, version, checksum, details)};`
}

/** An event alone (a failed attempt whose transaction was rolled back; what a repair changed). */
export async function recordEvent(
  sql: Sql,
  schema: string,
  action: EventAction,
  version: number | null,
  checksum: string | null,
  details: Record<string, unknown> = {},
): Promise<void> {
  await sql.unsafe(eventSql(schema, action, version, checksum, details))
}

// ---- Written inside a file's own query: the row commits with the file or not at all. ----

/** The ledger row of an applied file and its event, as one statement that runs right after the body. */
export function appliedRowSql(schema: string, file: MigrationFile, mode: string): string {
  const s = quoteIdent(schema)
  const actor = actorDetails()
  // statement_timestamp() is when this query arrived, so the difference is the body's own run time.
  return `with row as (
  insert into ${s}.migrations (version, name, checksum, status, started_at, finished_at, execution_ms)
  values (${file.version}, ${quoteLiteral(file.name)}, ${quoteLiteral(file.checksum)}, 'applied', statement_timestamp(), clock_timestamp(),
    round(extract(epoch from clock_timestamp() - statement_timestamp()) * 1000))${file.repeatable ? REAPPLIED : ''}
  returning version, checksum, name, execution_ms)
insert into ${s}.events (action, version, checksum, details)
select 'apply', version, checksum, jsonb_build_object('name', name, 'path', ${quoteLiteral(file.path)}, 'execution_ms', execution_ms,
  'mode', ${quoteLiteral(mode)}, 'os_user', ${quoteLiteral(actor.os_user)}, 'host', ${quoteLiteral(actor.host)})
from row;`
}

/** A repeatable applied again takes over its row (the events keep every application). */
const REAPPLIED = `
  on conflict (version) do update set name = excluded.name, checksum = excluded.checksum, status = 'applied',
    started_at = excluded.started_at, finished_at = excluded.finished_at, execution_ms = excluded.execution_ms, error = null`

/** When a file of --single-transaction ran, by the server's clock, as text to be written back verbatim. */
export interface RunTimes {
  started_at: string
  finished_at: string
  execution_ms: number
}

export const runTimesSql = `select statement_timestamp()::text as started_at, clock_timestamp()::text as finished_at,
  round(extract(epoch from clock_timestamp() - statement_timestamp()) * 1000)::int as execution_ms;`

/** --single-transaction: the rows and events of every file in two statements, before COMMIT. */
export function appliedRowsSql(schema: string, done: { file: MigrationFile; times: RunTimes }[]): string {
  if (!done.length) return ''
  const s = quoteIdent(schema)
  const rows = done.map(
    ({ file, times: t }) =>
      `(${file.version}, ${quoteLiteral(file.name)}, ${quoteLiteral(file.checksum)}, 'applied', ${quoteLiteral(t.started_at)}, ${quoteLiteral(t.finished_at)}, ${t.execution_ms})`,
  )
  const events = done.map(({ file, times }) =>
    eventValues('apply', file.version, file.checksum, {
      name: file.name,
      path: file.path,
      execution_ms: times.execution_ms,
      mode: 'single-transaction',
    }),
  )
  return `insert into ${s}.migrations (version, name, checksum, status, started_at, finished_at, execution_ms) values
${rows.join(',\n')}${done.some(({ file }) => file.repeatable) ? REAPPLIED : ''};
insert into ${s}.events (action, version, checksum, details) values
${events.join(',\n')};`
}

/** A rolled-back file: its row goes, a `rollback` event stays. Runs right after the down file's body. */
export function rolledBackRowSql(schema: string, file: MigrationFile, details: Record<string, unknown>): string {
  const s = quoteIdent(schema)
  const ms = `round(extract(epoch from clock_timestamp() - statement_timestamp()) * 1000)`
  const json = quoteLiteral(JSON.stringify({ ...actorDetails(), ...details }))
  return `with gone as (delete from ${s}.migrations where version = ${file.version} returning version)
insert into ${s}.events (action, version, checksum, details)
select 'rollback', version, ${quoteLiteral(file.checksum)}, ${json}::jsonb || jsonb_build_object('execution_ms', ${ms}) from gone;`
}

// ---- No-transaction files: claimed by a committed `running` row, then finished or failed. ----

/** Claim a version for a no-transaction up file (inside the caller's locked transaction). */
export function claimUpSql(schema: string, file: MigrationFile, progress: Progress): string {
  return `${upgradeLedgerSql(schema)}
insert into ${quoteIdent(schema)}.migrations (version, name, checksum, status, progress)
values (${file.version}, ${quoteLiteral(file.name)}, ${quoteLiteral(file.checksum)}, 'running', ${quoteLiteral(JSON.stringify(progress))}::jsonb)${
    file.repeatable
      ? `\n  on conflict (version) do update set checksum = excluded.checksum, status = 'running', error = null, progress = excluded.progress`
      : ''
  };`
}

/** Claim an applied version for a no-transaction down file. */
export function claimDownSql(schema: string, file: MigrationFile, progress: Progress): string {
  return `${upgradeLedgerSql(schema)}
update ${quoteIdent(schema)}.migrations set status = 'running', error = null, progress = ${quoteLiteral(JSON.stringify(progress))}::jsonb
 where version = ${file.version};`
}

export async function recordProgress(sql: Sql, schema: string, version: number, progress: Progress): Promise<void> {
  await sql.unsafe(
    `update ${quoteIdent(schema)}.migrations set progress = ${quoteLiteral(JSON.stringify(progress))}::jsonb where version = ${Number(version)}`,
  )
}

/** A no-transaction up file ran to its end. */
export async function finishApplied(sql: Sql, schema: string, file: MigrationFile, ms: number, details: Record<string, unknown>) {
  await sql.unsafe(
    `begin;
update ${quoteIdent(schema)}.migrations set status = 'applied', finished_at = clock_timestamp(), execution_ms = ${Math.round(ms)}, progress = null
 where version = ${file.version};
${eventSql(schema, 'apply', file.version, file.checksum, { name: file.name, path: file.path, execution_ms: Math.round(ms), ...details })}
commit;`,
  )
}

/** A no-transaction down file ran to its end: the row goes. */
export async function finishRolledBack(sql: Sql, schema: string, file: MigrationFile, ms: number, details: Record<string, unknown>) {
  await sql.unsafe(
    `begin;
delete from ${quoteIdent(schema)}.migrations where version = ${file.version};
${eventSql(schema, 'rollback', file.version, file.checksum, { name: file.name, path: file.path, execution_ms: Math.round(ms), ...details })}
commit;`,
  )
}

/** A no-transaction file stopped part-way: the row says `failed` (with the error) until strata repair. */
export async function markFailed(sql: Sql, schema: string, file: MigrationFile, error: string, details: Record<string, unknown>) {
  await sql.unsafe(
    `begin;
update ${quoteIdent(schema)}.migrations set status = 'failed', finished_at = clock_timestamp(), error = ${quoteLiteral(error)}
 where version = ${file.version};
${eventSql(schema, 'fail', file.version, file.checksum, { name: file.name, path: file.path, error, ...details })}
commit;`,
  )
}

// ---- Rows written without running a file: baseline, adopt, repair. Always with their event. ----

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

/** strata repair --rolled-back: the row goes (nothing in the database is undone). */
export async function removeRow(tx: Sql, schema: string, row: LedgerRow, details: Record<string, unknown>): Promise<void> {
  await tx.unsafe(`delete from ${quoteIdent(schema)}.migrations where version = $1`, [row.version])
  await recordEvent(tx, schema, 'repair', row.version, row.checksum, { ...details, name: row.name })
}

/** strata repair --applied on a failed or running row, or --accept-checksum: the row says applied with the file's checksum. */
export async function markRepaired(
  tx: Sql,
  schema: string,
  file: MigrationFile,
  how: 'applied' | 'checksum',
  details: Record<string, unknown>,
): Promise<void> {
  const set = how === 'applied' ? `status = 'applied', checksum = $2, error = null, finished_at = clock_timestamp()` : 'checksum = $2'
  await tx.unsafe(`update ${quoteIdent(schema)}.migrations set ${set} where version = $1`, [file.version, file.checksum])
  await recordEvent(tx, schema, 'repair', file.version, file.checksum, { ...details, name: file.name, path: file.path })
}

/** strata reset: every row goes, and one `reset` event keeps them as they were (the events stay). */
export async function clearRows(tx: Sql, schema: string, details: Record<string, unknown>): Promise<void> {
  const rows = await tx.unsafe(`delete from ${quoteIdent(schema)}.migrations returning version, name, checksum, status`)
  await recordEvent(tx, schema, 'reset', null, null, { ...details, rows: rows.map((r) => ({ ...r, version: Number(r.version) })) })
}

// ---- strata restore of a full backup: the event history comes back first, the replay appends to it. ----

/** COPY statement that loads a backup's event history into an empty events table, ids and all. */
export function eventsCopySql(schema: string): string {
  return `copy ${quoteIdent(schema)}.events (id, at, actor, action, version, checksum, details) from stdin`
}

/** After the history was loaded: new events continue after its ids. */
export async function continueEventIds(sql: Sql, schema: string): Promise<void> {
  const s = quoteIdent(schema)
  await sql.unsafe(`select setval(pg_get_serial_sequence('${s}.events', 'id'), coalesce(max(id), 0) + 1, false) from ${s}.events`)
}

/** The replayed rows get the times and author the backup recorded: when each file was really applied, and by whom. */
export async function restoreAppliedTimes(
  sql: Sql,
  schema: string,
  rows: { version: number; startedAt: string; finishedAt: string | null; executionMs: number | null; appliedBy: string }[],
): Promise<void> {
  if (!rows.length) return
  const values = rows.map(
    (r) =>
      `(${Number(r.version)}, ${quoteLiteral(r.startedAt)}::timestamptz, ${r.finishedAt ? `${quoteLiteral(r.finishedAt)}::timestamptz` : 'null'}, ${r.executionMs ?? 'null'}::int, ${quoteLiteral(r.appliedBy)})`,
  )
  await sql.unsafe(
    `update ${quoteIdent(schema)}.migrations m set started_at = v.started_at, finished_at = v.finished_at, execution_ms = v.execution_ms, applied_by = v.applied_by
       from (values ${values.join(', ')}) v(version, started_at, finished_at, execution_ms, applied_by) where m.version = v.version`,
  )
}

/**
 * strata repair --reapply: an applied file ran again. Its row keeps its first apply; a `repair` event records the
 * run, as one statement that runs right after the body, so it commits with the file or not at all.
 */
export function reappliedEventSql(schema: string, file: MigrationFile, details: Record<string, unknown>): string {
  const ms = `round(extract(epoch from clock_timestamp() - statement_timestamp()) * 1000)`
  const json = quoteLiteral(JSON.stringify({ ...actorDetails(), operation: 'reapply', name: file.name, path: file.path, ...details }))
  return `insert into ${quoteIdent(schema)}.events (action, version, checksum, details)
values ('repair', ${file.version}, ${quoteLiteral(file.checksum)}, ${json}::jsonb || jsonb_build_object('execution_ms', ${ms}));`
}
