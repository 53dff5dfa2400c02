/**
 * The driver: postgres.js with `prepare: false`, so every statement is unnamed and works behind
 * PgBouncer/Supavisor in transaction mode. One connection: a migration runner never needs more.
 *
 * We open the sockets ourselves (postgres.js's `socket` option) instead of letting the driver do it, because
 * the driver, given a server that closes during the login, reconnects at once and forever, and with several
 * hosts swallows every error but the last host's. Here each login tries the hosts in order (libpq's rule),
 * shares the connect timeout between them, and ends with one error that says what each host did.
 */
import { Socket } from 'node:net'
import postgres from 'postgres'
import { StrataError } from '../errors.js'
import { connectionParams, maskUrl, scrubSecrets, showEndpoint, type Endpoint } from './url.js'
import { sslModeOf, tlsFailure, tlsSettings, type DriverSsl } from './tls.js'
import { describeConnection } from './supabase.js'

export type { Sql } from './sql.js'
import type { Sql } from './sql.js'

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000

export interface ConnectOptions {
  url: string
  /**
   * How long a login may take, in ms, over all hosts of the URL: TCP, TLS and authentication. Default: the URL's
   * `connect_timeout` (seconds, as libpq reads it), else 10 s. 0 waits as long as the network does.
   */
  connectTimeoutMs?: number
  /** CA certificate file (--ssl-ca); verifies the server (verify-full unless the URL's sslmode says otherwise). */
  sslCa?: string
  /**
   * Read array columns as JS arrays (default true). It costs a query at login (postgres.js asks the server for
   * its array types: a round trip and a few ms of parsing), so commands that read no arrays turn it off.
   */
  arrays?: boolean
  /** Where PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE and PGSSLMODE are read; default process.env. */
  env?: NodeJS.ProcessEnv
}

/** How a connection was made: which host of the URL, and whether TLS encrypts it. */
export interface LinkInfo {
  /** `host:port`, or the unix socket file. */
  host: string
  encrypted: boolean
}

const links = new WeakMap<object, Link>()

export function connect({ url, connectTimeoutMs, sslCa, arrays = true, env = process.env }: ConnectOptions): Sql {
  const conn = connectionParams(url, env)
  const timeoutMs = connectTimeoutMs ?? urlConnectTimeout(conn.params.connect_timeout) ?? DEFAULT_CONNECT_TIMEOUT_MS
  const link = new Link(conn.endpoints, timeoutMs)
  // sslmode & co. are ours to read: the server would refuse them as settings.
  const tls = tlsSettings(url, { sslCa, env, currentHost: () => link.host })
  link.ssl = tls.ssl
  const first = conn.endpoints[0]
  const sql = postgres({
    host: first.host, // for the driver's own messages; link.open decides where each socket goes
    port: first.port,
    database: conn.database,
    user: conn.user,
    pass: conn.password ?? '',
    socket: link.open,
    onclose: link.reset,
    ...(tls.ssl !== undefined && { ssl: tls.ssl as postgres.Options<{}>['ssl'] }),
    prepare: false,
    fetch_types: arrays,
    max: 1,
    connect_timeout: timeoutMs / 1000, // the rest of a login, once a host has answered
    idle_timeout: 0,
    onnotice: () => {},
    connection: { application_name: 'strata', ...tls.params },
    // int8 arrive as strings from postgres.js; versions fit in a JS number (checked when files are read).
    types: { bigint: { to: 20, from: [20], serialize: (x: number) => String(x), parse: (x: string) => Number(x) } },
  } as postgres.Options<{}>) as unknown as Sql
  links.set(sql, link)
  return sql
}

/** The host in use and whether it is encrypted; undefined before the first login. */
export function linkOf(sql: Sql): LinkInfo | undefined {
  return links.get(sql)?.info()
}

/**
 * Await the first query of a connection within the connect timeout, whatever stage the login hangs in;
 * on timeout the connection is ended, so no promise is left waiting on it.
 */
export async function withinConnectTimeout<T>(sql: Sql, first: Promise<T>): Promise<T> {
  const link = links.get(sql)
  if (!link || !link.timeoutMs) return first
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<never>((_, failed) => {
    timer = setTimeout(() => {
      failed(link.timedOut())
      sql.end({ timeout: 0 }).catch(() => {})
    }, link.timeoutMs)
  })
  try {
    return await Promise.race([first, expired])
  } finally {
    clearTimeout(timer)
  }
}

/** `connect_timeout=5` in the URL: seconds, as libpq reads it. */
function urlConnectTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d+$/.test(value)) throw new StrataError('config', `connect_timeout=${value} in the database URL is not a number of seconds`)
  return Number(value) * 1000
}

interface Failure {
  endpoint: Endpoint
  reason: string
  code: string
}

interface Attempt {
  started: number
  /** Index of the next host to try. */
  next: number
  current?: Endpoint
  /** The current host already has its failure recorded (it did not answer in time). */
  currentFailed: boolean
  failures: Failure[]
}

const SSL_ACCEPTED = 0x53 // 'S': the server's answer to an SSLRequest when it will speak TLS

