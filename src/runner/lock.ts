/**
 * The runners' lock: a transaction-scoped advisory lock per ledger schema, taken with pg_try_advisory_xact_lock
 * and retried with backoff, so that a waiting runner holds nothing open and says who it waits for. Never a
 * session lock: behind a transaction pooler it would stay on a server connection that other clients share.
 *
 * A `-- strata:no-transaction` file runs outside any transaction, so while it runs the runner holds a second
 * lock, its claim on that version, in a transaction kept open on a side connection: other runners can tell a
 * live run (the claim is held) from one that died part-way (the server released it with the connection).
 */
import { createHash } from 'node:crypto'
import type { Sql } from '../db/connect.js'
import { inTransaction } from '../db/transaction.js'
import { StrataError } from '../errors.js'

/** Each attempt at a file waits this long for a table lock before it is rolled back and retried (lock-retry.ts). */
export const DEFAULT_LOCK_TIMEOUT = '1s'
export const DEFAULT_LOCK_RETRIES = 10

/** A stable 64-bit key per ledger schema, so two apps with different schemas in one database do not block each other. */
export function lockKey(schema: string): string {
  return keyOf(`strata:${schema}`)
}

/** The key of a runner's claim on one version of a no-transaction file. */
export function claimKey(schema: string, version: number): string {
  return keyOf(`strata:${schema}:claim:${version}`)
}

function keyOf(text: string): string {
  return createHash('sha256').update(text).digest().readBigInt64BE(0).toString()
}

/**
 * Retry `attempt` with backoff until it returns a value or `waitMs` runs out; between tries, report who holds
 * the runners' lock (pid, application, user, since when). `attempt` takes the lock in its own way and returns
 * undefined when it was busy.
 */
export function waitForLock<T>(
  sql: Sql,
  schema: string,
  waitMs: number,
  onWait: ((msg: string) => void) | undefined,
  attempt: () => Promise<T | undefined>,
): Promise<T> {
  return waitForLockKey(sql, lockKey(schema), waitMs, 'the migration lock', onWait, attempt)
}

/** `waitForLock` for any advisory key; `what` names what is waited for in messages. */
export async function waitForLockKey<T>(
  sql: Sql,
  key: string,
  waitMs: number,
  what: string,
  onWait: ((msg: string) => void) | undefined,
  attempt: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + waitMs
  let reported = ''
  for (let delay = 25; ; delay = Math.min(delay * 2, 1000)) {
    const got = await attempt()
    if (got !== undefined) return got
    const holder = await lockHolder(sql, key)
    if (Date.now() >= deadline) {
      throw new StrataError('lock', `gave up waiting ${Math.round(waitMs / 1000)}s for ${what}, held by ${holder}`, {
        hint: 'another strata is applying migrations to this database; wait for it, or raise --wait',
      })
    }
    if (onWait && holder !== reported) onWait(`waiting for ${what}, held by ${holder}`)
    reported = holder
    await sleep(Math.min(delay, Math.max(0, deadline - Date.now())))
  }
}

/** Take the transaction-scoped advisory lock inside the caller's transaction, waiting as `waitForLock` does. */
export async function acquireLock(tx: Sql, schema: string, waitMs: number, onWait?: (msg: string) => void): Promise<void> {
  const key = lockKey(schema)
  await waitForLock(tx, schema, waitMs, onWait, async () => {
    const [row] = await tx.unsafe(`select pg_try_advisory_xact_lock(${key}) as locked`)
    return row.locked ? true : undefined
  })
}

/** Run `work` in a transaction holding the runners' lock, so no migrate runs while the ledger is being changed. */
export function underLock<T>(
  sql: Sql,
  schema: string,
  waitMs: number,
  work: (tx: Sql) => Promise<T>,
  onWait?: (msg: string) => void,
): Promise<T> {
  return inTransaction(sql, async () => {
    await acquireLock(sql, schema, waitMs, onWait)
    return work(sql)
  })
}

/** Who holds an advisory lock, in words: pid, application, user, address and since when. */
export async function lockHolder(sql: Sql, key: string): Promise<string> {
  const k = BigInt(key)
  const classid = Number((k >> 32n) & 0xffffffffn)
  const objid = Number(k & 0xffffffffn)
  const rows = await sql.unsafe(
    `select a.pid, a.application_name, a.usename, a.client_addr::text as addr, a.xact_start
       from pg_locks l join pg_stat_activity a on a.pid = l.pid
      where l.locktype = 'advisory' and l.granted and l.classid::bigint = ${classid} and l.objid::bigint = ${objid} and l.objsubid = 1`,
  )
  if (!rows.length) return 'another session (not visible to this user)'
  return describeSession(rows[0] as unknown as SessionRow)
}

export interface SessionRow {
  pid: number
  application_name: string | null
  usename: string | null
  addr: string | null
  xact_start: Date | null
  query_start?: Date | null
  state?: string | null
  query?: string | null
}

export function describeSession(r: SessionRow): string {
  const since = r.xact_start ? `, in a transaction since ${new Date(r.xact_start).toISOString()}` : ''
  const query = r.query ? `, ${r.state === 'active' ? 'running' : 'last ran'} ${JSON.stringify(oneLine(r.query, 80))}` : ''
  return `pid ${r.pid} (${r.application_name || 'unnamed client'}, user ${r.usename}${r.addr ? ` from ${r.addr}` : ''}${since}${query})`
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat
}

/** Whether some live session holds the claim on this version (a runner is applying it right now). */
export async function claimIsHeld(sql: Sql, schema: string, version: number): Promise<boolean> {
  // One statement outside a transaction: the lock, when we get it, goes with the statement's own transaction.
  const [row] = await sql.unsafe(`select pg_try_advisory_xact_lock(${claimKey(schema, version)}) as free`)
  return !row.free
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
