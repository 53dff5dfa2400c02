/**
 * Backups of the data that pending migrations put at risk, taken with COPY ... TO STDOUT (no pg_dump,
 * no psql): one gzip file per table in `.strata/backups/<timestamp>/`, plus `manifest.json`.
 * All tables are read in one REPEATABLE READ transaction, so they are consistent with each other.
 */
import { createWriteStream, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { createGzip } from 'node:zlib'
import type { Sql } from '../db/connect.js'
import type { MigrationFile } from '../runner/file-format.js'
import type { Finding } from '../lint/index.js'
import { quoteIdent } from '../sql/quote.js'
import { maskUrl } from '../db/url.js'
import { findRisks, type Reason, type Risk } from './at-risk.js'
import { columnsOfType, display, qualified, referencingTables, tableInfo, tableOid, tablesInSchema, type TableInfo } from './catalog.js'
import { MANIFEST, type BackupTable, type Manifest } from './manifest.js'
import { DataTap } from './tap.js'

export interface BackupAtRiskOptions {
  sql: Sql
  /** The pending files; every statement in them is looked at. */
  files: MigrationFile[]
  /** Their lint findings: a destructive one strata cannot turn into data to copy becomes a note. */
  findings: Finding[]
  cwd: string
  /** The database URL (it is stored masked). */
  target: string
  /** Where backup directories go, relative to cwd; default `.strata/backups`. */
  root?: string
  /** Things the caller should print: data strata could not back up, tables without a primary key. */
  onNote?: (message: string) => void
}

export interface BackupResult {
  /** The backup directory, relative to cwd when inside it. */
  dir: string
  tables: { table: string; rows: number }[]
  notes: string[]
}

/** Back up what the files put at risk; null when none of it exists in the database (nothing written). */
export async function backupAtRisk(options: BackupAtRiskOptions): Promise<BackupResult | null> {
  const { risks, notes } = await findRisks(options.files, options.findings)
  const note = (message: string) => (notes.push(message), options.onNote?.(message))
  for (const n of notes) options.onNote?.(n)
  if (!risks.length) return null
  return options.sql.begin('isolation level repeatable read read only', async (tx) => {
    const sql = tx as unknown as Sql
    const plans = await planTables(sql, risks, note)
    if (!plans.length) return null
    const dir = makeDir(resolve(options.cwd, options.root ?? join('.strata', 'backups')))
    const tables: BackupTable[] = []
    try {
      for (const [i, plan] of plans.entries()) tables.push(await copyOut(sql, dir, i + 1, plan))
      const [server] = await sql`select current_setting('server_version') as version, current_database() as database`
      const manifest: Manifest = {
        format: 1,
        createdAt: new Date().toISOString(),
        target: maskUrl(options.target),
        database: server.database,
        serverVersion: server.version,
        tables,
        notes,
      }
      writeFileSync(join(dir, MANIFEST), JSON.stringify(manifest, null, 2) + '\n', { mode: 0o600 })
    } catch (e) {
      rmSync(dir, { recursive: true, force: true }) // half a backup must not look like one
      throw e
    }
    return {
      dir: relative(options.cwd, dir).startsWith('..') ? dir : relative(options.cwd, dir),
      tables: tables.map((t) => ({ table: t.table, rows: t.rows })),
      notes,
    }
  }) as Promise<BackupResult | null>
}

interface Plan {
  info: TableInfo
  /** Null: whole rows. */
  columns: Set<string> | null
  reasons: Reason[]
}

/** Resolve each risk against the catalog and merge them per table; what does not exist is not at risk. */
async function planTables(sql: Sql, risks: Risk[], note: (m: string) => void): Promise<Plan[]> {
  const plans = new Map<number, Plan>()
  const plan = async (oid: number, reason: Reason, columns?: string[]) => {
    let p = plans.get(oid)
    if (!p) plans.set(oid, (p = { info: await tableInfo(sql, oid), columns: new Set(), reasons: [] }))
    if (!p.reasons.some((r) => r.file === reason.file && r.line === reason.line && r.rule === reason.rule)) p.reasons.push(reason)
    if (!columns) p.columns = null
    else if (p.columns) {
      // Generated columns are recomputed by the server: dropping or overwriting one loses nothing.
      const stored = new Set(p.info.columns.filter((c) => !c.generated).map((c) => c.name))
      for (const c of columns) if (stored.has(c)) p.columns.add(c)
    }
  }
  for (const { target, reason } of risks) {
    if (target.kind === 'rows') {
      const oid = await tableOid(sql, target.table)
      if (oid) await plan(oid, reason)
    } else if (target.kind === 'columns') {
      const oid = await tableOid(sql, target.table)
      if (oid) await plan(oid, reason, target.columns)
    } else if (target.kind === 'schema') {
      for (const oid of await tablesInSchema(sql, target.schema)) await plan(oid, reason)
    } else if (target.kind === 'referencing') {
      const roots = (await Promise.all(target.tables.map((t) => tableOid(sql, t)))).filter((o): o is number => !!o)
      for (const oid of await referencingTables(sql, roots)) await plan(oid, reason)
    } else {
      for (const { oid, column } of await columnsOfType(sql, target.type)) await plan(oid, reason, [column])
    }
  }
  const result: Plan[] = []
  for (const p of plans.values()) {
    if (p.columns && p.columns.size === 0) continue // only generated or missing columns: nothing to keep
    // A retyped or overwritten key cannot find its rows again: keep whole rows, restore merges them by the key.
    if (p.columns && p.info.primaryKey.some((k) => p.columns!.has(k))) p.columns = null
    if (p.columns && !p.info.primaryKey.length) {
      note(`${display(p.info)} has no primary key, so its at-risk columns cannot be matched back to rows: backed up whole rows instead`)
      p.columns = null
    }
    result.push(p)
  }
  return result
}

function makeDir(root: string): string {
  mkdirSync(root, { recursive: true, mode: 0o700 })
  // Backups hold production rows: keep them out of git even where .strata/ is not ignored.
  const ignore = join(root, '.gitignore')
  if (!existsSync(ignore)) writeFileSync(ignore, '# strata backups hold copies of your data\n*\n')
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  for (let n = 1; ; n++) {
    const dir = join(root, n === 1 ? stamp : `${stamp}-${n}`) // concurrent runners each get their own
    try {
      mkdirSync(dir, { mode: 0o700 })
      return dir
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
    }
  }
}

async function copyOut(sql: Sql, dir: string, index: number, plan: Plan): Promise<BackupTable> {
  const { info } = plan
  const stored = info.columns.filter((c) => !c.generated).map((c) => c.name)
  const columns = plan.columns ? [...new Set([...info.primaryKey, ...stored.filter((c) => plan.columns!.has(c))])] : stored
  const file = `${String(index).padStart(3, '0')}-${safeName(`${info.schema}.${info.name}`)}.copy.gz`
  const list = columns.map(quoteIdent).join(', ')
  const readable = await sql.unsafe(`copy (select ${list} from ${qualified(info)}) to stdout`).readable()
  const tap = new DataTap()
  await pipeline(readable, tap, createGzip(), createWriteStream(join(dir, file), { mode: 0o600 }))
  // postgres.js 3.4 pauses its socket when a chunk fills the stream's buffer; if the COPY ended in that
  // same chunk nothing resumes it, and the next query on the connection hangs (porsager/postgres#499).
  // The stream's read hook is the driver's socket.resume().
  ;(readable as unknown as { _read(size: number): void })._read(0)
  return {
    table: display(info),
    schema: info.schema,
    name: info.name,
    file,
    scope: plan.columns ? 'columns' : 'rows',
    columns,
    atRisk: plan.columns ? [...plan.columns] : null,
    definition: info.columns,
    primaryKey: info.primaryKey,
    rows: tap.rows,
    bytes: tap.bytes,
    sha256: tap.digest(),
    reasons: plan.reasons,
  }
}

function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 100)
}
