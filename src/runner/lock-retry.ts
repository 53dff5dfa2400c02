/**
 * Waiting for a table lock without stopping the application. A statement that needs a strong lock (ALTER TABLE
 * wants ACCESS EXCLUSIVE) queues behind every open transaction on the table, and every later query of the
 * application queues behind that request: a long transaction elsewhere turns a one-millisecond ALTER into an
 * outage. So each attempt runs with a short lock_timeout (--lock-timeout, default 1s); when it runs out the
 * file is rolled back, the queue drains, Strata names the session in the way and tries again after a growing,
 * jittered pause, up to --lock-retries attempts and --wait in all (GitLab's lock retries work the same way).
 *
 * The session in the way is named from pg_locks, for the relations the file's statements name: never by
 * replaying the file, which would queue another ACCESS EXCLUSIVE request behind the same transaction.
 */
import type { Sql } from '../db/connect.js'
import { StrataError } from '../errors.js'
import { caretLines } from '../location.js'
import { quoteLiteral } from '../sql/quote.js'
import { normalize } from './file-format.js'
import { describeSession, sleep, type SessionRow } from './lock.js'

/** lock_not_available: lock_timeout ran out, or a NOWAIT found the lock taken. */
export const LOCK_TIMEOUT = '55P03'
/** The first pause after a lock timeout, and the longest: the pause doubles in between, with ±50% jitter. */
const FIRST_PAUSE_MS = 250
const LONGEST_PAUSE_MS = 10_000

export const isLockTimeout = (e: unknown): boolean =>
  (e instanceof StrataError ? e.facts.sqlstate : (e as { code?: string } | undefined)?.code) === LOCK_TIMEOUT

export interface LockRetryOptions {
  sql: Sql
  /** Attempts after the first: 0 fails at the first lock timeout. */
  retries: number
  /** The longest the whole wait may take, in milliseconds, from the first lock timeout on. */
  waitMs: number
  lockTimeoutMs: number
  /** The file that met the lock timeout (its relations name the session in the way; its path the messages). */
  source: (error: unknown) => { path: string; content: string }
  onWait(message: string): void
}

/**
 * Run `attempt` (which rolls back and throws on a lock timeout); after a lock timeout, name the blocker, pause
 * and run it again, until it succeeds, fails otherwise, or the retries or the wait run out. `first`: a lock
 * timeout the caller met already (its first attempt).
 */
export async function retryOnLockTimeout<T>(options: LockRetryOptions, attempt: () => Promise<T>, first?: unknown): Promise<T> {
  let error = first
  let attempts = first === undefined ? 0 : 1
  const deadline = Date.now() + options.waitMs
  let named = ''
  for (;;) {
    if (error !== undefined) {
      const source = options.source(error)
      const blockers = await findBlockers(options.sql, source).catch(() => undefined)
      const pause = Math.round(Math.min(LONGEST_PAUSE_MS, FIRST_PAUSE_MS * 2 ** (attempts - 1)) * (0.5 + Math.random()))
      if (attempts > options.retries || Date.now() + pause >= deadline)
        throw gaveUp(describeLockTimeout(error, source, blockers), attempts, options)
      const who = blockers?.sessions.length ? blockers.sessions.join('; ') : 'the session in the way has ended, or this user cannot see it'
      const same = !!blockers?.sessions.length && who === named
      named = who
      options.onWait(
        `${source.path}: a lock was not free within --lock-timeout ${seconds(options.lockTimeoutMs)}; rolled back so that other ` +
          `queries go on, trying again in ${seconds(pause)} (attempt ${attempts + 1} of ${options.retries + 1}): ${same ? 'the same session still holds it' : who}`,
      )
      await sleep(pause)
    }
    try {
      return await attempt()
    } catch (e) {
      if (!isLockTimeout(e)) throw e
      error = e
      attempts++
    }
  }
}

interface Blockers {
  /** One sentence per relation the file names that another session holds a lock on. */
  sessions: string[]
  /** The first statement that names such a relation: where the file most likely waited. */
  statement?: { line: number; column: number }
}

/** After a lock timeout (this session holds nothing any more): who holds locks on the relations the file names. */
export async function findBlockers(sql: Sql, source: { path: string; content: string }): Promise<Blockers> {
  const { parseSql } = await import('../sql/index.js') // only contention pays for the parser
  const parsed = await parseSql(normalize(source.content))
  const named = parsed.statements.map((s) => relationsOf([s.node]))
  const all = [...new Set(named.flat())]
  const rows = all.length ? await lockHolders(sql, all) : []
  if (!rows.length) return { sessions: await oldestTransactions(sql) }
  const locked = new Set(rows.map((r) => r.name))
  const at = named.findIndex((names) => names.some((n) => locked.has(n)))
  return { sessions: rows.map((r) => `${r.relation} is locked (${r.mode}) by ${describeSession(r)}`), statement: parsed.statements[at] }
}

