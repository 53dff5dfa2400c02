/**
 * `strata restore DIR` of a full backup, into an empty database:
 *   1. the event history, then a replay of the recorded files through the runner (src/runner/apply.ts), so
 *      the ledger comes back with the same versions and checksums, and the schema as the files build it
 *   2. the rows, in one transaction, with triggers and foreign-key checks off (session_replication_role =
 *      replica; without the privilege for it: parents first and user triggers disabled), each data file
 *      checked against its sha256 as it streams
 *   3. every sequence set, materialized views refreshed, row counts compared with the manifest
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Sql } from '../db/connect.js'
import { inTransaction } from '../db/transaction.js'
import { StrataError } from '../errors.js'
import type { MigrationFile } from '../runner/file-format.js'
import { continueEventIds, ensureLedger, eventsCopySql, restoreAppliedTimes } from '../runner/ledger.js'
import { explainFailure, runSteps, type ApplyContext, type Step, type Timeouts } from '../runner/apply.js'
import { quoteIdent, quoteLiteral } from '../sql/quote.js'
import { copyFromFile, STABLE_TEXT_SQL } from './copy.js'
import type { DataFile, FullManifest, FullTable } from './manifest.js'
import { decideRunModes } from '../runner/run-mode.js'

export interface FullRestoreOptions {
  sql: Sql
  /** How to name the database to people (masked URL). */
  shown: string
  openSide(): Promise<{ sql: Sql; close(): Promise<void> }>
  files: MigrationFile[]
  schema?: string
  dir: string
  manifest: FullManifest
  timeouts?: Timeouts
  waitMs?: number
  onProgress?: (event: RestoreProgress) => void
}

export type RestoreProgress =
  | { type: 'replayed'; file: string; ms: number }
  | { type: 'loading'; table: string; bytes: number; ms: number }
  | { type: 'loaded'; table: string; rows: number; bytes: number; ms: number }
  | { type: 'note'; message: string }

export interface FullRestoreResult {
  replayed: number
  tables: { table: string; rows: number }[]
  sequences: number
  /** Roles the source had that this server lacks (a replay that needs one fails, naming it). */
  missingRoles: string[]
}

export async function restoreFull(options: FullRestoreOptions): Promise<FullRestoreResult> {
  const { sql, manifest, dir } = options
  const schema = options.schema ?? manifest.ledgerSchema
  for (const f of [...manifest.tables, ...(manifest.events ? [manifest.events] : [])]) {
    if (!existsSync(join(dir, f.file))) throw new StrataError('config', `${join(dir, f.file)} is missing: the backup is incomplete`)
  }
  // Each file replays in the mode migrate ran it in (a lone CREATE INDEX CONCURRENTLY without a transaction).
  await decideRunModes(options.files)
  const steps = replaySteps(options.files, manifest)
  await refuseNonEmpty(sql, options.shown, schema, manifest.excludedSchemas ?? [])
  const missingRoles = await absentRoles(sql, manifest.roles)
  const waitMs = options.waitMs ?? 60_000
  await ensureLedger(sql, schema, waitMs)
  if (manifest.events) await loadEvents(sql, schema, dir, manifest.events)
  await replay(options, schema, steps, waitMs)
  await loadRows(options)
  await inTransaction(sql, async () => {
    for (const s of manifest.sequences)
      await sql.unsafe(`select setval(${quoteLiteral(s.sequence)}::regclass, ${s.lastValue}, ${s.isCalled})`)
    await restoreAppliedTimes(sql, schema, manifest.ledger)
  })
  await refreshMaterializedViews(sql, schema)
  const tables = await compareCounts(sql, manifest.tables)
  return { replayed: steps.length, tables, sequences: manifest.sequences.length, missingRoles }
}

/** The recorded files, each on disk with the checksum it had when applied; any difference refuses before anything runs. */
function replaySteps(files: MigrationFile[], manifest: FullManifest): Step[] {
  const byVersion = new Map(files.map((f) => [f.version, f]))
  const problems: string[] = []
  const steps: Step[] = []
  for (const entry of manifest.ledger) {
    const file = byVersion.get(entry.version)
    if (!file)
      problems.push(`version ${entry.version} (${entry.name}) is in the backup's ledger but has no file in the migrations directory`)
    else if (file.checksum !== entry.checksum)
      problems.push(
        `${file.path} differs from the file that was applied (checksum ${entry.checksum.slice(0, 12)}… in the backup, ${file.checksum.slice(0, 12)}… on disk)`,
      )
    else steps.push({ direction: 'up', file, source: { path: file.path, content: file.content }, noTransaction: file.noTransaction })
  }
  if (problems.length) {
    throw new StrataError('history', `refusing to restore: the migration files are not the ones this backup's database was built from`, {
      context: problems,
      hint: 'check out the commit the backup was taken at (the files up to its last version must be the same), then restore again',
    })
  }
  return steps
}

