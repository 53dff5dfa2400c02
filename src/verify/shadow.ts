/**
 * `verify --shadow`: replay every file into a throwaway embedded Postgres and snapshot what they build.
 * The scratch server lives in a temporary folder and is stopped and deleted afterwards, whatever happens.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect, type Sql } from '../db/connect.js'
import { StrataError } from '../errors.js'
import { migrationFailure } from '../runner/failure.js'
import { normalize, type MigrationFile } from '../runner/file-format.js'
import { quoteIdent } from '../sql/quote.js'
import { snapshotSchema, type Snapshot } from '../schema/index.js'

export interface ShadowOptions {
  /** Roles the files grant to or create policies for: created NOLOGIN first, since roles live outside a database. */
  roles: string[]
  /** Schemas to leave out of the snapshot. */
  exclude?: string[]
  onFile?: (file: MigrationFile) => void
}

export async function shadowSnapshot(files: MigrationFile[], opts: ShadowOptions): Promise<Snapshot> {
  const { startEmbedded } = await import('../db/embedded.js')
  const dir = mkdtempSync(join(tmpdir(), 'strata-shadow-'))
  chmodSync(dir, 0o755) // as root the server runs as another user, who must reach its data dir
  let server: Awaited<ReturnType<typeof startEmbedded>> | undefined
  let sql: Sql | undefined
  try {
    server = await startEmbedded({ dataDir: join(dir, 'pg'), ephemeral: true })
    sql = connect({ url: server.url })
    await createRoles(sql, opts.roles)
    for (const file of files) {
      opts.onFile?.(file)
      await replay(sql, file)
    }
    return await snapshotSchema(sql, { exclude: opts.exclude })
  } finally {
    await sql?.end({ timeout: 5 }).catch(() => {})
    await server?.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Every role of the target that a scratch server lacks (pg_* roles and the current user excepted). */
export async function targetRoles(sql: Sql): Promise<string[]> {
  const rows = await sql`select rolname from pg_roles where rolname !~ '^pg_' and rolname <> current_user order by 1`
  return rows.map((r) => r.rolname as string)
}

async function createRoles(sql: Sql, roles: string[]): Promise<void> {
  const existing = new Set((await sql`select rolname from pg_roles`).map((r) => r.rolname as string))
  for (const role of roles) if (!existing.has(role)) await sql.unsafe(`create role ${quoteIdent(role)} nologin`)
}

/** As migrate runs it: one transaction per file, or statement by statement for no-transaction files. */
async function replay(sql: Sql, file: MigrationFile): Promise<void> {
  const text = normalize(file.content)
  if (!file.noTransaction) {
    try {
      await sql.begin((tx) => tx.unsafe(text))
    } catch (e) {
      throw shadowFailure(e, file, text, text)
    }
    return
  }
  const { splitStatements } = await import('../sql/index.js')
  for (const stmt of await splitStatements(text)) {
    try {
      await sql.unsafe(stmt.text)
    } catch (e) {
      throw shadowFailure(e, file, text, stmt.text, stmt.start)
    }
  }
}

function shadowFailure(e: unknown, file: MigrationFile, text: string, body: string, offset = 0): StrataError {
  const err = migrationFailure(e, file, text, body, offset)
  const missingExtension = err.facts.sqlstate === '0A000' || /extension "[^"]+" is not available/.test(err.message)
  return new StrataError('migration', `--shadow: the files do not replay on a scratch database: ${err.message}`, {
    ...err.facts,
    hint: missingExtension
      ? 'the embedded scratch server lacks an extension the files need; verify without --shadow still checks every object'
      : 'the files must build the schema from nothing on a fresh database; fix the file, or verify without --shadow',
  })
}
