/**
 * Put a backup back with COPY ... FROM STDIN, all tables in one transaction: all or nothing.
 *
 * Each data file streams into a temporary text table (checked against the manifest's sha256 and row
 * count as it goes), and from there into the real table with a cast to each column's type, which is
 * the same input function COPY itself would use. Restore never overwrites data unless --force: rows go
 * only into empty (or recreated) tables, column values only into columns that are gone (re-added) or
 * hold nothing but NULL.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Sql } from '../db/connect.js'
import { StrataError } from '../errors.js'
import { quoteIdent, quoteLiteral } from '../sql/quote.js'
import { qualified, tableInfo, tableOid, type ColumnDef, type ObjectStatement, type TableInfo } from './catalog.js'
import { isFull, readManifest, type BackupTable, type Manifest } from './manifest.js'
import { copyFromFile, STABLE_TEXT_SQL } from './copy.js'
import { inTransaction } from '../db/transaction.js'

export interface RestoreBackupOptions {
  sql: Sql
  dir: string
  /** Also restore into tables that have rows, and over column values that are not NULL. */
  force?: boolean
  /** Only these tables (`schema.name`, or `name`); default all in the manifest. */
  tables?: string[]
}

export type RestoreAction =
  | 'recreated' // the table was gone: created from the saved definition, then filled
  | 'filled' // rows into an empty table
  | 'merged' // --force into a table with rows: matching primary keys updated, missing rows inserted
  | 'appended' // --force into a table with rows and no primary key: the backed-up rows it lacks are added
  | 'columns' // column values put back by primary key

export interface RestoredTable {
  table: string
  action: RestoreAction
  /** Rows inserted or updated. */
  rows: number
  /** Columns that were gone and were added back. */
  addedColumns: string[]
  notes: string[]
}

export interface RestoreResult {
  dir: string
  manifest: Manifest
  tables: RestoredTable[]
}

export async function restoreBackup(options: RestoreBackupOptions): Promise<RestoreResult> {
  const manifest = readManifest(options.dir)
  if (isFull(manifest)) {
    throw new StrataError(
      'usage',
      `${options.dir} is a full backup: restore it into an empty database with strata restore ${options.dir} --url <empty database>`,
    )
  }
  const chosen = chooseTables(manifest, options.tables)
  for (const t of chosen) {
    if (!existsSync(join(options.dir, t.file)))
      throw new StrataError('config', `${join(options.dir, t.file)} is missing: the backup is incomplete`)
  }
  const { sql } = options
  const tables = await inTransaction(sql, async () => {
    await sql.unsafe(STABLE_TEXT_SQL)
    const restored: RestoredTable[] = []
    const recreated: BackupTable[] = []
    for (const [i, entry] of (await parentsFirst(sql, chosen)).entries()) {
      try {
        const table = await restoreTable(sql, options, entry, i + 1)
        if (table.action === 'recreated') recreated.push(entry)
        restored.push(table)
      } catch (e) {
        throw tableFailure(e, entry)
      }
    }
    // Once every row is in: indexes, constraints and foreign keys check them all at once, as pg_restore does.
    for (const entry of recreated) {
      const table = restored.find((t) => t.table === entry.table)!
      table.notes.push(...(await putBackObjects(sql, entry)))
    }
    for (const entry of recreated) restored.find((t) => t.table === entry.table)!.notes.push(...(await putBackDependents(sql, entry)))
    return restored
  })
  return { dir: options.dir, manifest, tables }
}

/** Name the table, and say that the transaction took everything back. */
function tableFailure(e: unknown, entry: BackupTable): StrataError {
  const outcome = 'Nothing was restored: the restore is one transaction.'
  if (e instanceof StrataError) return ((e.facts.outcome ??= outcome), e)
  const err = e as Error & { code?: string; detail?: string; hint?: string }
  const missing = err.code === '42704' || err.code === '42P01' || err.code === '3F000'
  return new StrataError('drift', `restoring ${entry.table}: ${err.message}`, {
    sqlstate: err.code,
    detail: err.detail,
    hint: missing ? 'create it again first (from your migrations), or leave this table out with --table' : err.hint,
    outcome,
  })
}

