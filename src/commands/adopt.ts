/**
 * `strata adopt prisma|supabase`: take over the history another tool kept in the database, so a team can
 * switch to Strata without running anything again and without renaming a file.
 *   prisma:   `_prisma_migrations` rows that finished and were not rolled back; each file's raw sha256 must
 *             equal Prisma's checksum. Files: `prisma/migrations/<timestamp>_<name>/migration.sql`.
 *   supabase: `supabase_migrations.schema_migrations` versions (the Supabase CLI keeps no checksum).
 *             Files: `supabase/migrations/<timestamp>_<name>.sql`.
 * Any disagreement (an edited file, a history row without its file) stops it before anything is recorded.
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
import { ensureLedger, readLedger, type LedgerRow, recordWithoutRunning } from '../runner/ledger.js'
import { underLock } from '../runner/lock.js'

export type AdoptSource = 'prisma' | 'supabase'

export interface AdoptOptions extends CommonOptions {
  from: AdoptSource
  waitMs?: number
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
}

/** One row of the other tool's history, reduced to what adoption needs. */
interface HistoryRow {
  /** How the other tool names it: Prisma's folder name, Supabase's version. */
  id: string
  applied: boolean
  reason?: string
  checksum?: string
  name?: string
  startedAt?: Date | null
  finishedAt?: Date | null
}

const DEFAULT_DIRS: Record<AdoptSource, string> = { prisma: 'prisma/migrations', supabase: 'supabase/migrations' }

export async function adopt(options: AdoptOptions): Promise<AdoptResult> {
  if (options.from !== 'prisma' && options.from !== 'supabase') {
    throw new StrataError('usage', `strata adopt ${JSON.stringify(options.from)}: use strata adopt prisma or strata adopt supabase`)
  }
  const cfg = resolveOptions({ ...options, dir: options.dir ?? defaultDir(options) })
  const files = readMigrations(cfg.dir, cfg.cwd, cfg.layout)
  const waitMs = options.waitMs ?? 60_000
  const target = await openTarget(cfg)
  try {
    const history = options.from === 'prisma' ? await prismaHistory(target.sql) : await supabaseHistory(target.sql)
    const idOf = (f: MigrationFile) => (options.from === 'prisma' ? prismaMigrationName(f) : String(f.version))
    const matched = match(files, history, idOf, options.from, cfg.cwd)
    const ledger = new Map((await readLedger(target.sql, cfg.schema)).map((r) => [r.version, r]))
    const { toRecord, alreadyRecorded } = againstLedger(matched, ledger)
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
            { from: options.from, migration: row.id, checksum_from: row.checksum ?? null },
            { startedAt: row.startedAt, finishedAt: row.finishedAt },
          )
        }
      })
    }
    const adopted = new Set(matched.map((m) => m.file.version))
    const show = (f: MigrationFile) => ({ version: f.version, name: f.name, path: f.path })
    return {
      target: target.shown,
      from: options.from,
      recorded: toRecord.map(({ file }) => show(file)),
      alreadyRecorded,
      pending: files.filter((f) => !adopted.has(f.version) && !ledger.has(f.version)).map(show),
      skipped: history.filter((h) => !h.applied).map((h) => ({ migration: h.id, reason: h.reason! })),
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
  return existsSync(join(options.cwd ?? process.cwd(), dir)) ? dir : undefined
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
  for (const row of history.filter((h) => h.applied)) {
    const file = byId.get(row.id)
    if (!file) {
      problems.push(`${row.id} is applied according to ${from} but has no file in the migrations directory`)
      continue
    }
    if (row.checksum && !matchesPrismaChecksum(file, row.checksum, cwd)) {
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
