/**
 * `strata backup --all`: a whole database without pg_dump. A Strata database's schema is its history, so a
 * full backup is the ledger (versions and checksums) plus every table's rows, streamed with COPY into gzip
 * files, the sequences' values, and a manifest with row counts and a sha256 per table, written last.
 *
 * First the database must match its history (as `strata verify` checks): a table created by hand, an edited
 * or missing file would make a backup that cannot be restored by replaying the files.
 */
import { mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Sql } from '../db/connect.js'
import { targetRoles } from '../db/scratch.js'
import { inTransaction } from '../db/transaction.js'
import { maskUrl } from '../db/url.js'
import { StrataError } from '../errors.js'
import type { MigrationFile } from '../runner/file-format.js'
import { readLedger } from '../runner/ledger.js'
import { describeBlocker, makePlan } from '../runner/plan.js'
import { quoteIdent } from '../sql/quote.js'
import { findObjectDrift } from '../verify/index.js'
import { copyToFile, STABLE_TEXT_SQL } from './copy.js'
import { writeManifest, type DataFile, type FullManifest, type FullTable, type LedgerEntry } from './manifest.js'

export interface FullBackupOptions {
  sql: Sql
  /** The database URL (stored masked). */
  url: string
  files: MigrationFile[]
  /** The ledger schema. */
  schema: string
  /** The backup directory to create; it must not exist yet. */
  dir: string
  /** Back up even when the database does not match its history (what is off is recorded in the notes). */
  allowDrift?: boolean
  /** Schemas left out, e.g. a platform's own (Supabase's auth, storage). */
  excludeSchemas?: string[]
  onProgress?: (event: BackupProgress) => void
}

export type BackupProgress =
  | { type: 'copying'; table: string; bytes: number; ms: number }
  | { type: 'table'; table: string; rows: number; bytes: number; ms: number }
  | { type: 'note'; message: string }

const SYSTEM = ['pg_catalog', 'information_schema']

export async function backupAll(options: FullBackupOptions): Promise<FullManifest> {
  const { sql, schema } = options
  const { notes, unknown } = await checkHistory(options)
  const excluded = [...SYSTEM, schema, ...(options.excludeSchemas ?? [])]
  if (existsSync(options.dir)) throw new StrataError('usage', `${options.dir} exists already: a full backup goes into a new directory`)
  mkdirSync(options.dir, { recursive: true, mode: 0o700 })
  writeFileSync(join(options.dir, '.gitignore'), '# a strata backup holds copies of your data\n*\n')
  try {
    // One snapshot for every table, so rows are consistent with each other (foreign keys hold in the backup).
    const manifest = await inTransaction(
      sql,
      async () => {
        await sql.unsafe(STABLE_TEXT_SQL)
        const ledger = await ledgerEntries(sql, schema)
        const tables: FullTable[] = []
        const known = (await listTables(sql, excluded)).filter((t) => !unknown.has(`${t.schema}.${t.name}`))
        for (const [i, t] of known.entries()) tables.push(await copyTable(options, i + 1, t))
        const events = await copyEvents(options)
        const [server] = await sql`select current_setting('server_version') as version, current_database() as database`
        return {
          format: 1,
          kind: 'full',
          createdAt: new Date().toISOString(),
          target: maskUrl(options.url),
          database: server.database,
          serverVersion: server.version,
          ledgerSchema: schema,
          ledger,
          events,
          tables,
          sequences: await sequenceValues(sql, excluded),
          roles: await targetRoles(sql),
          excludedSchemas: options.excludeSchemas ?? [],
          notes,
        } satisfies FullManifest
      },
      'begin isolation level repeatable read read only',
    )
    writeManifest(options.dir, manifest)
    return manifest
  } catch (e) {
    rmSync(options.dir, { recursive: true, force: true }) // half a backup must not look like one
    throw e
  }
}