function chooseTables(manifest: Manifest, names: string[] | undefined): BackupTable[] {
  if (!names?.length) return manifest.tables
  return names.map((name) => {
    const found = manifest.tables.filter((t) => t.table === name || t.name === name)
    if (found.length !== 1) {
      throw new StrataError(
        'usage',
        `--table ${name}: ${found.length ? 'ambiguous, write schema.name' : 'not in this backup'}; it holds ${manifest.tables.map((t) => t.table).join(', ')}`,
      )
    }
    return found[0]
  })
}

/** Referenced tables before the tables that reference them, so foreign keys hold at every insert. */
async function parentsFirst(sql: Sql, tables: BackupTable[]): Promise<BackupTable[]> {
  const oids = await Promise.all(tables.map((t) => tableOid(sql, t)))
  const present = oids.filter((o): o is number => !!o)
  if (present.length < 2) return tables
  const edges = await sql`
    select conrelid::int as child, confrelid::int as parent from pg_constraint
     where contype = 'f' and conrelid <> confrelid
       and conrelid = any(${`{${present.join(',')}}`}::oid[]) and confrelid = any(${`{${present.join(',')}}`}::oid[])`
  const ordered: BackupTable[] = []
  const visiting = new Set<number>()
  const visit = (i: number) => {
    if (ordered.includes(tables[i]) || visiting.has(i)) return // a cycle keeps the manifest order
    visiting.add(i)
    for (const e of edges) if (e.child === oids[i]) visit(oids.indexOf(e.parent))
    ordered.push(tables[i])
  }
  tables.forEach((_, i) => visit(i))
  return ordered
}

async function restoreTable(sql: Sql, options: RestoreBackupOptions, entry: BackupTable, index: number): Promise<RestoredTable> {
  const notes: string[] = []
  let oid = await tableOid(sql, entry)
  const recreated = !oid
  if (!oid) {
    if (entry.scope === 'columns') {
      throw new StrataError(
        'drift',
        `${entry.table} no longer exists, and this backup holds only its key and the columns at risk (${entry.atRisk!.join(', ')})`,
        {
          hint: `create the table again (from your migrations), then restore; or leave it out with --table`,
        },
      )
    }
    await createTable(sql, entry)
    if (!entry.objects) {
      notes.push(
        'recreated with its columns, defaults, NOT NULL and primary key; this backup did not record its indexes, constraints, triggers, policies or grants: re-apply them from your migrations',
      )
    }
    oid = (await tableOid(sql, entry))!
  }
  const addedColumns = await addMissingColumns(sql, entry, await tableInfo(sql, oid))
  const info = await tableInfo(sql, oid)
  checkTypes(entry, info, addedColumns, !!options.force, notes)
  const staging = `strata_restore_${index}`
  await loadStaging(sql, options.dir, entry, staging)

  const base = { table: entry.table, addedColumns, notes }
  let result: RestoredTable
  if (entry.scope === 'rows') {
    const [{ any }] = await sql.unsafe(`select exists (select 1 from ${qualified(entry)}) as any`)
    if (any && entry.where) {
      // The rows a cascade removed: only those the table lacks go back, nothing is overwritten.
      const rows = entry.primaryKey.length
        ? await insertRows(sql, entry, info, staging, true)
        : await appendAbsentRows(sql, entry, info, staging)
      return { ...base, action: 'filled', rows }
    }
    if (any && !options.force) {
      throw new StrataError('drift', `${entry.table} has rows: restore puts rows back only into an empty table`, {
        hint: 'empty the table first, or pass --force to merge: rows with a matching primary key get the backed-up values and missing rows are inserted (without a primary key: the backed-up rows the table lacks are added)',
      })
    }
    result = !any
      ? { ...base, action: recreated ? 'recreated' : 'filled', rows: await insertRows(sql, entry, info, staging, false) }
      : entry.primaryKey.length
        ? { ...base, action: 'merged', rows: await mergeRows(sql, entry, info, staging) }
        : { ...base, action: 'appended', rows: await appendAbsentRows(sql, entry, info, staging) }
  } else {
    await refuseOverwrite(sql, entry, info, staging, addedColumns, !!options.force)
    const rows = await updateColumns(sql, entry, info, staging)
    if (rows < entry.rows) notes.push(`${entry.rows - rows} backed-up row(s) no longer exist in the table; their values were not restored`)
    result = { ...base, action: 'columns', rows }
  }
  await catchUpSequences(sql, info)
  return result
}