type HolderRow = SessionRow & { mode: string; relation: string; name: string }

async function lockHolders(sql: Sql, names: string[]): Promise<HolderRow[]> {
  // to_regclass takes no lock; the query reads only catalogs and views.
  const list = names.map(quoteLiteral).join(', ')
  return (await sql.unsafe(
    `select distinct on (a.pid, l.relation) a.pid, a.application_name, a.usename, a.client_addr::text as addr, a.xact_start, a.query_start,
            a.state, a.query, l.mode, n.name, l.relation::regclass::text as relation
       from unnest(array[${list}]::text[]) n(name)
       join pg_locks l on l.locktype = 'relation' and l.relation = to_regclass(n.name) and l.granted and l.pid <> pg_backend_pid()
       join pg_stat_activity a on a.pid = l.pid
      order by a.pid, l.relation, case l.mode when 'AccessExclusiveLock' then 0 when 'ExclusiveLock' then 1 else 2 end`,
  )) as unknown as HolderRow[]
}

/** When no session holds the relations named (a function's table, a lock already gone): the oldest open transactions. */
async function oldestTransactions(sql: Sql): Promise<string[]> {
  const rows = (await sql.unsafe(
    `select a.pid, a.application_name, a.usename, a.client_addr::text as addr, a.xact_start, a.query_start, a.state, a.query
       from pg_stat_activity a
      where a.datname = current_database() and a.pid <> pg_backend_pid() and a.xact_start is not null and a.backend_type = 'client backend'
      order by a.xact_start limit 3`,
  )) as unknown as SessionRow[]
  return rows.map((r) => `(the oldest open transactions) ${describeSession(r)}`)
}

/** A lock timeout, located at the statement that most likely waited, with the sessions holding its relations. */
export async function explainLockTimeout(sql: Sql, error: unknown, source: { path: string; content: string }): Promise<StrataError> {
  return describeLockTimeout(error, source, await findBlockers(sql, source).catch(() => undefined))
}

function describeLockTimeout(error: unknown, source: { path: string; content: string }, blockers: Blockers | undefined): StrataError {
  const err = error instanceof StrataError ? error : new StrataError('migration', `${source.path}: ${(error as Error).message}`, {})
  const facts = err.facts
  facts.sqlstate = LOCK_TIMEOUT
  facts.file ??= source.path
  const at = blockers?.statement
  if (at && facts.line === undefined) {
    const text = normalize(source.content)
    Object.assign(facts, { line: at.line, column: at.column, context: [...caretLines(text, at.line, at.column), ...(facts.context ?? [])] })
    if (err.message.startsWith(`${source.path}: `))
      err.message = `${source.path}:${at.line}:${at.column}: ${err.message.slice(source.path.length + 2)}`
  }
  if (blockers?.sessions.length) {
    facts.blockers = blockers.sessions
    facts.context = [...(facts.context ?? []), ...blockers.sessions]
  }
  facts.hint ??= 'another session holds a table this file needs: end it, or run again when it is done'
  return err
}

function gaveUp(err: StrataError, attempts: number, options: LockRetryOptions): StrataError {
  if (attempts > 1) err.message += ` (gave up after ${attempts} attempts of ${seconds(options.lockTimeoutMs)} each)`
  err.facts.attempts = attempts
  err.facts.hint =
    'a transaction holds a table this file needs: end it, or run again when it is done; --lock-retries and --wait say how long Strata keeps trying, --lock-timeout how long each attempt waits'
  return err
}

/** Tables and views a statement names (RangeVar nodes, and the names of DROP), as `schema.name` or `name`. */
function relationsOf(nodes: unknown[]): string[] {
  const found = new Set<string>()
  const add = (schema: string | undefined, name: string) => found.add(schema ? `${quoteName(schema)}.${quoteName(name)}` : quoteName(name))
  // A RangeVar comes wrapped (`{ RangeVar: {...} }`) in lists and bare in typed fields (`relation: {...}`).
  const walk = (node: unknown): void => {
    if (!node || typeof node !== 'object') return
    if (Array.isArray(node)) return node.forEach(walk)
    const rv = node as {
      schemaname?: string
      relname?: unknown
      DropStmt?: { objects?: { List?: { items?: { String?: { sval?: string } }[] } }[] }
    }
    if (typeof rv.relname === 'string') add(rv.schemaname, rv.relname)
    for (const object of rv.DropStmt?.objects ?? []) {
      const parts = (object.List?.items ?? []).map((i) => i.String?.sval).filter((s): s is string => !!s)
      if (parts.length) add(parts.length > 1 ? parts.at(-2) : undefined, parts.at(-1)!)
    }
    for (const value of Object.values(node)) walk(value)
  }
  walk(nodes)
  return [...found]
}

const quoteName = (name: string) => (/^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`)

const seconds = (ms: number) => (ms < 1000 ? `${ms}ms` : `${(ms / 1000).toFixed(ms % 1000 ? 1 : 0)}s`)