/** One connection's way to the server: the hosts to try, the time they share, and what each one did. */
class Link {
  ssl: DriverSsl | undefined
  private attempt?: Attempt
  private used?: Endpoint
  private reply?: number

  constructor(
    private readonly endpoints: Endpoint[],
    readonly timeoutMs: number,
  ) {}

  get host(): string {
    return (this.attempt?.current ?? this.used ?? this.endpoints[0]).host
  }

  info(): LinkInfo | undefined {
    if (!this.used) return undefined
    // sslmode=prefer: encrypted only when the server said yes to TLS; require and verify-*: always, or no login.
    const encrypted = !this.ssl ? false : this.ssl === 'prefer' ? this.reply === SSL_ACCEPTED : true
    return { host: showEndpoint(this.used), encrypted }
  }

  /**
   * postgres.js calls this for each socket it needs: for a login, and again when a socket closes before the
   * login finished (a server that is not Postgres, or one that did not answer in time): then the next host.
   */
  open = async (): Promise<Socket> => {
    const attempt = (this.attempt ??= { started: Date.now(), next: 0, currentFailed: false, failures: [] })
    if (attempt.current && !attempt.currentFailed) {
      attempt.failures.push({ endpoint: attempt.current, reason: 'closed the connection before the login finished', code: 'EEARLYCLOSE' })
    }
    attempt.current = undefined
    attempt.currentFailed = false
    while (attempt.next < this.endpoints.length) {
      const endpoint = this.endpoints[attempt.next++]
      const deadline = this.deadlineFor(attempt)
      if (deadline <= Date.now()) {
        attempt.failures.push({ endpoint, reason: 'not tried: the connect timeout had passed', code: 'ETIMEDOUT' })
        continue
      }
      try {
        const socket = await dial(endpoint, deadline - Date.now())
        attempt.current = this.used = endpoint
        this.reply = undefined
        this.awaitAnswer(socket, attempt, deadline)
        return socket
      } catch (e) {
        attempt.failures.push({ endpoint, ...dialFailure(e as NodeJS.ErrnoException, deadline - attempt.started) })
      }
    }
    this.attempt = undefined
    throw new LoginError(attempt.failures)
  }

  /** The driver calls this when a connection closes after its login (or after a failed one): the next login starts afresh. */
  reset = (): void => {
    this.attempt = undefined
  }

  /** The whole login ran out of time: what each host did, and that the current one had not finished. */
  timedOut(): LoginError {
    const failures = [...(this.attempt?.failures ?? [])]
    const current = this.attempt?.current
    if (current && !this.attempt?.currentFailed) {
      const what = this.reply === undefined ? 'accepted the connection but did not answer' : 'did not finish the login'
      failures.push({ endpoint: current, reason: `${what} within ${seconds(this.timeoutMs)}`, code: 'ETIMEDOUT' })
    }
    if (!failures.length)
      failures.push({ endpoint: this.endpoints[0], reason: `no login within ${seconds(this.timeoutMs)}`, code: 'ETIMEDOUT' })
    return new LoginError(failures)
  }

  /** Each host not yet tried gets an equal share of the time left, so a host that never answers cannot starve the next. */
  private deadlineFor(attempt: Attempt): number {
    if (!this.timeoutMs) return Infinity
    const left = this.endpoints.length - attempt.next + 1
    const end = attempt.started + this.timeoutMs
    return Date.now() + (end - Date.now()) / left
  }

  /** A host that accepts the connection but never says a word is given up at its deadline, without an error. */
  private awaitAnswer(socket: Socket, attempt: Attempt, deadline: number): void {
    const endpoint = attempt.current!
    const timer = Number.isFinite(deadline)
      ? setTimeout(() => {
          attempt.failures.push({
            endpoint,
            reason: `accepted the connection but did not answer within ${seconds(deadline - attempt.started)}`,
            code: 'ETIMEDOUT',
          })
          attempt.currentFailed = true
          socket.destroy() // a clean close: the driver asks open() for the next host
        }, deadline - Date.now())
      : undefined
    // The first byte answers the driver's SSLRequest (S or N) or its startup message; the driver listens too.
    socket.once('data', (chunk: Buffer) => {
      clearTimeout(timer)
      this.reply = chunk[0]
    })
    socket.once('close', () => clearTimeout(timer))
  }
}

