/** Tenant databases and schemas for the fan-out tests, and a sampler of the connections a run holds. */
import postgres from 'postgres'
import { randomBytes } from 'node:crypto'
import { adminUrl } from '../support/db.js'

export const admin = () => postgres(adminUrl(), { prepare: false, max: 1, onnotice: () => {} })

/** `count` empty databases named `<prefix>_01`..; `drop()` removes them. */
export async function tenantDatabases(count: number) {
  const prefix = `tenant_${randomBytes(3).toString('hex')}`
  const names = Array.from({ length: count }, (_, i) => `${prefix}_${String(i + 1).padStart(2, '0')}`)
  const sql = admin()
  for (const name of names) {
    // FILE_COPY (Postgres 15+) is several times faster than the default here.
    await sql.unsafe(`create database ${name} strategy file_copy`).catch(() => sql.unsafe(`create database ${name}`))
  }
  await sql.end()
  return {
    prefix,
    names,
    url: (name: string) => {
      const u = new URL(adminUrl())
      u.pathname = `/${name}`
      return u.toString()
    },
    /** Run `work` on one tenant database. */
    async on<T>(name: string, work: (sql: postgres.Sql) => Promise<T>): Promise<T> {
      const u = new URL(adminUrl())
      u.pathname = `/${name}`
      const db = postgres(u.toString(), { prepare: false, max: 1, onnotice: () => {} })
      try {
        return await work(db)
      } finally {
        await db.end()
      }
    },
    async drop() {
      const a = admin()
      for (const name of names) await a.unsafe(`drop database if exists ${name} with (force)`)
      await a.end()
    },
  }
}

/**
 * Count Strata's connections to the databases whose names start with `prefix`, every few milliseconds, until
 * stopped: the most seen at once. (A backend leaves pg_stat_activity before its socket closes, and Strata gives
 * a connection's slot back only once the socket is closed.)
 */
export function sampleConnections(prefix: string) {
  const sql = admin()
  let most = 0
  let samples = 0
  let running = true
  const loop = (async () => {
    while (running) {
      const [row] = await sql.unsafe(
        `select count(*)::int as n from pg_stat_activity where application_name = 'strata' and datname like $1`,
        [`${prefix}%`],
      )
      most = Math.max(most, row.n)
      samples++
      await new Promise((r) => setTimeout(r, 3))
    }
  })()
  return {
    async stop() {
      running = false
      await loop
      await sql.end()
      return { most, samples }
    },
  }
}