/**
 * A restore never writes over data: the target must hold no table, view or sequence, and no ledger, outside the
 * schemas the backup left out (a new Supabase project has its own auth and storage: those stay).
 */
async function refuseNonEmpty(sql: Sql, shown: string, schema: string, excluded: string[]): Promise<void> {
  const rows = await sql`
    select format('%s %I.%I', case c.relkind when 'S' then 'sequence' when 'v' then 'view' when 'm' then 'materialized view' else 'table' end,
                  n.nspname, c.relname) as object
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where c.relkind in ('r', 'p', 'v', 'm', 'S', 'f') and n.nspname not in ('pg_catalog', 'information_schema')
       and n.nspname !~ '^pg_(toast|temp)' and n.nspname <> all(${excluded}::text[])
       and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
    union all select format('schema %I (the ledger)', nspname) from pg_namespace where nspname = ${schema}
     limit 3`
  if (!rows.length) return
  throw new StrataError(
    'config',
    `restoring a full backup needs an empty database, and ${shown} has objects, e.g. ${rows.map((r) => r.object).join(', ')}`,
    { hint: 'restore into a new, empty database (createdb, or a new project), never over one that has data' },
  )
}

async function absentRoles(sql: Sql, roles: string[]): Promise<string[]> {
  if (!roles.length) return []
  const rows = await sql`select r from unnest(${roles}::text[]) r where not exists (select 1 from pg_roles where rolname = r)`
  return rows.map((r) => r.r as string)
}

async function loadEvents(sql: Sql, schema: string, dir: string, events: DataFile): Promise<void> {
  await inTransaction(sql, async () => {
    const loaded = await copyFromFile(sql, eventsCopySql(schema), join(dir, events.file))
    checkLoaded('the ledger events', events, loaded)
    await continueEventIds(sql, schema)
  })
}

/** The files through the runner, each in its transaction with its ledger row, as migrate applies them. */
async function replay(options: FullRestoreOptions, schema: string, steps: Step[], waitMs: number): Promise<void> {
  const done: Step[] = []
  let current: Step | undefined
  const ctx: ApplyContext = {
    sql: options.sql,
    schema,
    timeouts: options.timeouts ?? { lockTimeoutMs: 10_000, statementTimeoutMs: 0 },
    waitMs,
    openSide: options.openSide,
    onWait: (message) => options.onProgress?.({ type: 'note', message }),
    onNote: (message) => options.onProgress?.({ type: 'note', message }),
    onStart: (step) => (current = step),
    onDone: ({ step, ms }) => {
      done.push(step)
      options.onProgress?.({ type: 'replayed', file: step.file.path, ms })
    },
    onSkipped: () => {},
  }
  try {
    await runSteps(ctx, steps)
  } catch (e) {
    const failed = current ?? steps[0]
    const err = await explainFailure(ctx, e, failed, done, failed.noTransaction ? 'no-transaction' : 'transaction')
    err.facts.hint ??= 'the files must build the schema from nothing on this server: a role or extension they need may be missing here'
    throw err
  }
}

/** Every table's rows in one transaction: all or nothing. */
async function loadRows(options: FullRestoreOptions): Promise<void> {
  const { sql, manifest } = options
  await inTransaction(sql, async () => {
    await sql.unsafe(STABLE_TEXT_SQL)
    const replica = await sql
      .unsafe(`savepoint strata_role; select set_config('session_replication_role', 'replica', true); release savepoint strata_role`)
      .then(
        () => true,
        async () => (await sql.unsafe('rollback to savepoint strata_role'), false),
      )
    const tables = replica ? manifest.tables : await parentsFirst(sql, manifest.tables)
    if (!replica) {
      options.onProgress?.({
        type: 'note',
        message: 'no privilege for session_replication_role: loading parents first, with user triggers disabled',
      })
      for (const t of tables) await sql.unsafe(`alter table ${name(t)} disable trigger user`)
    }
    // Rows the replayed files inserted (seed data) are in the backup too, as they were when it was taken.
    if (tables.length) await sql.unsafe(`truncate ${tables.map(name).join(', ')}`)
    // As pg_restore does: indexes are built once over all the rows rather than row by row (those behind keys stay).
    const indexes = await plainIndexes(sql, tables)
    for (const i of indexes) await sql.unsafe(`drop index ${i.name}`)
    for (const t of tables) {
      const t0 = performance.now()
      let told = 0
      const loaded = await copyFromFile(
        sql,
        `copy ${name(t)} (${t.columns.map(quoteIdent).join(', ')}) from stdin`,
        join(options.dir, t.file),
        (bytes) => {
          const now = performance.now()
          if (now - told < 250) return
          told = now
          options.onProgress?.({ type: 'loading', table: t.table, bytes, ms: now - t0 })
        },
      )
      checkLoaded(t.table, t, loaded)
      options.onProgress?.({ type: 'loaded', table: t.table, rows: loaded.rows, bytes: loaded.bytes, ms: performance.now() - t0 })
    }
    for (const i of indexes) await sql.unsafe(i.def)
    if (!replica) for (const t of tables) await sql.unsafe(`alter table ${name(t)} enable trigger user`)
  })
}