/** A TCP or unix-socket connection to one host, or the reason there is none, within `ms`. */
function dial(endpoint: Endpoint, ms: number): Promise<Socket> {
  return new Promise((done, failed) => {
    const socket = new Socket()
    const timer = Number.isFinite(ms)
      ? setTimeout(() => {
          socket.destroy()
          failed(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' }))
        }, ms)
      : undefined
    socket.once('error', (e) => {
      clearTimeout(timer)
      socket.destroy()
      failed(e)
    })
    socket.once('connect', () => {
      clearTimeout(timer)
      socket.removeAllListeners('error') // the driver adds its own
      // postgres.js reads these for TLS (the server name) and its messages.
      Object.assign(socket, { host: endpoint.socket ?? endpoint.host, port: endpoint.socket ? undefined : endpoint.port })
      done(socket)
    })
    if (endpoint.socket) socket.connect(endpoint.socket)
    else socket.connect(endpoint.port, endpoint.host)
  })
}

function dialFailure(e: NodeJS.ErrnoException, ms: number): { reason: string; code: string } {
  const code = e.code ?? 'ECONNFAILED'
  const reasons: Record<string, string> = {
    ECONNREFUSED: 'refused the connection: nothing listens there',
    ETIMEDOUT: `did not accept the connection within ${seconds(ms)}`,
    ENOTFOUND: 'has no address: the host name is not known',
    EAI_AGAIN: 'has no address: the name server did not answer',
    ENOENT: 'has no socket file: no server listens in that directory on that port',
    EACCES: 'may not be opened: permission denied on the socket file',
  }
  return { reason: `${reasons[code] ?? e.message} (${code})`, code }
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)}ms` : `${Math.round(ms / 100) / 10}s`
}

/** No host of the URL gave us a login: what each one did. */
class LoginError extends Error {
  readonly code: string

  constructor(readonly failures: Failure[]) {
    const each = failures.map((f) => `${showEndpoint(f.endpoint)} ${f.reason}`)
    super(failures.length === 1 ? each[0] : `no host accepted the login: ${each.join('; ')}`)
    const codes = new Set(failures.map((f) => f.code))
    this.code = codes.size === 1 ? failures[0].code : 'ECONNFAILED'
  }
}

// A dropped or terminated connection, as postgres.js and the server report it:
// the driver's own codes, the socket's, and the SQLSTATEs of a server ending the session.
const LOST_CODES = new Set([
  'CONNECTION_CLOSED', // the socket closed while a query was running (pg_terminate_backend, a restart)
  'CONNECTION_DESTROYED', // the connection was ended (sql.end) while a query was running
  'CONNECTION_ENDED', // a query after the connection was ended
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT', // TCP keepalive gave up on an established connection
  '57P01', // admin_shutdown: pg_terminate_backend, or a fast shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: the server is starting or shutting down
  '57P04', // database_dropped
  '57P05', // idle_session_timeout
  '25P03', // idle_in_transaction_session_timeout ends the session
  '25P04', // transaction_timeout (PostgreSQL 17) ends the session
])

/** Whether an error means the connection is gone (so a transaction in flight may or may not have committed). */
export function isConnectionLost(e: unknown): boolean {
  if (!e || typeof e !== 'object') return false
  const err = e as { code?: unknown; facts?: { sqlstate?: unknown }; cause?: unknown }
  for (const code of [err.code, err.facts?.sqlstate]) {
    if (typeof code === 'string' && (LOST_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true
  }
  return err.cause !== undefined && err.cause !== e && isConnectionLost(err.cause)
}

/**
 * Turn a driver or server failure into a StrataError that never carries the password. `at`: the host that
 * answered, named when the URL has several (a refused login says which server refused it).
 */
export function connectionError(e: unknown, url: string, sslCa?: string, at?: string): StrataError {
  if (e instanceof StrataError) return e
  const err = e as Error & { code?: string; errno?: string; address?: string; port?: number }
  const tls = tlsFailure(err, sslModeOf(url, sslCa))
  const message = scrubSecrets(tls?.message ?? driverMessage(err) ?? err.message ?? String(e), url)
  const sqlstate = /^[0-9A-Z]{5}$/.test(err.code ?? '') ? err.code : undefined
  const where = at && !(e instanceof LoginError) ? ` (at ${at})` : ''
  return new StrataError('connection', `cannot connect to ${maskUrl(url)}${where}: ${message}`, {
    sqlstate,
    hint: tls?.hint ?? connectionHint(err.code, sqlstate, url),
  })
}

/** postgres.js's own login failures read `write CONNECT_TIMEOUT host:port`; say what happened instead. */
function driverMessage(err: { code?: string; message?: string }): string | undefined {
  if (err.code === 'CONNECT_TIMEOUT') return `the server did not finish the login in time (${err.message?.replace(/^write /, '')})`
  return undefined
}

function connectionHint(code: string | undefined, sqlstate: string | undefined, url: string): string | undefined {
  switch (code) {
    case 'ENETUNREACH':
    case 'EHOSTUNREACH':
    case 'ENOTFOUND':
    case 'EADDRNOTAVAIL':
      return describeConnection(url).kind === 'supabase-direct' ? describeConnection(url).note : 'check the host name in the URL'
    case 'ECONNREFUSED':
      return 'is the server running and accepting TCP connections on that host and port?'
    case 'EEARLYCLOSE':
      return 'something listens there but it does not speak the Postgres protocol (or refused us without a word): check the host and port'
    case 'ETIMEDOUT':
    case 'CONNECT_TIMEOUT':
      return 'check the host and port, and that no firewall drops the connection; --connect-timeout (or STRATA_CONNECT_TIMEOUT) sets how long to wait'
    case 'ENOENT':
      return 'check the socket directory and the port: the server creates .s.PGSQL.<port> in its unix_socket_directories'
  }
  if (sqlstate === '28P01') return 'check the user name and password in the URL'
  if (sqlstate === '3D000') return 'create the database first, or fix the database name in the URL'
  return undefined
}
