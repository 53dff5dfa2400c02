/**
 * A replay of the history on a scratch database, as migrate would run it: `verify --shadow`, `diff` and
 * `check-reverse` build the schema the files describe this way. Setup files (`--setup`) run first: platform
 * objects the files use but do not create, such as Supabase's roles and its auth, storage and extensions schemas.
 */
import type { Sql } from '../db/connect.js'
import { createRoles, refuseNonEmpty, withScratch } from '../db/scratch.js'
import { StrataError } from '../errors.js'
import type { MigrationFile } from '../runner/file-format.js'
import { runWhole, type Source } from '../runner/execute.js'
import { decideRunModes } from '../runner/run-mode.js'
import { snapshotSchema, type Snapshot, type SnapshotOptions } from '../schema/index.js'

export interface ReplayOptions {
  /** Roles the files grant to or create policies for: created NOLOGIN first, since roles live outside a database. */
  roles: string[]
  setup?: Source[]
  onFile?: (file: MigrationFile) => void
}

/** Roles, then setup files, then every migration file, each as migrate runs it. Throws a located StrataError. */
export async function replayHistory(sql: Sql, files: MigrationFile[], opts: ReplayOptions): Promise<void> {
  await decideRunModes(files) // as migrate decides: a lone CREATE INDEX CONCURRENTLY runs without a transaction
  await createRoles(sql, opts.roles)
  for (const setup of opts.setup ?? []) {
    try {
      await runWhole(sql, setup)
    } catch (e) {
      throw setupFailure(e, setup.path)
    }
  }
  for (const file of files) {
    opts.onFile?.(file)
    try {
      await runWhole(sql, file, { noTransaction: file.noTransaction })
    } catch (e) {
      throw shadowFailure(e)
    }
  }
}

export interface ShadowOptions extends ReplayOptions, Pick<SnapshotOptions, 'exclude' | 'excludeExtensions' | 'grants'> {
  /** An empty database to replay into instead of an embedded scratch Postgres. */
  scratchUrl?: string
}

export async function shadowSnapshot(files: MigrationFile[], opts: ShadowOptions): Promise<Snapshot> {
  return withScratch(opts.scratchUrl, async (scratch) => {
    if (opts.scratchUrl) await refuseNonEmpty(scratch, '--shadow')
    await replayHistory(scratch.sql, files, opts)
    return snapshotSchema(scratch.sql, { exclude: opts.exclude, excludeExtensions: opts.excludeExtensions, grants: opts.grants })
  })
}

function setupFailure(e: unknown, path: string): StrataError {
  if (!(e instanceof StrataError)) throw e
  return new StrataError('migration', `the setup file ${path} does not run on the scratch database: ${e.message}`, {
    ...e.facts,
    hint: 'a setup file runs before the history on an empty scratch database; it must create what it needs (use IF NOT EXISTS)',
  })
}

function shadowFailure(e: unknown): StrataError {
  if (!(e instanceof StrataError)) throw e
  const missingExtension = e.facts.sqlstate === '0A000' || /extension "[^"]+" is not available/.test(e.message)
  const missingPlatform = e.facts.sqlstate === '3F000' || e.facts.sqlstate === '42704'
  return new StrataError('migration', `the files do not replay on a scratch database: ${e.message}`, {
    ...e.facts,
    hint: missingExtension
      ? 'the embedded scratch server lacks an extension the files need; verify without --shadow still checks every object'
      : missingPlatform
        ? 'the files use a schema, role or type they do not create (a platform object?): load it first with --setup FILE (Supabase: --setup supabase)'
        : 'the files must build the schema from nothing on a fresh database; fix the file, or verify without --shadow',
  })
}

export interface ScopeOptions {
  /** Schemas to leave out besides the platform's. */
  excludeSchemas?: string[]
  /** Compare platform schemas too (on a Supabase database they are left out by default). */
  allSchemas?: boolean
}

export interface Scope {
  exclude: string[]
  excludeExtensions: string[]
  /** The platform whose schemas were left out, when one was recognised. */
  platform?: 'supabase'
}

/** What a comparison of this target with its history leaves out: the caller's schemas, and a platform's own. */
export async function comparisonScope(sql: Sql, url: string | undefined, opts: ScopeOptions): Promise<Scope> {
  const exclude = [...(opts.excludeSchemas ?? [])]
  if (opts.allSchemas) return { exclude, excludeExtensions: [] }
  const { isSupabaseDatabase, SUPABASE_PLATFORM_EXTENSIONS, SUPABASE_PLATFORM_SCHEMAS } = await import('../db/supabase.js')
  if (!(await isSupabaseDatabase(sql, url))) return { exclude, excludeExtensions: [] }
  return { exclude: [...exclude, ...SUPABASE_PLATFORM_SCHEMAS], excludeExtensions: SUPABASE_PLATFORM_EXTENSIONS, platform: 'supabase' }
}