/** Indexes of the tables that no constraint owns, and the statements that build them again. */
async function plainIndexes(sql: Sql, tables: FullTable[]): Promise<{ name: string; def: string }[]> {
  if (!tables.length) return []
  const rows = await sql.unsafe(
    `select i.indexrelid::regclass::text as name, pg_get_indexdef(i.indexrelid) as def from pg_index i
       join pg_class c on c.oid = i.indexrelid and c.relkind = 'i' -- a partitioned index is left alone: it spans partitions
      where i.indrelid = any(array[${tables.map((t) => quoteLiteral(name(t))).join(', ')}]::regclass[])
        and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid)
        and not exists (select 1 from pg_inherits h where h.inhrelid = i.indexrelid)`,
  )
  return rows as unknown as { name: string; def: string }[]
}

const name = (t: { schema: string; name: string }) => `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`

function checkLoaded(what: string, expected: DataFile, loaded: { rows: number; sha256: string }): void {
  if (loaded.sha256 === expected.sha256 && loaded.rows === expected.rows) return
  throw new StrataError(
    'drift',
    `${expected.file} (${what}) does not match the manifest: ${loaded.rows} rows, sha256 ${loaded.sha256.slice(0, 12)}…; expected ${expected.rows} rows, ${expected.sha256.slice(0, 12)}…`,
    { outcome: 'No rows were restored: the rows load in one transaction.' },
  )
}

/** Referenced tables before the tables that reference them (a cycle keeps the manifest's order). */
async function parentsFirst(sql: Sql, tables: FullTable[]): Promise<FullTable[]> {
  const rows = await sql`
    select cn.nspname as child_schema, c.relname as child_name, pn.nspname as parent_schema, p.relname as parent_name
      from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_namespace cn on cn.oid = c.relnamespace
      join pg_class p on p.oid = k.confrelid join pg_namespace pn on pn.oid = p.relnamespace
     where k.contype = 'f' and k.conrelid <> k.confrelid`
  const key = (t: { schema: string; name: string }) => JSON.stringify([t.schema, t.name])
  const byName = new Map(tables.map((t) => [key(t), t]))
  const edges = rows.map((r) => ({
    child: key({ schema: r.child_schema, name: r.child_name }),
    parent: key({ schema: r.parent_schema, name: r.parent_name }),
  }))
  const ordered: FullTable[] = []
  const visiting = new Set<string>()
  const visit = (key: string) => {
    const t = byName.get(key)
    if (!t || ordered.includes(t) || visiting.has(key)) return
    visiting.add(key)
    for (const e of edges) if (e.child === key) visit(e.parent)
    ordered.push(t)
  }
  for (const t of tables) visit(key(t))
  return ordered
}

async function refreshMaterializedViews(sql: Sql, schema: string): Promise<void> {
  const views = await sql`
    select format('%I.%I', schemaname, matviewname) as name from pg_matviews where ispopulated and schemaname <> ${schema}`
  for (const v of views) await sql.unsafe(`refresh materialized view ${v.name}`)
}

/** Row counts as the manifest has them: a table that differs fails the restore, naming it. */
async function compareCounts(sql: Sql, tables: FullTable[]): Promise<{ table: string; rows: number }[]> {
  const counted: { table: string; rows: number }[] = []
  const wrong: string[] = []
  for (const t of tables) {
    const [{ n }] = await sql.unsafe(`select count(*)::bigint as n from ${name(t)}`)
    counted.push({ table: t.table, rows: Number(n) })
    if (Number(n) !== t.rows) wrong.push(`${t.table}: ${n} row(s), the backup has ${t.rows}`)
  }
  if (wrong.length) throw new StrataError('drift', `the restored database does not match the backup's row counts`, { context: wrong })
  return counted
}
