/**
 * Connection URLs, read the way libpq reads them, and shown to people only with the password masked.
 * `new URL` cannot parse a multi-host URL (`h1:5432,h2:5433`), so one small parser here understands them all:
 * several hosts, unix socket directories (`%2Fvar%2Frun%2Fpostgresql` or `?host=/var/run/postgresql`),
 * parameters in the query, and a password with an unescaped `@` (the last `@` before the path ends it, as
 * postgres.js and WHATWG URLs read it; libpq would take the first and then fail to resolve `ss@host`).
 */
import { userInfo } from 'node:os'
import { StrataError } from '../errors.js'

export interface ParsedUrl {
  scheme: string
  user?: string
  password?: string
  /** Hosts from the host part, or from `?host=`; empty when the URL names none. Unix socket hosts are directories. */
  hosts: string[]
  /** Ports from the host part, or from `?port=`: none, one for all hosts, or one per host. */
  ports: (number | undefined)[]
  database?: string
  /** Query parameters, decoded; `host`, `port`, `user`, `password` and `dbname` are taken out into the fields above. */
  params: Record<string, string>
  /** The URL as written, piece by piece, to show it again with the password masked. */
  raw: { user?: string; password?: string; hosts: string; path: string; query: string }
}

/** Where a connection may go: a TCP host and port, or a unix socket file. */
export interface Endpoint {
  host: string
  port: number
  /** Full path of the unix socket (`<dir>/.s.PGSQL.<port>`) when the host is a directory. */
  socket?: string
}

/** Everything needed to log in: the URL with the environment's PG* variables filled in, as libpq and postgres.js do. */
export interface ConnectionParams {
  endpoints: Endpoint[]
  user: string
  password?: string
  database: string
  /** Query parameters other than host, port, user, password and dbname. */
  params: Record<string, string>
}

const TAKEN = ['host', 'port', 'user', 'password', 'dbname']
const SECRET_PARAMS = ['password', 'sslpassword']

/** Parse a postgres:// or postgresql:// URL; a StrataError('config') that never quotes the URL when it cannot. */
export function parseUrl(url: string): ParsedUrl {
  const scheme = /^(postgres(?:ql)?):\/\//.exec(url)
  if (!scheme) invalid('it must start with postgres:// or postgresql://')
  const rest = url.slice(scheme![0].length)
  // The user info ends at the last @ before the first /: a password may hold an unescaped @, ? or :.
  const slashAt = indexOr(rest, '/', rest.length)
  const at = slashAt > 0 ? rest.lastIndexOf('@', slashAt - 1) : -1
  const userinfo = at >= 0 ? rest.slice(0, at) : undefined
  const afterUser = rest.slice(at + 1)
  const queryAt = indexOr(afterUser, '?', afterUser.length)
  const hostsEnd = Math.min(indexOr(afterUser, '/', afterUser.length), queryAt)
  const rawHosts = afterUser.slice(0, hostsEnd)
  const path = afterUser.slice(hostsEnd, queryAt)
  const query = afterUser.slice(queryAt)
  // A / inside an unescaped password would end the host part early and leave the rest in the path.
  if (path.includes('@')) invalid('it has an @ after the host (percent-encode a / or @ in the password as %2F or %40)')

  const colon = userinfo === undefined ? -1 : userinfo.indexOf(':')
  const rawUser = userinfo === undefined ? undefined : colon >= 0 ? userinfo.slice(0, colon) : userinfo
  const rawPassword = colon >= 0 ? userinfo!.slice(colon + 1) : undefined

  const params = parseQuery(query.slice(1))
  const { hosts, ports } = parseHosts(rawHosts, params)
  const user = params.user ?? (rawUser ? decode(rawUser, 'user name') : undefined)
  const password = params.password ?? (rawPassword !== undefined ? decode(rawPassword, 'password') : undefined)
  const dbInPath = path.length > 1 ? decode(path.slice(1), 'database name') : undefined
  const database = params.dbname ?? dbInPath
  for (const key of TAKEN) delete params[key]
  return {
    scheme: scheme![1],
    user,
    password,
    hosts,
    ports,
    database,
    params,
    raw: { user: rawUser, password: rawPassword, hosts: rawHosts, path, query },
  }
}

function indexOr(text: string, char: string, otherwise: number): number {
  const i = text.indexOf(char)
  return i >= 0 ? i : otherwise
}

