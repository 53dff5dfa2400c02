/**
 * What one statement did on the scratch database, read from the server itself: the relation locks of the
 * applying session (pg_locks, before the statement's transaction ends), the relations whose file node changed
 * (a rewrite), and the tables it scanned (pg_stat_xact_user_tables, counted inside the transaction).
 *
 * A statement that cannot run in a transaction block (CREATE INDEX CONCURRENTLY) commits on its own, so its
 * locks are watched from a second connection while it runs; a third holds a snapshot open meanwhile, so that a
 * concurrent build waits for it (as it would wait for the application's transactions) and is seen holding its
 * lock, and lets go as soon as the build is seen waiting.
 */
import type { Sql } from '../db/connect.js'

/** A relation of the scratch database as it was before a file ran. */
export interface Relation {
  oid: number
  name: string
  kind: string
  /** For an index: its table's oid. */
  table?: number
}

/** The session's state at one moment: its relation locks (oid:mode), file nodes and scan counts by oid. */
export interface Moment {
  locks: Set<string>
  filenodes: Map<number, number>
  scans: Map<number, number>
}

const USER = `c.relnamespace not in ('pg_catalog'::regnamespace, 'information_schema'::regnamespace) and c.relnamespace::regnamespace::text !~ '^pg_(toast|temp)'`

/** Every user relation (tables, views, indexes, sequences) with its name: what exists before a file runs. */
export async function relationsNow(sql: Sql): Promise<Map<number, Relation>> {
  const rows = await sql.unsafe(
    `select c.oid::int as oid, n.nspname || '.' || c.relname as name, c.relkind as kind, i.indrelid::int as table
       from pg_class c join pg_namespace n on n.oid = c.relnamespace left join pg_index i on i.indexrelid = c.oid
      where ${USER} and c.relkind in ('r', 'p', 'm', 'v', 'f', 'i', 'I', 'S')`,
  )
  return new Map(rows.map((r) => [r.oid as number, { oid: r.oid, name: r.name, kind: r.kind, ...(r.table && { table: r.table }) }]))
}

/** This session's locks, file nodes and (inside a transaction) scan counts, in one round trip. */
export async function observe(sql: Sql): Promise<Moment> {
  const rows = await sql.unsafe(
    `select 'lock' as what, l.relation::int as oid, l.mode, 0 as n
       from pg_locks l where l.pid = pg_backend_pid() and l.locktype = 'relation' and l.relation >= 16384
     union all
     select 'node', c.oid::int, null, c.relfilenode::bigint from pg_class c where ${USER} and c.relkind in ('r', 'm', 'i', 't')
     union all
     select 'scan', s.relid::int, null, s.seq_scan from pg_stat_xact_user_tables s where s.seq_scan > 0`,
  )
  const moment: Moment = { locks: new Set(), filenodes: new Map(), scans: new Map() }
  for (const r of rows) {
    if (r.what === 'lock') moment.locks.add(`${r.oid}:${r.mode}`)
    else if (r.what === 'node') moment.filenodes.set(r.oid, Number(r.n))
    else moment.scans.set(r.oid, Number(r.n))
  }
  return moment
}

/** Postgres's lock modes, weakest first. */
export const LOCK_MODES = [
  'AccessShareLock',
  'RowShareLock',
  'RowExclusiveLock',
  'ShareUpdateExclusiveLock',
  'ShareLock',
  'ShareRowExclusiveLock',
  'ExclusiveLock',
  'AccessExclusiveLock',
]

export interface Watched {
  ms: number
  /** oid:mode pairs seen held by the session while the statement ran. */
  locks: Set<string>
}

/**
 * Run `text` in autocommit on `sql` and watch its locks from `observer`, with `gate` holding a snapshot so that
 * a concurrent build is seen waiting (see the top of this file). Rethrows the statement's error.
 */
export async function watchAutocommit(sql: Sql, observer: Sql, gate: Sql, text: string): Promise<Watched> {
  const [{ pid }] = await sql.unsafe('select pg_backend_pid() as pid')
  await gate.unsafe('begin isolation level repeatable read; select 1')
  let gateOpen = true
  let gated = 0
  const locks = new Set<string>()
  let finished = false
  const t0 = performance.now()
  const running = sql.unsafe(text).then(
    () => ((finished = true), undefined),
    (e: unknown) => ((finished = true), e),
  )
  try {
    while (!finished) {
      const rows = await observer.unsafe(
        `select l.relation::int as oid, l.mode, a.wait_event
           from pg_stat_activity a left join pg_locks l on l.pid = a.pid and l.locktype = 'relation' and l.granted
          where a.pid = ${Number(pid)}`,
      )
      for (const r of rows) if (r.oid >= 16384) locks.add(`${r.oid}:${r.mode}`)
      if (gateOpen && rows.some((r) => r.wait_event === 'virtualxid')) {
        const waitSeen = performance.now()
        await gate.unsafe('commit')
        gateOpen = false
        gated = performance.now() - waitSeen // the wait our snapshot caused is not the statement's own time
      }
    }
  } finally {
    if (gateOpen) await gate.unsafe('commit').catch(() => {})
  }
  const error = await running
  if (error) throw error
  return { ms: Math.max(0, performance.now() - t0 - gated), locks }
}
