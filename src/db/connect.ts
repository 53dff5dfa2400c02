/**
 * The driver: postgres.js with `prepare: false`, so every statement is unnamed and works behind
 * PgBouncer/Supavisor in transaction mode. One connection: a migration runner never needs more.
 */
import postgres from 'postgres'
import { StrataError } from '../errors.js'
import { maskUrl, scrubSecrets } from '../url.js'

export type Sql = postgres.Sql<{}>

export interface ConnectOptions {
  url: string
  /** Seconds to wait for the TCP connection and login. */
  connectTimeout?: number
}

export function connect({ url, connectTimeout = 10 }: ConnectOptions): Sql {
  return postgres(url, {
    prepare: false,
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
export function connectionError(e: unknown, url: string): StrataError {
  if (e instanceof StrataError) return e
  const err = e as Error & { code?: string; errno?: string; address?: string; port?: number }
  const message = scrubSecrets(err.message ?? String(e), url)
  const sqlstate = /^[0-9A-Z]{5}$/.test(err.code ?? '') ? err.code : undefined
  return new StrataError('connection', `cannot connect to ${maskUrl(url)}: ${message}`, {
    sqlstate,
    hint:
      err.code === 'ECONNREFUSED' ? 'is the server running and accepting TCP connections on that host and port?'
      : sqlstate === '28P01' ? 'check the user name and password in the URL'
      : sqlstate === '3D000' ? 'create the database first, or fix the database name in the URL'
      : undefined,
  })
}
