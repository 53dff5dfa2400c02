/**
 * Supabase connection strings come in three shapes, and what works through each differs:
 *   aws-0-<region>.pooler.supabase.com:6543  transaction pooler (Supavisor): a server connection per transaction
 *   aws-0-<region>.pooler.supabase.com:5432  session pooler: one server connection for the whole session, IPv4
 *   db.<ref>.supabase.co:5432                direct connection to the database, IPv6 unless the IPv4 add-on is on
 */
import type { Sql } from './sql.js'
import { parseUrl, type ParsedUrl } from './url.js'

export type ConnectionKind = 'supabase-transaction-pooler' | 'supabase-session-pooler' | 'supabase-direct' | 'other'

export interface ConnectionDescription {
  kind: ConnectionKind
  /** One or two sentences the CLI can print before it starts. */
  note?: string
}

const POOLER_HOST = /\.pooler\.supabase\.com$/i
const DIRECT_HOST = /^db\.[a-z0-9]+\.supabase\.co$/i

export function describeConnection(url: string): ConnectionDescription {
  let u: ParsedUrl
  try {
    u = parseUrl(url)
  } catch {
    return { kind: 'other' }
  }
  const host = u.hosts[0] ?? ''
  const port = String(u.ports[0] ?? 5432)
  if (POOLER_HOST.test(host)) return describePooler(port, u.user ?? '')
  if (DIRECT_HOST.test(host)) {
    return {
      kind: 'supabase-direct',
      note:
        'Supabase direct connection: the host has only an IPv6 address unless the project has the IPv4 add-on; ' +
        'where there is no IPv6 (GitHub-hosted runners, many CI services), use the session pooler URL (<region>.pooler.supabase.com:5432) instead.',
    }
  }
  return { kind: 'other' }
}

function describePooler(port: string, user: string): ConnectionDescription {
  // The pooler finds the project from the user name; a bare `postgres` is refused with a vague error.
  const userNote = user.includes('.')
    ? ''
    : ` The pooler expects the user name postgres.<project-ref>, not ${JSON.stringify(user || 'postgres')}.`
  if (port === '6543') {
    return {
      kind: 'supabase-transaction-pooler',
      note:
        'Supabase transaction pooler (port 6543): supported. Each migration runs in one transaction that holds the ' +
        'migration lock and its timeouts (transaction-scoped, nothing stays on the pooled connection), and no statement ' +
        'is prepared. strata:no-transaction files run one statement per pooled transaction.' +
        userNote,
    }
  }
  if (port === '5432') {
    return {
      kind: 'supabase-session-pooler',
      note:
        'Supabase session pooler (port 5432): one server connection for the whole run, like a direct connection, reachable over IPv4.' +
        userNote,
    }
  }
  return {
    kind: 'other',
    note: `Supabase pooler host on port ${port}: the pooler listens on 6543 (transaction mode) and 5432 (session mode).`,
  }
}

/** Supabase serves TLS on every endpoint, so a URL without sslmode still gets an encrypted connection. */
export function isSupabaseHost(hostname: string): boolean {
  return POOLER_HOST.test(hostname) || DIRECT_HOST.test(hostname)
}

/**
 * Schemas the Supabase platform owns and changes on its own schedule (auth, storage, realtime...): left out of
 * schema comparisons on a Supabase database, since migrations do not create them and cannot match them.
 */
export const SUPABASE_PLATFORM_SCHEMAS = [
  'auth',
  'storage',
  'realtime',
  '_realtime',
  'supabase_functions',
  'supabase_migrations',
  'extensions',
  'graphql',
  'graphql_public',
  'vault',
  'pgsodium',
  'pgsodium_masks',
  'pgbouncer',
  'net',
  'cron',
  '_analytics',
  '_supavisor',
  'pgtle',
  'pgmq',
]

/** Extensions every Supabase project has that no migration creates (and a scratch server cannot have). */
export const SUPABASE_PLATFORM_EXTENSIONS = ['pg_graphql', 'pg_stat_statements', 'pgsodium', 'supabase_vault', 'pgjwt']

/**
 * A Supabase database: reached through a Supabase host, or (a local `supabase start`, a self-hosted stack) one
 * whose cluster has the platform's admin role and whose database has its auth schema.
 */
export async function isSupabaseDatabase(sql: Sql, url: string | undefined): Promise<boolean> {
  try {
    if (url && parseUrl(url).hosts.some(isSupabaseHost)) return true
  } catch {}
  const [row] = await sql`select exists (select 1 from pg_roles where rolname = 'supabase_admin')
                            and exists (select 1 from pg_namespace where nspname = 'auth') as supabase`
  return !!row?.supabase
}
