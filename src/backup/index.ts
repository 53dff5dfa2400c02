/**
 * Backups of the data that pending migrations put at risk, taken with COPY ... TO STDOUT (no pg_dump,
 * no psql): one gzip file per table in `.strata/backups/<timestamp>/`, plus `manifest.json`.
 * All tables are read in one REPEATABLE READ transaction, so they are consistent with each other.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { inTransaction } from '../db/transaction.js'
import type { Sql } from '../db/connect.js'
import type { MigrationFile } from '../runner/file-format.js'
import type { Finding } from '../lint/index.js'
import { quoteIdent } from '../sql/quote.js'
import { maskUrl } from '../db/url.js'
import { findRisks, type Reason, type Risk } from './at-risk.js'
import {
  cascadesInto,
  columnsOfType,
  display,
  qualified,
  referencingTables,
  tableInfo,
  tableObjects,
  tableOid,
  tablesInSchema,
  type TableInfo,
} from './catalog.js'
import { writeManifest, type BackupTable } from './manifest.js'
import { copyToFile, STABLE_TEXT_SQL } from './copy.js'

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
  /** `where`: only the rows a cascade reaches. */
  tables: { table: string; rows: number; where?: string }[]
  notes: string[]
}

/** Back up what the files put at risk; null when none of it exists in the database (nothing written). */
export async function backupAtRisk(options: BackupAtRiskOptions): Promise<BackupResult | null> {
  const { risks, notes } = await findRisks(options.files, options.findings)
  const note = (message: string) => (notes.push(message), options.onNote?.(message))
  for (const n of notes) options.onNote?.(n)
  if (!risks.length) return null
  const { sql } = options
  return inTransaction(
    sql,
    async () => {
      const plans = await planTables(sql, risks, note)
      if (!plans.length) return null
      await sql.unsafe(STABLE_TEXT_SQL)
      const dir = makeDir(resolve(options.cwd, options.root ?? join('.strata', 'backups')))
      const tables: BackupTable[] = []
      try {
        for (const [i, plan] of plans.entries()) tables.push(await copyOut(sql, dir, i + 1, plan))
        const [server] = await sql`select current_setting('server_version') as version, current_database() as database`
        writeManifest(dir, {
          format: 1,
          kind: 'at-risk',
          createdAt: new Date().toISOString(),
          target: maskUrl(options.target),
          database: server.database,
          serverVersion: server.version,
          tables,
          notes,
        })
      } catch (e) {
        rmSync(dir, { recursive: true, force: true }) // half a backup must not look like one
        throw e
      }
      return {
        dir: relative(options.cwd, dir).startsWith('..') ? dir : relative(options.cwd, dir),
        tables: tables.map((t) => ({ table: t.table, rows: t.rows, ...(t.where && { where: t.where }) })),
        notes,
      }
    },
    'begin isolation level repeatable read read only',
  )
}

/** A condition on a table's rows, written for the alias it is given: nested cascades need their own aliases. */
type Condition = (alias: string) => string

interface Plan {
  info: TableInfo
  /** Null: whole rows. */
  columns: Set<string> | null
  /** Null: every row; else the rows any of these conditions selects (those a cascade reaches). */
  where: Condition[] | null
  reasons: Reason[]
  /** Whether the statements drop the table itself: then its indexes, policies, grants... are recorded too. */
  dropped: boolean
}

