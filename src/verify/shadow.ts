/**
 * `verify --shadow`: replay every file into a scratch database, as migrate would run it, and snapshot what
 * they build.
 */
import type { Sql } from '../db/connect.js'
import { withScratch } from '../db/scratch.js'
import { StrataError } from '../errors.js'
import type { MigrationFile } from '../runner/file-format.js'
import { runWhole } from '../runner/execute.js'
import { decideRunModes } from '../runner/run-mode.js'
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
  await decideRunModes(files)
  return withScratch(undefined, async ({ sql }) => {
    await createRoles(sql, opts.roles)
    for (const file of files) {
      opts.onFile?.(file)
      try {
        await runWhole(sql, file, { noTransaction: file.noTransaction })
      } catch (e) {
        throw shadowFailure(e)
      }
    }
    return snapshotSchema(sql, { exclude: opts.exclude })
  })
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

function shadowFailure(e: unknown): StrataError {
  if (!(e instanceof StrataError)) throw e
  const missingExtension = e.facts.sqlstate === '0A000' || /extension "[^"]+" is not available/.test(e.message)
  return new StrataError('migration', `--shadow: the files do not replay on a scratch database: ${e.message}`, {
    ...e.facts,
    hint: missingExtension
      ? 'the embedded scratch server lacks an extension the files need; verify without --shadow still checks every object'
      : 'the files must build the schema from nothing on a fresh database; fix the file, or verify without --shadow',
  })
}
