/**
 * `strata adopt <tool>`: take over the history another tool kept in the database, so a team can switch to
 * Strata without running anything again and without renaming a file.
 *   prisma:         `_prisma_migrations` rows that finished and were not rolled back; each file's raw sha256 must
 *                   equal Prisma's checksum. Files: `prisma/migrations/<timestamp>_<name>/migration.sql`.
 *   supabase:       `supabase_migrations.schema_migrations` versions (the Supabase CLI keeps no checksum).
 *   dbmate:         `schema_migrations(version)` versions (no checksum).
 *   goose:          `goose_db_version`: a version is applied when its latest row says is_applied (no checksum).
 *   golang-migrate: `schema_migrations(version, dirty)`: every file up to that version; a dirty one is refused.
 *   flyway:         `flyway_schema_history`: successful rows, Flyway's CRC32 checksum must match; undone versions
 *                   are not adopted, Java migrations have no file to adopt, a baseline row covers the versions below.
 * The files are read in that tool's layout (src/layouts/). Any disagreement (an edited file, a history row without
 * its file, objects the files create missing from the database) stops it before anything is recorded; then
 * package.json gets the layout and `enforceFrom` (new work starts after the adopted history), unless set.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { resolveOptions, type CommonOptions } from '../config/index.js'
import type { Sql } from '../db/connect.js'
import { openTarget } from '../db/target.js'
import { StrataError } from '../errors.js'
import { readMigrations } from '../runner/files.js'
import { type MigrationFile } from '../runner/file-format.js'
import { matchesPrismaChecksum, prismaChecksum, prismaMigrationName } from '../layouts/prisma.js'
import { flywayChecksum, flywayVersion } from '../layouts/flyway.js'
import { ensureLedger, readLedger, type LedgerRow, recordWithoutRunning } from '../runner/ledger.js'
import { underLock } from '../runner/lock.js'
import { checkBeforeRecording } from '../verify/before-recording.js'
import type { ObjectProblem } from '../verify/index.js'
import { recordProjectConfig } from '../config/project.js'
import { readMigrationText } from '../runner/file-format.js'
import { resolve } from 'node:path'

export const ADOPT_SOURCES = ['prisma', 'supabase', 'dbmate', 'goose', 'golang-migrate', 'flyway'] as const
export type AdoptSource = (typeof ADOPT_SOURCES)[number]

export interface AdoptOptions extends CommonOptions {
  from: AdoptSource
  waitMs?: number
  /** Record even when objects the adopted files create are missing (the events say so). */
  force?: boolean
}

export interface AdoptResult {
  target: string
  from: AdoptSource
  /** Files recorded as applied now. */
  recorded: { version: number; name: string; path: string }[]
  /** Versions the Strata ledger already had, with the same checksum (adopt can run twice). */
  alreadyRecorded: number[]
  /** Files the other tool never applied: left pending for strata migrate. */
  pending: { version: number; name: string; path: string }[]
  /** History rows that are not adopted, and why (a failed or rolled-back Prisma migration). */
  skipped: { migration: string; reason: string }[]
  /** With force: objects the adopted files create that were missing. */
  missing: ObjectProblem[]
  /** What was written into package.json "strata" (layout, enforceFrom); null when there is no package.json. */
  config: Record<string, string> | null
  /** The first version of new work: files before it are the adopted history. */
  enforceFrom: string | null
}

/** One row of the other tool's history, reduced to what adoption needs. */
interface HistoryRow {
  /** How the other tool names it: Prisma's folder name, a version, Flyway's `R__` description. */
  id: string
  applied: boolean
  reason?: string
  checksum?: string
  name?: string
  startedAt?: Date | null
  finishedAt?: Date | null
  /** The file it belongs to; default: the file whose `idOf` is `id`. */
  find?(files: MigrationFile[]): MigrationFile | undefined
  /** Whether the file is as the tool applied it (when the tool kept a checksum). */
  unchanged?(file: MigrationFile): boolean
  /** A row the tool applied without a file Strata could read (a Java migration): reported, not adopted. */
  noFile?: string
  /** Adopted silently: a repeatable whose file changed since (Strata applies it again, as Flyway would). */
  reapply?: boolean
}

const DEFAULT_DIRS: Partial<Record<AdoptSource, string>> = { prisma: 'prisma/migrations', supabase: 'supabase/migrations' }

