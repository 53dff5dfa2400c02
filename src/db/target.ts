/** The database a command works on: a URL, or the embedded server in `.strata/pg`. */
import { join } from 'node:path'
import type { Resolved } from '../config.js'
import { connect, connectionError, type Sql } from './connect.js'
import { maskUrl } from '../url.js'

export interface Target {
  sql: Sql
  url: string
  /** The URL with its password masked: the only form that may be shown. */
  shown: string
  close(): Promise<void>
}

export async function openTarget(cfg: Resolved): Promise<Target> {
  let url = cfg.url
  let stopServer = async () => {}
  if (cfg.embedded) {
    const { startEmbedded } = await import('./embedded.js') // only --embedded pays for it
    const server = await startEmbedded({ dataDir: join(cfg.cwd, '.strata/pg') })
    url = server.url
    stopServer = server.stop
  }
  const sslCa = cfg.embedded ? undefined : cfg.sslCa // the embedded server speaks plain TCP on localhost
  const sql = connect({ url: url!, sslCa })
  const close = async () => {
    await sql.end({ timeout: 5 }).catch(() => {})
    await stopServer()
  }
  try {
    await sql`select 1` // fail here, with a clean message, rather than inside the first real query
  } catch (e) {
    await close()
    throw connectionError(e, url!, sslCa)
  }
  return { sql, url: url!, shown: maskUrl(url!), close }
}

/**
 * Connect, and meanwhile do the local work (reading and hashing files) so that the login round trips
 * overlap it; then run `work` and always close. A local error (bad file names) wins over the connection.
 */
export async function withTarget<L, R>(cfg: Resolved, local: () => L, work: (target: Target, local: L) => Promise<R>): Promise<R> {
  const opening = openTarget(cfg)
  let prepared: L
  try {
    prepared = local()
  } catch (e) {
    await opening.then((t) => t.close(), () => {})
    throw e
  }
  const target = await opening
  try {
    return await work(target, prepared)
  } finally {
    await target.close()
  }
}
