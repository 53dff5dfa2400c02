/** The database a command works on: a URL, or the embedded server in `.strata/pg`. */
import { join } from 'node:path'
import { connect, connectionError, linkOf, withinConnectTimeout, type Sql } from './connect.js'
import { connectionParams, maskUrl, parseUrl } from './url.js'
import { StrataError } from '../errors.js'

export interface ServerInfo {
  version: string
  database: string
  user: string
  /** The host actually used (`host:port`, or the unix socket file): one of the URL's, or PGHOST's. */
  host?: string
  /** Whether TLS encrypts the connection between Strata and the server (or the pooler in front of it). */
  encrypted?: boolean
}

export interface Target {
  sql: Sql
  url: string
  /** The URL with its password masked: the only form that may be shown. */
  shown: string
  /** What the server said about itself when we logged in, and how we reached it. */
  server: ServerInfo
  /** A second connection to the same database, for work that must not share the first (a no-transaction file's claim). */
  side(): Promise<{ sql: Sql; close(): Promise<void> }>
  close(): Promise<void>
}

/**
 * `--expect-host`: a glob (`*` matches any run of characters) on the host, or on `host/database` when it has a
 * slash. Every host the driver may connect to must match: each host of a multi-host URL, or PGHOST's when the
 * URL names none. A unix socket host is its directory, and may also be matched alone by a pattern with slashes.
 */
export function checkExpectedHost(url: string, pattern: string | undefined, env: NodeJS.ProcessEnv = process.env): void {
  if (!pattern) return
  const conn = connectionParams(url, env)
  const glob = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
    'i',
  )
  for (const { host, socket } of conn.endpoints) {
    const subjects = pattern.includes('/') ? [`${host}/${conn.database}`, ...(socket ? [host] : [])] : [host]
    if (subjects.some((s) => glob.test(s))) continue
    const others = conn.endpoints.length > 1 ? ` (one of the ${conn.endpoints.length} hosts the URL names; each must match)` : ''
    throw new StrataError('config', `refusing to run against ${subjects[0]}${others}: --expect-host is ${pattern}`, {
      hint: parseUrl(url).hosts.length
        ? 'this job is pointed at another database than it expects; check DATABASE_URL'
        : `the URL names no host, so the driver connects to ${env.PGHOST ? 'PGHOST' : 'localhost'}; check DATABASE_URL and PGHOST`,
    })
  }
}

export interface TargetOptions {
  /** Whether the command reads array columns (see ConnectOptions.arrays); default true. */
  arrays?: boolean
}

/**
 * The connections of a fan-out over many targets (src/targets/connections.ts): every connection takes a slot
 * until it is closed, and a target's connection is kept for the next target on the same database (tenant
 * schemas) instead of logging in again.
 */
export interface ConnectionBudget {
  /** Wait for a free slot; the function returned gives it back. */
  acquire(): Promise<() => void>
  /** A connection kept under this key, now the caller's. */
  reuse(key: string): Target | undefined
  /** Instead of closing: keep the connection for the next target (or close it, when a slot is wanted now). */
  keep(key: string, target: Target): Promise<void>
}

/** What opening a target needs of the resolved options (src/config: `Resolved`). */
export interface TargetConfig {
  cwd: string
  url?: string
  embedded: boolean
  sslCa?: string
  expectHost?: string
  connectTimeoutMs?: number
  onTarget?: (target: string, server: ServerInfo) => void
  connections?: ConnectionBudget
}

export async function openTarget(cfg: TargetConfig, options: TargetOptions = {}): Promise<Target> {
  let url = cfg.url
  let stopServer = async () => {}
  // Before connecting or starting anything: a wrong target is never touched.
  checkExpectedHost(cfg.embedded ? 'postgres://127.0.0.1/postgres' : url!, cfg.expectHost)
  const budget = cfg.embedded ? undefined : cfg.connections
  const key = `${url}\0${options.arrays !== false}`
  const kept = budget?.reuse(key)
  if (kept) {
    cfg.onTarget?.(kept.shown, kept.server)
    return { ...kept, close: () => budget!.keep(key, kept) }
  }
  if (cfg.embedded) {
    const { startEmbedded } = await import('./embedded.js') // only --embedded pays for it
    const server = await startEmbedded({ dataDir: join(cfg.cwd, '.strata/pg') })
    url = server.url
    stopServer = server.stop
  }
  const sslCa = cfg.embedded ? undefined : cfg.sslCa // the embedded server speaks plain TCP on localhost
  const release = (await budget?.acquire()) ?? (() => {})
  let sql: Sql
  try {
    sql = connect({ url: url!, sslCa, arrays: options.arrays, connectTimeoutMs: cfg.connectTimeoutMs })
  } catch (e) {
    release()
    await stopServer()
    throw e
  }
  const close = async () => {
    await sql.end({ timeout: 5 }).catch(() => {})
    release()
    await stopServer()
  }
  let server: Target['server']
  try {
    // Fail here, with a clean message, rather than inside the first real query; within the connect timeout.
    const [row] = await withinConnectTimeout(
      sql,
      sql`select current_setting('server_version') as version, current_database() as database, current_user as user`.execute(),
    )
    server = { version: row.version, database: row.database, user: row.user, ...linkOf(sql) }
  } catch (e) {
    const at = connectionParams(url!).endpoints.length > 1 ? linkOf(sql)?.host : undefined
    await close()
    throw connectionError(e, url!, sslCa, at)
  }
  const shown = maskUrl(url!)
  cfg.onTarget?.(shown, server)
  const side = async () => {
    const giveBack = (await budget?.acquire()) ?? (() => {})
    let other: Sql
    try {
      other = connect({ url: url!, sslCa, arrays: false, connectTimeoutMs: cfg.connectTimeoutMs })
    } catch (e) {
      giveBack()
      throw e
    }
    return { sql: other, close: () => other.end({ timeout: 5 }).then(giveBack, giveBack) }
  }
  const target = { sql, url: url!, shown, server, side, close }
  return budget ? { ...target, close: () => budget.keep(key, target) } : target
}

/**
 * Connect, and meanwhile do the local work (reading and hashing files) so that the login round trips
 * overlap it; then run `work` and always close. A local error (bad file names) wins over the connection.
 */
export async function withTarget<L, R>(
  cfg: TargetConfig,
  local: () => L | Promise<L>,
  work: (target: Target, local: L) => Promise<R>,
  options: TargetOptions = {},
): Promise<R> {
  const opening = openTarget(cfg, options)
  opening.catch(() => {}) // a failed login is reported below, after the local work; not as an unhandled rejection
  let prepared: L
  try {
    prepared = await local()
  } catch (e) {
    await opening.then(
      (t) => t.close(),
      () => {},
    )
    throw e
  }
  const target = await opening
  try {
    return await work(target, prepared)
  } finally {
    await target.close()
  }
}