export async function adopt(options: AdoptOptions): Promise<AdoptResult> {
  if (!ADOPT_SOURCES.includes(options.from)) {
    throw new StrataError('usage', `strata adopt ${JSON.stringify(options.from)}: use strata adopt ${ADOPT_SOURCES.join('|')}`)
  }
  const cfg = resolveOptions({ ...options, dir: options.dir ?? defaultDir(options) })
  const layout = cfg.layout ?? options.from
  const files = readMigrations(cfg.dir, cfg.cwd, layout)
  const waitMs = options.waitMs ?? 60_000
  const target = await openTarget(cfg)
  try {
    const history = await HISTORIES[options.from](target.sql, files, cfg.cwd)
    const idOf = (f: MigrationFile) => (options.from === 'prisma' ? prismaMigrationName(f) : String(f.version))
    const matched = match(files, history, idOf, options.from, cfg.cwd)
    const ledger = new Map((await readLedger(target.sql, cfg.schema)).map((r) => [r.version, r]))
    const { toRecord, alreadyRecorded } = againstLedger(matched, ledger)
    // As baseline: never record files whose objects are not there.
    const check = await checkBeforeRecording(target.sql, {
      files: matched.map((m) => m.file),
      recording: toRecord.map((m) => m.file.version),
      ledgerSchema: cfg.schema,
      force: options.force,
      command: `adopt ${options.from}`,
      hint: `the ${options.from} history says these files ran, but their objects are not here: check --url and the files`,
    })
    if (toRecord.length) {
      await ensureLedger(target.sql, cfg.schema, waitMs)
      await underLock(target.sql, cfg.schema, waitMs, async (tx) => {
        const now = new Map((await readLedger(tx, cfg.schema)).map((r) => [r.version, r]))
        if (toRecord.some(({ file }) => now.has(file.version)))
          throw new StrataError('history', 'the ledger changed while adopt was reading it; run it again')
        for (const { file, row } of toRecord) {
          await recordWithoutRunning(
            tx,
            cfg.schema,
            file,
            'adopt',
            { from: options.from, migration: row.id, checksum_from: row.checksum ?? null, ...(check.forced && { forced: true }) },
            { startedAt: row.startedAt, finishedAt: row.finishedAt },
          )
        }
      })
    }
    const adopted = new Set(matched.map((m) => m.file.version))
    const show = (f: MigrationFile) => ({ version: f.version, name: f.name, path: f.path })
    const from = nextVersion(
      matched.map((m) => m.file).filter((f) => !f.repeatable),
      options.from,
    )
    // What package.json already has stays as it is.
    const config = recordProjectConfig(cfg.cwd, { layout, ...(from ? { enforceFrom: from } : {}) }) ?? null
    return {
      target: target.shown,
      from: options.from,
      recorded: toRecord.map(({ file }) => show(file)),
      alreadyRecorded,
      pending: files.filter((f) => !adopted.has(f.version) && !ledger.has(f.version)).map(show),
      skipped: history.filter((h) => !h.applied || h.noFile).map((h) => ({ migration: h.id, reason: h.reason ?? h.noFile! })),
      missing: check.problems,
      config,
      enforceFrom: from ?? null,
    }
  } finally {
    await target.close()
  }
}

/** Without --dir or STRATA_DIR: the folder the other tool uses, when it is there. */
function defaultDir(options: AdoptOptions): string | undefined {
  const env = options.env ?? process.env
  if (env.STRATA_DIR) return undefined
  const dir = DEFAULT_DIRS[options.from]
  return dir && existsSync(join(options.cwd ?? process.cwd(), dir)) ? dir : undefined
}

type HistoryReader = (sql: Sql, files: MigrationFile[], cwd: string) => Promise<HistoryRow[]>

const HISTORIES: Record<AdoptSource, HistoryReader> = {
  prisma: (sql) => prismaHistory(sql),
  supabase: (sql) => supabaseHistory(sql),
  dbmate: dbmateHistory,
  goose: gooseHistory,
  'golang-migrate': golangMigrateHistory,
  flyway: flywayHistory,
}

/** dbmate's table (schema_migrations with a text version) and golang-migrate's (a bigint version and dirty) share a name. */
async function schemaMigrations(sql: Sql, tool: 'dbmate' | 'golang-migrate'): Promise<Record<string, any>[]> {
  const rows = await readHistory(sql, 'schema_migrations', 'select * from schema_migrations order by version')
  const isGolang = rows.length
    ? 'dirty' in rows[0]
    : (await sql`select 1 from information_schema.columns where table_name = 'schema_migrations' and column_name = 'dirty'`).length > 0
  if (isGolang !== (tool === 'golang-migrate'))
    throw new StrataError(
      'config',
      `this database's schema_migrations table is ${isGolang ? "golang-migrate's" : "dbmate's"}, not ${tool}'s`,
      {
        hint: `run strata adopt ${isGolang ? 'golang-migrate' : 'dbmate'}`,
      },
    )
  return rows
}

async function dbmateHistory(sql: Sql): Promise<HistoryRow[]> {
  const rows = await schemaMigrations(sql, 'dbmate')
  return rows.map((r) => ({ id: String(Number(r.version)), applied: true }))
}