function parseQuery(query: string): Record<string, string> {
  const params: Record<string, string> = {}
  for (const pair of query.split('&')) {
    if (!pair) continue
    const eq = pair.indexOf('=')
    if (eq < 1) invalid('a query parameter is not of the form key=value')
    params[decode(pair.slice(0, eq), 'query parameter')] = decode(pair.slice(eq + 1), 'query parameter')
  }
  return params
}

/** `h1:5432,[::1]:5433,%2Ftmp`, or `?host=a,b&port=1,2` (which wins, as in libpq). */
function parseHosts(raw: string, params: Record<string, string>): { hosts: string[]; ports: (number | undefined)[] } {
  const hosts: string[] = []
  const ports: (number | undefined)[] = []
  if (raw) {
    for (const item of raw.split(',')) {
      const m = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(item)!
      hosts.push(decode(m[1].replace(/^\[(.*)\]$/, '$1'), 'host'))
      ports.push(port(m[2]))
    }
  }
  const fromParams = params.host !== undefined ? params.host.split(',') : undefined
  const portParams = params.port !== undefined ? params.port.split(',').map(port) : undefined
  const finalHosts = fromParams ?? hosts
  const finalPorts = portParams ?? (fromParams ? [] : ports)
  if (finalPorts.length > 1 && finalPorts.length !== finalHosts.length) {
    invalid(`it has ${finalPorts.length} ports for ${finalHosts.length} hosts (give one port, or one per host)`)
  }
  return { hosts: finalHosts.every((h) => h === '') ? [] : finalHosts, ports: finalPorts.every((p) => p === undefined) ? [] : finalPorts }
}

function port(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined
  // Never quote the text: when a password holds an unescaped /, what looks like a port is part of it.
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535)
    invalid('a port is not a number from 1 to 65535 (percent-encode a / in the password as %2F)')
  return Number(text)
}

function decode(text: string, what: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return invalid(`its ${what} has a % that does not start a percent-encoded character (write % as %25)`)
  }
}

function invalid(reason: string): never {
  throw new StrataError('config', `the database URL is not valid: ${reason}`, {
    hint: 'the form is postgres://user:password@host:5432/database?sslmode=require',
  })
}

/** Hosts, ports, user, database and password, with PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD where the URL has none. */
export function connectionParams(url: string, env: NodeJS.ProcessEnv = process.env): ConnectionParams {
  const u = parseUrl(url)
  const hosts = u.hosts.length ? u.hosts : env.PGHOST ? env.PGHOST.split(',') : ['localhost']
  const ports = u.ports.length ? u.ports : env.PGPORT ? env.PGPORT.split(',').map(port) : []
  if (ports.length > 1 && ports.length !== hosts.length) {
    throw new StrataError(
      'config',
      `PGPORT has ${ports.length} ports for the ${hosts.length} host(s) to connect to: give one port, or one per host`,
    )
  }
  const endpoints = hosts.map((raw, i) => {
    const host = raw || 'localhost'
    const p = (ports.length > 1 ? ports[i] : ports[0]) ?? 5432
    return host.startsWith('/') ? { host, port: p, socket: `${host.replace(/\/$/, '')}/.s.PGSQL.${p}` } : { host, port: p }
  })
  const user = u.user || env.PGUSER || env.PGUSERNAME || osUser()
  return {
    endpoints,
    user,
    password: u.password ?? env.PGPASSWORD,
    database: u.database || env.PGDATABASE || user,
    params: u.params,
  }
}

/** STRATA_CONNECT_TIMEOUT: `10s`, `500ms`, `1min` or plain seconds, in milliseconds. */
export function connectTimeoutFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const value = env.STRATA_CONNECT_TIMEOUT
  if (!value) return undefined
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|min|m)?$/.exec(value)
  if (!m) throw new StrataError('config', `STRATA_CONNECT_TIMEOUT ${JSON.stringify(value)} is not a duration like 10s or 500ms`)
  const unit = m[2] ?? 's'
  return Number(m[1]) * (unit === 'ms' ? 1 : unit === 's' ? 1000 : 60_000)
}

function osUser(): string {
  try {
    return userInfo().username
  } catch {
    return process.env.USER ?? 'postgres'
  }
}

/** `db.example.com:5432`, `[::1]:5432`, or the socket file for a unix socket. */
export function showEndpoint(e: Endpoint): string {
  if (e.socket) return e.socket
  return `${e.host.includes(':') ? `[${e.host}]` : e.host}:${e.port}`
}

