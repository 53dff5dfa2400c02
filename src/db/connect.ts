/**
 * The driver: postgres.js with `prepare: false`, so every statement is unnamed and works behind
 * PgBouncer/Supavisor in transaction mode. One connection: a migration runner never needs more.
 */
import postgres from 'postgres'
import { StrataError } from '../errors.js'
import { maskUrl, scrubSecrets } from './url.js'
import { sslModeOf, tlsFailure, tlsSettings } from './tls.js'
import { describeConnection } from './supabase.js'

export type Sql = postgres.Sql<{}>

export interface ConnectOptions {
  url: string
  /** Seconds to wait for the TCP connection and login. */
  connectTimeout?: number
  /** CA certificate file (--ssl-ca); verifies the server (verify-full unless the URL's sslmode says otherwise). */
  sslCa?: string
  /**
   * Read array columns as JS arrays (default true). It costs a query at login (postgres.js asks the server for
   * its array types: a round trip and a few ms of parsing), so commands that read no arrays turn it off.
   */
  arrays?: boolean
}

export function connect({ url, connectTimeout = 10, sslCa, arrays = true }: ConnectOptions): Sql {
  const tls = tlsSettings(url, { sslCa }) // sslmode & co. are ours to read: the server would refuse them as settings
  return postgres(tls.url, {
    ...(tls.ssl !== undefined && { ssl: tls.ssl as postgres.Options<{}>['ssl'] }),
    prepare: false,
    fetch_types: arrays,
    max: 1,
    connect_timeout: connectTimeout,
    idle_timeout: 0,
    onnotice: () => {},
    connection: { application_name: 'strata' },
    // int8 arrive as strings from postgres.js; versions fit in a JS number (checked when files are read).
    types: { bigint: { to: 20, from: [20], serialize: (x: number) => String(x), parse: (x: string) => Number(x) } },
  }) as unknown as Sql
}

/** Turn a driver or server failure into a StrataError that never carries the password. */
export function connectionError(e: unknown, url: string, sslCa?: string): StrataError {
  if (e instanceof StrataError) return e
  const err = e as Error & { code?: string; errno?: string; address?: string; port?: number }
  const tls = tlsFailure(err, sslModeOf(url, sslCa))
  const message = scrubSecrets(tls?.message ?? err.message ?? String(e), url)
  const sqlstate = /^[0-9A-Z]{5}$/.test(err.code ?? '') ? err.code : undefined
  return new StrataError('connection', `cannot connect to ${maskUrl(url)}: ${message}`, {
    sqlstate,
    hint: tls
      ? tls.hint
      : /^(ENETUNREACH|EHOSTUNREACH|ENOTFOUND|EADDRNOTAVAIL)$/.test(err.code ?? '') && describeConnection(url).kind === 'supabase-direct'
        ? describeConnection(url).note
        : err.code === 'ECONNREFUSED'
          ? 'is the server running and accepting TCP connections on that host and port?'
          : sqlstate === '28P01'
            ? 'check the user name and password in the URL'
            : sqlstate === '3D000'
              ? 'create the database first, or fix the database name in the URL'
              : undefined,
  })
}