/** goose keeps a row per up and per down: a version is applied when its newest row says so (version 0 is goose's own). */
async function gooseHistory(sql: Sql): Promise<HistoryRow[]> {
  const rows = await readHistory(sql, 'goose_db_version', 'select version_id, is_applied, tstamp from goose_db_version order by id')
  const latest = new Map<number, Record<string, any>>()
  for (const r of rows) if (Number(r.version_id) > 0) latest.set(Number(r.version_id), r)
  return [...latest.values()].map((r) => ({
    id: String(r.version_id),
    applied: !!r.is_applied,
    reason: r.is_applied ? undefined : 'rolled back by goose',
    finishedAt: r.tstamp,
  }))
}

/** golang-migrate keeps one row: the version reached. Every file up to it is applied, unless it is dirty. */
async function golangMigrateHistory(sql: Sql, files: MigrationFile[]): Promise<HistoryRow[]> {
  const [row] = await schemaMigrations(sql, 'golang-migrate')
  if (!row) return []
  const reached = Number(row.version)
  if (row.dirty)
    throw new StrataError(
      'history',
      `golang-migrate marked version ${reached} dirty: it failed part-way, and nothing says what took effect`,
      {
        hint: `check the database, then tell golang-migrate what is true (migrate force ${reached} or the version before it), and adopt again`,
      },
    )
  if (!files.some((f) => f.version === reached)) return [{ id: String(reached), applied: true }] // reported: no file
  return files.filter((f) => f.version <= reached).map((f) => ({ id: String(f.version), applied: true }))
}

/**
 * Flyway's history in order of installation: successful versioned rows apply, UNDO and DELETE rows take a version
 * back, a BASELINE row stands for every version up to it; Java migrations have no file; a repeatable counts by
 * its newest successful row, and one whose file changed since is left for strata migrate to apply again.
 */
async function flywayHistory(sql: Sql, files: MigrationFile[], cwd: string): Promise<HistoryRow[]> {
  const rows = await readHistory(
    sql,
    'flyway_schema_history',
    'select installed_rank, version, description, type, script, checksum, installed_on, execution_time, success from flyway_schema_history order by installed_rank',
  )
  const versioned = new Map<string, HistoryRow>()
  const repeatable = new Map<string, HistoryRow>()
  const failed: HistoryRow[] = []
  let baseline: number | undefined
  const crcOf = (f: MigrationFile) => flywayChecksum(readMigrationText(resolve(cwd, f.path), f.path))
  for (const r of rows) {
    const key = r.version === null ? undefined : flywayVersion(String(r.version))
    const at = { startedAt: r.installed_on, finishedAt: r.installed_on }
    if (!r.success) {
      failed.push({ id: r.script, applied: false, reason: 'failed in Flyway (success = false)' })
      continue
    }
    if (r.type === 'BASELINE' && typeof key === 'number') baseline = key
    else if ((r.type === 'UNDO_SQL' || r.type === 'DELETE') && r.version !== null) versioned.delete(String(r.version))
    else if (r.version === null && r.type === 'SQL') {
      const name = String(r.script)
        .replace(/^.*R__/, '')
        .replace(/\.sql$/, '')
      repeatable.set(name, {
        id: `R__${name}`,
        applied: true,
        checksum: String(r.checksum),
        ...at,
        find: (fs) => fs.find((f) => f.repeatable && f.name === name),
        unchanged: (f) => crcOf(f) === Number(r.checksum),
        reapply: true,
      })
    } else if (typeof key === 'number') {
      const java = r.type !== 'SQL' && r.type !== 'UNDO_SQL'
      versioned.set(String(r.version), {
        id: `V${r.version}`,
        applied: true,
        checksum: r.checksum === null ? undefined : String(r.checksum),
        ...at,
        find: (fs) => fs.find((f) => !f.repeatable && f.version === key),
        unchanged: (f) => r.checksum === null || crcOf(f) === Number(r.checksum),
        ...(java ? { noFile: `a ${r.type} migration (${r.script}): Flyway ran code, there is no SQL file to adopt` } : {}),
      })
    }
  }
  const below =
    baseline === undefined
      ? []
      : files.filter((f) => !f.repeatable && f.version <= baseline! && ![...versioned.values()].some((h) => h.find!([f])))
  const baselined = below.map((f) => ({ id: `V${f.version}`, applied: true, find: () => f, reason: 'below the Flyway baseline' }))
  return [...versioned.values(), ...baselined, ...repeatable.values(), ...failed]
}