export function maskUrl(url: string): string {
  let u: ParsedUrl
  try {
    u = parseUrl(url)
  } catch {
    return maskUnparsed(url)
  }
  const { raw } = u
  const userinfo = raw.user !== undefined ? `${raw.user}${raw.password !== undefined ? ':****' : ''}@` : ''
  return `${u.scheme}://${userinfo}${raw.hosts}${raw.path}${maskQuery(raw.query)}`
}

function maskQuery(query: string): string {
  return query.replace(/([?&])([^=&]*)=([^&]*)/g, (whole, sep: string, key: string) =>
    SECRET_PARAMS.includes(safeDecode(key)) ? `${sep}${key}=****` : whole,
  )
}

/** Not a URL we can read: hide everything up to the last @ (user and password alike), and password parameters. */
function maskUnparsed(url: string): string {
  const start = url.indexOf('://')
  const at = url.lastIndexOf('@')
  const hidden = start >= 0 && at > start ? `${url.slice(0, start + 3)}****${url.slice(at)}` : url
  return maskQuery(hidden)
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

/** Remove every occurrence of the secrets in `url` from a text (error messages from drivers, servers). */
export function scrubSecrets(text: string, url: string | undefined): string {
  if (!url) return text
  const { secrets, masked } = scrubbing(url)
  let out = text.split(url).join(masked)
  for (const secret of secrets) out = out.split(secret).join('****')
  return out
}

// Every line the CLI prints is scrubbed (5,000 for `status` on a long history): parse the URL once, not per line.
let last: { url: string; secrets: string[]; masked: string } | undefined
function scrubbing(url: string): { secrets: string[]; masked: string } {
  if (last?.url !== url) last = { url, secrets: secretsOf(url), masked: maskUrl(url) }
  return last
}

/** The password in every form it may take in a text: as written, decoded, encoded; longest first. */
function secretsOf(url: string): string[] {
  const raw: string[] = []
  try {
    const u = parseUrl(url)
    if (u.password !== undefined) raw.push(u.password, encodeURIComponent(u.password))
    if (u.raw.password !== undefined) raw.push(u.raw.password, safeDecode(u.raw.password))
  } catch {
    // Unreadable: everything between the first : after the scheme and the last @ may be the password.
    const start = url.indexOf('://') + 3
    const at = url.lastIndexOf('@')
    if (at > start) {
      const userinfo = url.slice(start, at)
      const colon = userinfo.indexOf(':')
      raw.push(colon >= 0 ? userinfo.slice(colon + 1) : userinfo)
    }
  }
  for (const m of url.matchAll(/[?&](?:password|sslpassword)=([^&]*)/g)) raw.push(m[1], safeDecode(m[1]))
  return [...new Set(raw.filter((s) => s.length >= 3))].sort((a, b) => b.length - a.length)
}

export interface Target {
  host: string
  port: string
  database: string
  user: string
}

/** The first host the driver would try, with the database and user; PG* variables fill what the URL lacks. */
export function describeTarget(url: string, env: NodeJS.ProcessEnv = process.env): Target {
  const c = connectionParams(url, env)
  return { host: c.endpoints[0].host, port: String(c.endpoints[0].port), database: c.database, user: c.user }
}

/**
 * The same URL (user, password, hosts, other parameters as written) with another database and/or more query
 * parameters: a database name of a `--targets` file on the server of `--url`, a tenant's connection settings.
 */
export function changeUrl(url: string, change: { database?: string; params?: Record<string, string> }): string {
  const { scheme, raw } = parseUrl(url)
  const userinfo = raw.user !== undefined ? `${raw.user}${raw.password !== undefined ? `:${raw.password}` : ''}@` : ''
  const drop = new Set([...(change.database !== undefined ? ['dbname'] : []), ...Object.keys(change.params ?? {})])
  const pairs = raw.query
    .slice(1)
    .split('&')
    .filter((pair) => pair && !drop.has(safeDecode(pair.slice(0, pair.indexOf('=')))))
  for (const [key, value] of Object.entries(change.params ?? {})) pairs.push(`${encodeURIComponent(key)}=${encodeURIComponent(value)}`)
  const path = change.database !== undefined ? `/${encodeURIComponent(change.database)}` : raw.path
  return `${scheme}://${userinfo}${raw.hosts}${path}${pairs.length ? `?${pairs.join('&')}` : ''}`
}