/** Recreate a dropped table from the manifest: columns, defaults, identity, generated columns, NOT NULL, primary key. */
async function createTable(sql: Sql, entry: BackupTable): Promise<void> {
  await sql.unsafe(`create schema if not exists ${quoteIdent(entry.schema)}`)
  // A serial column's sequence was dropped with its table: recreate it so the default works again.
  for (const c of entry.definition) {
    if (!c.sequence || c.identity) continue
    const as = ['smallint', 'integer', 'bigint'].includes(c.type) ? ` as ${c.type}` : '' // serial is integer, not bigint
    await sql.unsafe(`create sequence if not exists ${c.sequence}${as}`)
  }
  const columns = entry.definition.map(columnSql)
  if (entry.primaryKey.length) columns.push(`primary key (${entry.primaryKey.map(quoteIdent).join(', ')})`)
  await sql.unsafe(`create table ${qualified(entry)} (\n  ${columns.join(',\n  ')}\n)`)
  for (const c of entry.definition) {
    if (c.sequence && !c.identity) await sql.unsafe(`alter sequence ${c.sequence} owned by ${qualified(entry)}.${quoteIdent(c.name)}`)
  }
}

function columnSql(c: ColumnDef): string {
  const parts = [quoteIdent(c.name), c.type]
  if (c.generated) parts.push(`generated always as (${c.generated}) stored`)
  else if (c.identity) parts.push(`generated ${c.identity} as identity`)
  else if (c.default !== undefined) parts.push(`default ${c.default}`)
  if (c.notNull && !c.identity) parts.push('not null')
  return parts.join(' ')
}

/** Columns in the backup that the table no longer has (DROP COLUMN): add them back, with their old type. */
async function addMissingColumns(sql: Sql, entry: BackupTable, info: TableInfo): Promise<string[]> {
  const has = new Set(info.columns.map((c) => c.name))
  const added: string[] = []
  for (const name of entry.columns) {
    if (has.has(name)) continue
    const def = entry.definition.find((c) => c.name === name)!
    await sql.unsafe(`alter table ${qualified(entry)} add column ${quoteIdent(name)} ${def.type}`)
    added.push(name)
  }
  return added
}

/** A column whose type changed since the backup gets each value converted from its text form, only with --force. */
function checkTypes(entry: BackupTable, info: TableInfo, added: string[], force: boolean, notes: string[]): void {
  const changed = entry.columns.flatMap((name) => {
    const was = entry.definition.find((c) => c.name === name)?.type
    const now = info.columns.find((c) => c.name === name)?.type
    return !added.includes(name) && was !== now ? [`${name} (${was} then, ${now} now)`] : []
  })
  if (!changed.length) return
  if (!force) {
    throw new StrataError('drift', `${entry.table}: column types changed since the backup: ${changed.join(', ')}`, {
      hint: 'change them back first (ALTER TABLE ... ALTER COLUMN ... TYPE), or pass --force to convert each backed-up value to the new type, as ALTER TYPE does',
    })
  }
  notes.push(`converted to the current column types: ${changed.join(', ')}`)
}

/** The data file into a temporary text table, checking sha256 and row count as it streams. */
async function loadStaging(sql: Sql, dir: string, entry: BackupTable, staging: string): Promise<void> {
  await sql.unsafe(`create temporary table ${staging} (${entry.columns.map((c) => `${quoteIdent(c)} text`).join(', ')}) on commit drop`)
  const loaded = await copyFromFile(sql, `copy ${staging} (${entry.columns.map(quoteIdent).join(', ')}) from stdin`, join(dir, entry.file))
  if (loaded.sha256 !== entry.sha256 || loaded.rows !== entry.rows) {
    throw new StrataError(
      'drift',
      `${join(dir, entry.file)} does not match the manifest (${loaded.rows} rows, sha256 ${loaded.sha256.slice(0, 12)}...; expected ${entry.rows} rows, ${entry.sha256.slice(0, 12)}...): nothing was restored`,
    )
  }
}