/** Resolve each risk against the catalog and merge them per table; what does not exist is not at risk. */
async function planTables(sql: Sql, risks: Risk[], note: (m: string) => void): Promise<Plan[]> {
  const plans = new Map<number, Plan>()
  const plan = async (oid: number, reason: Reason, columns?: string[], where?: Condition) => {
    let p = plans.get(oid)
    if (!p) plans.set(oid, (p = { info: await tableInfo(sql, oid), columns: new Set(), where: [], reasons: [], dropped: false }))
    if (!p.reasons.some((r) => r.file === reason.file && r.line === reason.line && r.rule === reason.rule)) p.reasons.push(reason)
    if (!where) p.where = null
    else p.where?.push(where)
    if (!columns) p.columns = null
    else if (p.columns) {
      // Generated columns are recomputed by the server: dropping or overwriting one loses nothing.
      const stored = new Set(p.info.columns.filter((c) => !c.generated).map((c) => c.name))
      for (const c of columns) if (stored.has(c)) p.columns.add(c)
    }
    return p
  }
  const rows = async (oid: number, reason: Reason, dropped = false) => {
    const p = await plan(oid, reason)
    p.dropped ||= dropped
    await followCascades(sql, p.info, null, reason, plan, [oid])
  }
  for (const { target, reason } of risks) {
    if (target.kind === 'rows') {
      const oid = await tableOid(sql, target.table)
      if (oid) await rows(oid, reason, reason.rule === 'drop-table')
    } else if (target.kind === 'columns') {
      const oid = await tableOid(sql, target.table)
      if (oid) await plan(oid, reason, target.columns)
    } else if (target.kind === 'schema') {
      for (const oid of await tablesInSchema(sql, target.schema)) await rows(oid, reason, true)
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

type PlanFn = (oid: number, reason: Reason, columns?: string[], where?: Condition) => Promise<Plan>

/**
 * Rows of `parent` go (all of them, or those `where` selects): follow the foreign keys that act on delete.
 * ON DELETE CASCADE takes the referencing rows, and what references those, recursively; SET NULL and
 * SET DEFAULT overwrite the referencing columns. A cycle (a table that references itself) backs up the
 * whole table: more than goes, never less.
 */
async function followCascades(sql: Sql, parent: TableInfo, where: Condition | null, reason: Reason, plan: PlanFn, path: number[]) {
  for (const edge of await cascadesInto(sql, parent.oid)) {
    const cascade: Reason = { ...reason, rule: `on-delete-${{ c: 'cascade', n: 'set-null', d: 'set-default' }[edge.action]}` }
    const cycle = path.includes(edge.child)
    const alias = `p${path.length}`
    const reaches: Condition | undefined = cycle
      ? undefined
      : (t) =>
          `exists (select 1 from ${qualified(parent)} ${alias} where ${edge.parentColumns
            .map((c, i) => `${alias}.${quoteIdent(c)} = ${t}.${quoteIdent(edge.childColumns[i])}`)
            .join(' and ')}${where ? ` and (${where(alias)})` : ''})`
    if (edge.action !== 'c') {
      await plan(edge.child, cascade, edge.childColumns, reaches)
      continue
    }
    const child = await plan(edge.child, cascade, undefined, reaches)
    if (!cycle) await followCascades(sql, child.info, reaches!, reason, plan, [...path, edge.child])
  }
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
  const list = columns.map((c) => `t.${quoteIdent(c)}`).join(', ')
  const where = plan.where && plan.where.map((w) => `(${w('t')})`).join(' or ')
  const copied = await copyToFile(
    sql,
    `copy (select ${list} from ${qualified(info)} t${where ? ` where ${where}` : ''}) to stdout`,
    join(dir, file),
  )
  return {
    table: display(info),
    schema: info.schema,
    name: info.name,
    file,
    scope: plan.columns ? 'columns' : 'rows',
    ...(where && { where }),
    columns,
    atRisk: plan.columns ? [...plan.columns] : null,
    definition: info.columns,
    primaryKey: info.primaryKey,
    // Only a table that may be dropped needs the rest of its definition to come back whole.
    ...(plan.dropped && { objects: await tableObjects(sql, info.oid) }),
    ...copied,
    reasons: plan.reasons,
  }
}

function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 100)
}

/** What the files would destroy, counted: tables and how many rows they hold, columns and how many values. Nothing is written. */
export interface AtRiskCount {
  table: string
  /** Rows of the table the statements remove, or rows whose `columns` they destroy. */
  rows: number
  columns?: string[]
  file: string
  line: number
}

export async function countAtRisk(sql: Sql, files: MigrationFile[]): Promise<AtRiskCount[]> {
  const { risks } = await findRisks(files)
  if (!risks.length) return []
  return inTransaction(
    sql,
    async () => {
      const counts: AtRiskCount[] = []
      for (const p of await planTables(sql, risks, () => {})) {
        const where = p.where && p.where.map((w) => `(${w('t')})`).join(' or ')
        const [{ n }] = await sql.unsafe(`select count(*)::bigint as n from ${qualified(p.info)} t${where ? ` where ${where}` : ''}`)
        const { file, line } = p.reasons[0]
        counts.push({ table: display(p.info), rows: Number(n), ...(p.columns && { columns: [...p.columns] }), file, line })
      }
      return counts
    },
    'begin isolation level repeatable read read only',
  )
}