/** What verify would refuse: history problems (pending files are fine: they are not applied) and objects not as the files made them. */
async function checkHistory(options: FullBackupOptions): Promise<{ notes: string[]; unknown: Set<string> }> {
  const { sql, schema } = options
  const plan = makePlan(options.files, await readLedger(sql, schema), { outOfOrder: true })
  const problems = plan.entries.filter((e) => !['applied', 'pending', 'out-of-order'].includes(e.state)).map(describeBlocker)
  const applied = plan.entries.filter((e) => e.state === 'applied' && e.file).map((e) => e.file!)
  const drift = await findObjectDrift(sql, applied, schema)
  problems.push(...drift.problems.map((p) => p.message))
  const excluded = new Set([...SYSTEM, schema, ...(options.excludeSchemas ?? [])])
  const expected = new Set(drift.expected.filter((o) => o.kind === 'table').map((o) => `${o.schema}.${o.name}`))
  const unknown = new Set<string>()
  for (const o of Object.values(drift.snapshot.objects)) {
    if (o.kind === 'table' && !excluded.has(o.schema) && !expected.has(`${o.schema}.${o.name}`)) {
      unknown.add(`${o.schema}.${o.name}`)
      problems.push(`table ${o.schema}.${o.name} is not created by any applied file: replaying the files would not bring it back`)
    }
  }
  if (problems.length && !options.allowDrift) {
    throw new StrataError('drift', `refusing to back up: the database does not match its history (${problems.length} problem(s))`, {
      context: problems,
      hint: 'fix it (strata verify says how), leave platform schemas out with --exclude-schema, or pass --allow-drift to back up anyway: what is off is recorded in the manifest, and tables no file creates are left out',
    })
  }
  return { notes: problems.map((p) => `backed up with --allow-drift: ${p}`), unknown }
}

async function ledgerEntries(sql: Sql, schema: string): Promise<LedgerEntry[]> {
  return (await readLedger(sql, schema))
    .filter((r) => r.status === 'applied')
    .map((r) => ({
      version: r.version,
      name: r.name,
      checksum: r.checksum,
      startedAt: new Date(r.started_at).toISOString(),
      finishedAt: r.finished_at && new Date(r.finished_at).toISOString(),
      executionMs: r.execution_ms,
      appliedBy: r.applied_by,
    }))
}

interface TableRow {
  schema: string
  name: string
  columns: string[]
  partitioned: boolean
}

/** Ordinary and partitioned tables (partitions are read through their root), with their stored columns. */
async function listTables(sql: Sql, excluded: string[]): Promise<TableRow[]> {
  const rows = await sql`
    select n.nspname as schema, c.relname as name, c.relkind = 'p' as partitioned,
           array(select a.attname::text from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
                  and a.attgenerated = '' order by a.attnum) as columns
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where c.relkind in ('r', 'p') and not c.relispartition and c.relpersistence <> 't'
       and n.nspname <> all(${excluded}::text[]) and n.nspname !~ '^pg_(toast|temp)'
       and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
     order by n.nspname, c.relname`
  return rows as unknown as TableRow[]
}

async function copyTable(options: FullBackupOptions, index: number, t: TableRow): Promise<FullTable> {
  const table = `${t.schema}.${t.name}`
  const file = `${String(index).padStart(4, '0')}-${table.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 100)}.copy.gz`
  const name = `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`
  const list = t.columns.map(quoteIdent).join(', ')
  // COPY of a partitioned table needs a query; a plain table is read directly, which is faster.
  const copy = t.partitioned ? `copy (select ${list} from ${name}) to stdout` : `copy ${name} (${list}) to stdout`
  const t0 = performance.now()
  let told = 0
  const copied = await copyToFile(options.sql, copy, join(options.dir, file), (bytes) => {
    const now = performance.now()
    if (now - told < 250) return
    told = now
    options.onProgress?.({ type: 'copying', table, bytes, ms: now - t0 })
  })
  options.onProgress?.({ type: 'table', table, rows: copied.rows, bytes: copied.bytes, ms: performance.now() - t0 })
  return { table, schema: t.schema, name: t.name, file, columns: t.columns, partitioned: t.partitioned, ...copied }
}

async function copyEvents(options: FullBackupOptions): Promise<DataFile | null> {
  const s = quoteIdent(options.schema)
  const [{ exists }] = await options.sql`select to_regclass(${`${s}.events`}) is not null as exists`
  if (!exists) return null
  const file = 'ledger-events.copy.gz'
  const copied = await copyToFile(
    options.sql,
    `copy (select id, at, actor, action, version, checksum, details from ${s}.events order by id) to stdout`,
    join(options.dir, file),
  )
  return { file, ...copied }
}

/** Every sequence's position (not owned by an extension). Sequences are not transactional: read last, as pg_dump does. */
async function sequenceValues(sql: Sql, excluded: string[]): Promise<FullManifest['sequences']> {
  const names = await sql`
    select format('%I.%I', n.nspname, c.relname) as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where c.relkind = 'S' and n.nspname <> all(${excluded}::text[]) and n.nspname !~ '^pg_(toast|temp)'
       and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
     order by 1`
  const values: FullManifest['sequences'] = []
  for (const { name } of names) {
    const [v] = await sql.unsafe(`select last_value::text as value, is_called from ${name}`)
    values.push({ sequence: name, lastValue: v.value, isCalled: v.is_called })
  }
  return values
}