/** A backed-up text value as the column's current type; a retyped column goes through its old type, as ALTER TYPE would. */
function cast(entry: BackupTable, info: TableInfo, column: string): string {
  const now = info.columns.find((c) => c.name === column)!.type
  const was = entry.definition.find((c) => c.name === column)?.type ?? now
  return `s.${quoteIdent(column)}::${was === now ? now : `${was}::${now}`}`
}

const keyMatch = (entry: BackupTable, info: TableInfo) =>
  entry.primaryKey.map((k) => `t.${quoteIdent(k)} = ${cast(entry, info, k)}`).join(' and ')

async function insertRows(sql: Sql, entry: BackupTable, info: TableInfo, staging: string, onlyMissing: boolean): Promise<number> {
  const list = entry.columns.map(quoteIdent).join(', ')
  const values = entry.columns.map((c) => cast(entry, info, c)).join(', ')
  const missing = onlyMissing ? ` where not exists (select 1 from ${qualified(entry)} t where ${keyMatch(entry, info)})` : ''
  // OVERRIDING SYSTEM VALUE: identity columns get their backed-up values, not new ones.
  const result = await sql.unsafe(
    `insert into ${qualified(entry)} (${list}) overriding system value select ${values} from ${staging} s${missing}`,
  )
  return result.count
}

/**
 * No primary key to match on: add the backed-up rows the table does not already hold. EXCEPT ALL keeps
 * duplicates that were in the backup, and a second restore adds nothing.
 */
async function appendAbsentRows(sql: Sql, entry: BackupTable, info: TableInfo, staging: string): Promise<number> {
  const list = entry.columns.map(quoteIdent).join(', ')
  const values = entry.columns.map((c) => cast(entry, info, c)).join(', ')
  const result = await sql.unsafe(
    `insert into ${qualified(entry)} (${list}) overriding system value
     select * from (select ${values} from ${staging} s except all select ${list} from ${qualified(entry)}) absent`,
  )
  return result.count
}

async function mergeRows(sql: Sql, entry: BackupTable, info: TableInfo, staging: string): Promise<number> {
  const updated = await updateColumns(sql, entry, info, staging)
  return updated + (await insertRows(sql, entry, info, staging, true))
}

async function updateColumns(sql: Sql, entry: BackupTable, info: TableInfo, staging: string): Promise<number> {
  const set = entry.columns.filter((c) => !entry.primaryKey.includes(c))
  if (!set.length) return 0
  const assignments = set.map((c) => `${quoteIdent(c)} = ${cast(entry, info, c)}`).join(', ')
  const result = await sql.unsafe(`update ${qualified(entry)} t set ${assignments} from ${staging} s where ${keyMatch(entry, info)}`)
  return result.count
}

/** Column values go back over NULLs or into re-added columns; over anything else only with --force. Only the backed-up rows count. */
async function refuseOverwrite(
  sql: Sql,
  entry: BackupTable,
  info: TableInfo,
  staging: string,
  added: string[],
  force: boolean,
): Promise<void> {
  if (force) return
  const kept = (entry.atRisk ?? []).filter((c) => !added.includes(c))
  if (!kept.length) return
  const [row] = await sql.unsafe(
    `select ${kept.map((c) => `bool_or(t.${quoteIdent(c)} is not null) as ${quoteIdent(c)}`).join(', ')}
       from ${qualified(entry)} t join ${staging} s on ${keyMatch(entry, info)}`,
  )
  const filled = kept.filter((c) => row[c])
  if (filled.length) {
    throw new StrataError('drift', `${entry.table}: ${filled.join(', ')} hold values now; restore would overwrite them`, {
      hint: 'pass --force to put the backed-up values back by primary key over the current ones',
    })
  }
}