async function prismaHistory(sql: Sql): Promise<HistoryRow[]> {
  const rows = await readHistory(
    sql,
    '_prisma_migrations',
    `select migration_name, checksum, started_at, finished_at, rolled_back_at from _prisma_migrations order by started_at`,
  )
  // A migration can appear twice: a failed attempt, then a successful one after `prisma migrate resolve`.
  const applied = new Set(rows.filter((r) => r.finished_at && !r.rolled_back_at).map((r) => r.migration_name as string))
  return rows
    .filter((r) => !(applied.has(r.migration_name) && !(r.finished_at && !r.rolled_back_at)))
    .map((r) => ({
      id: r.migration_name,
      applied: !!r.finished_at && !r.rolled_back_at,
      reason: r.rolled_back_at
        ? 'rolled back in Prisma'
        : r.finished_at
          ? undefined
          : 'failed or unfinished in Prisma (finished_at is empty)',
      checksum: r.checksum,
      startedAt: r.started_at,
      finishedAt: r.finished_at,
    }))
}

async function supabaseHistory(sql: Sql): Promise<HistoryRow[]> {
  const rows = await readHistory(
    sql,
    'supabase_migrations.schema_migrations',
    `select version, name from supabase_migrations.schema_migrations order by version`,
  )
  return rows.map((r) => ({ id: String(r.version), applied: true, name: r.name ?? undefined }))
}

async function readHistory(sql: Sql, table: string, query: string): Promise<Record<string, any>[]> {
  try {
    return await sql.unsafe(query)
  } catch (e) {
    const code = (e as { code?: string }).code
    if (code === '42P01' || code === '3F000') {
      throw new StrataError('config', `this database has no ${table} table: there is no history to adopt`, {
        hint: 'check --url; for a database with the schema but no history, use strata baseline --to <version>',
      })
    }
    throw e
  }
}

interface Matched {
  file: MigrationFile
  row: HistoryRow
}

/** Pair history rows with files. Edited files and rows without a file stop adoption, all listed at once. */
function match(
  files: MigrationFile[],
  history: HistoryRow[],
  idOf: (f: MigrationFile) => string,
  from: AdoptSource,
  cwd: string,
): Matched[] {
  const byId = new Map(files.map((f) => [idOf(f), f]))
  const problems: string[] = []
  const matched: Matched[] = []
  for (const row of history.filter((h) => h.applied && !h.noFile)) {
    const file = row.find ? row.find(files) : byId.get(row.id)
    if (!file) {
      problems.push(`${row.id} is applied according to ${from} but has no file in the migrations directory`)
      continue
    }
    if (row.unchanged && !row.unchanged(file)) {
      if (row.reapply) continue // a changed repeatable stays pending: strata migrate applies it again
      problems.push(`${file.path} was edited after ${from} applied it (its checksum ${row.checksum} no longer matches)`)
      continue
    }
    if (!row.unchanged && row.checksum && !matchesPrismaChecksum(file, row.checksum, cwd)) {
      problems.push(
        `${file.path} was edited after Prisma applied it (Prisma's checksum ${row.checksum.slice(0, 12)}…, the file's ${prismaChecksum(file, cwd).slice(0, 12)}…)`,
      )
      continue
    }
    if (row.name && row.name !== file.name) {
      problems.push(`${file.path}: Supabase recorded version ${row.id} under the name ${JSON.stringify(row.name)}`)
      continue
    }
    matched.push({ file, row })
  }
  if (problems.length) {
    throw new StrataError('history', `refusing to adopt the ${from} history, nothing was recorded:\n  ${problems.join('\n  ')}`, {
      problems,
      hint: 'restore the files as they were applied (git history has them), then run adopt again',
    })
  }
  return matched.sort((a, b) => a.file.version - b.file.version)
}

function againstLedger(matched: Matched[], ledger: Map<number, LedgerRow>) {
  const toRecord: Matched[] = []
  const alreadyRecorded: number[] = []
  for (const m of matched) {
    const row = ledger.get(m.file.version)
    if (!row) toRecord.push(m)
    else if (row.status === 'applied' && row.checksum === m.file.checksum) alreadyRecorded.push(m.file.version)
    else
      throw new StrataError(
        'history',
        `${m.file.path}: the Strata ledger already has version ${m.file.version} as ${row.status}${row.checksum !== m.file.checksum ? ' with another checksum' : ''}`,
        { file: m.file.path },
      )
  }
  return { toRecord, alreadyRecorded }
}

/** The objects the adopted files create must be there, as for baseline; else refuse (without --force). */
/** Where new work starts: just after the last adopted version, written as the tool writes versions. */
function nextVersion(adopted: MigrationFile[], from: AdoptSource): string | undefined {
  if (!adopted.length) return undefined
  const last = Math.max(...adopted.map((f) => f.version))
  if (from !== 'flyway' || last >= 1e9) return String(last + 1)
  return `${Math.floor(last / 1e6)}.${Math.floor(last / 1e3) % 1e3}.${(last % 1e3) + 1}`
}
