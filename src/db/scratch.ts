/**
 * A scratch database for work that must not touch the target: replaying the history (verify --shadow),
 * round trips of down files (check-reverse). An embedded Postgres in a temporary directory, stopped and
 * deleted afterwards whatever happens; or a database the user gives (`--scratch-url`), which must be empty.
 */
import { randomBytes } from 'node:crypto'
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StrataError } from '../errors.js'
import { connect, type Sql } from './connect.js'
import { changeUrl, maskUrl } from './url.js'
import { quoteIdent } from '../sql/quote.js'

export interface Scratch {
  sql: Sql
  url: string
  /** How to name it to people: the masked URL, or "an embedded scratch Postgres". */
  shown: string
  close(): Promise<void>
}

/** `flag`: the option that names a scratch database for this command, which the embedded server's refusals point to instead of --url. */
export async function openScratch(url?: string, flag?: string): Promise<Scratch> {
  if (url) {
    const sql = connect({ url })
    return { sql, url, shown: maskUrl(url), close: () => sql.end({ timeout: 5 }).catch(() => {}) }
  }
  const { startEmbedded } = await import('./embedded.js') // only scratch work pays for it
  const dir = mkdtempSync(join(tmpdir(), 'strata-scratch-'))
  chmodSync(dir, 0o755) // as root the server runs as another user, who must reach its data dir
  let server: Awaited<ReturnType<typeof startEmbedded>>
  try {
    server = await startEmbedded({ dataDir: join(dir, 'pg'), ephemeral: true })
  } catch (e) {
    rmSync(dir, { recursive: true, force: true })
    throw flag ? pointingTo(e, flag) : e
  }
  const sql = connect({ url: server.url })
  return {
    sql,
    url: server.url,
    shown: 'an embedded scratch Postgres',
    close: async () => {
      await sql.end({ timeout: 5 }).catch(() => {})
      await server.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** The embedded server's refusals say "pass --url to use your own server"; for a scratch database that is another flag. */
function pointingTo(e: unknown, flag: string): unknown {
  if (!(e instanceof StrataError)) return e
  const swap = (text: string) => text.replace(/--url\b/g, flag)
  const facts = { ...e.facts, ...(typeof e.facts.hint === 'string' && { hint: swap(e.facts.hint) }) }
  return new StrataError(e.code, swap(e.message), facts)
}

/** `use` with a scratch database, closed afterwards whatever happens. */
export async function withScratch<T>(url: string | undefined, use: (scratch: Scratch) => Promise<T>, flag?: string): Promise<T> {
  const scratch = await openScratch(url, flag)
  try {
    return await use(scratch)
  } finally {
    await scratch.close()
  }
}

/** A fresh database has the public schema and plpgsql, maybe the ledger; anything more may be someone's data. */
export async function refuseNonEmpty(scratch: Scratch, purpose: string, flag = '--scratch-url'): Promise<void> {
  const user = `n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_(toast|temp)'`
  const rows = await scratch.sql.unsafe(
    `select 'schema ' || n.nspname as object from pg_namespace n where ${user} and n.nspname <> 'public'
     union all select 'relation ' || n.nspname || '.' || c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace where ${user}
     union all select 'function ' || n.nspname || '.' || p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace where ${user}
     union all select 'type ' || n.nspname || '.' || t.typname from pg_type t join pg_namespace n on n.oid = t.typnamespace
       where ${user} and t.typtype in ('e', 'd', 'r', 'm') 
     limit 3`,
  )
  if (!rows.length) return
  throw new StrataError(
    'config',
    `${purpose} needs an empty scratch database, and ${scratch.shown} has objects, e.g. ${rows.map((r) => r.object).join(', ')}`,
    { hint: `leave out ${flag} to use an embedded scratch Postgres, or point it at a database created for this` },
  )
}

/**
 * Another empty database on the scratch server, for work that has to start over (check-reverse after a down file
 * left the schema in a state the history does not build). Dropped by `close`. Needs CREATEDB on a --scratch-url server.
 */
export async function anotherScratchDatabase(scratch: Scratch): Promise<Scratch> {
  const name = `strata_scratch_${randomBytes(5).toString('hex')}`
  await scratch.sql.unsafe(`create database ${name}`)
  const url = changeUrl(scratch.url, { database: name }) // hosts, user, password and TLS settings stay as they are
  const sql = connect({ url })
  return {
    sql,
    url,
    shown: `${scratch.shown} (database ${name})`,
    close: async () => {
      await sql.end({ timeout: 5 }).catch(() => {})
      await scratch.sql.unsafe(`drop database if exists ${name} with (force)`).catch(() => {})
    },
  }
}

/** Every role of the target that a scratch server lacks (pg_* roles and the current user excepted). */
export async function targetRoles(sql: Sql): Promise<string[]> {
  const rows = await sql`select rolname from pg_roles where rolname !~ '^pg_' and rolname <> current_user order by 1`
  return rows.map((r) => r.rolname as string)
}

/** Roles live outside a database: a scratch server gets the target's as NOLOGIN roles, so grants and policies replay. */
export async function createRoles(sql: Sql, roles: string[]): Promise<void> {
  const existing = new Set((await sql`select rolname from pg_roles`).map((r) => r.rolname as string))
  for (const role of roles) if (!existing.has(role)) await sql.unsafe(`create role ${quoteIdent(role)} nologin`)
}