/**
 * A recreated table gets back what was recorded at backup time: row level security first (never left off:
 * a failure there undoes the whole restore), then indexes, constraints, triggers, policies, grants, comments
 * and owner, each in a savepoint. What fails is said, never dropped silently.
 */
async function putBackObjects(sql: Sql, entry: BackupTable): Promise<string[]> {
  const objects = entry.objects
  if (!objects) return []
  const notes = objects.notRestored.map((what) => `not restored: ${what}`)
  if (objects.rls.enabled) await sql.unsafe(`alter table ${qualified(entry)} enable row level security`)
  if (objects.rls.forced) await sql.unsafe(`alter table ${qualified(entry)} force row level security`)
  // Default privileges (Supabase grants anon and authenticated everything on new tables) are not what the table had.
  const given = await sql.unsafe(
    `select distinct case when a.grantee = 0 then 'public' else quote_ident(pg_get_userbyid(a.grantee)) end as grantee
       from pg_class c, aclexplode(c.relacl) a where c.oid = ${quoteLiteral(qualified(entry))}::regclass and a.grantee <> c.relowner`,
  )
  for (const g of given) await sql.unsafe(`revoke all on table ${qualified(entry)} from ${g.grantee}`)
  for (const c of entry.definition) {
    if (!c.sequence || c.identity) continue
    const onSeq = await sql.unsafe(
      `select distinct case when a.grantee = 0 then 'public' else quote_ident(pg_get_userbyid(a.grantee)) end as grantee
         from pg_class c, aclexplode(c.relacl) a where c.oid = ${quoteLiteral(c.sequence)}::regclass and a.grantee <> c.relowner`,
    )
    for (const g of onSeq) await sql.unsafe(`revoke all on sequence ${c.sequence} from ${g.grantee}`)
  }
  const failed = await runEach(sql, objects.statements)
  const put = objects.statements.length - failed.length
  notes.push(
    `recreated with ${put} of ${objects.statements.length} recorded index(es), constraint(s), trigger(s), policies, grants, comments and owner${objects.rls.enabled ? `; row level security on${objects.rls.forced ? ' and forced' : ''}` : ''}`,
    ...failed,
  )
  return notes
}

/** Views on a dropped table and foreign keys pointing at it, when the drop took them too (CASCADE). */
async function putBackDependents(sql: Sql, entry: BackupTable): Promise<string[]> {
  const missing: ObjectStatement[] = []
  for (const d of entry.objects?.dependents ?? []) {
    const [{ exists }] = d.exists ? await sql.unsafe(d.exists) : [{ exists: false }]
    if (!exists) missing.push(d)
  }
  const failed = await runEach(sql, missing)
  return [
    ...(missing.length > failed.length
      ? [`put back ${missing.length - failed.length} dependent(s) the drop took: ${missing.map((d) => d.what).join(', ')}`]
      : []),
    ...failed,
  ]
}

/** Each statement in a savepoint of its own; the ones that fail, in words. */
async function runEach(sql: Sql, statements: ObjectStatement[]): Promise<string[]> {
  const failed: string[] = []
  for (const s of statements) {
    await sql.unsafe('savepoint strata_object')
    try {
      await sql.unsafe(s.sql)
      await sql.unsafe('release savepoint strata_object')
    } catch (e) {
      await sql.unsafe('rollback to savepoint strata_object')
      failed.push(`not restored: ${s.what}: ${(e as Error).message} (${s.sql})`)
    }
  }
  return failed
}

/** After rows come back with their old ids, the serial/identity sequences must not hand those ids out again. */
async function catchUpSequences(sql: Sql, info: TableInfo): Promise<void> {
  for (const c of info.columns) {
    if (!c.sequence) continue
    await sql.unsafe(
      `select setval(${quoteLiteral(c.sequence)}::regclass, m) from (select max(${quoteIdent(c.name)}) as m from ${qualified(info)}) x
        where m is not null and m > coalesce(pg_sequence_last_value(${quoteLiteral(c.sequence)}::regclass), 0)`,
    )
  }
}
