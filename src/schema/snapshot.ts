/**
 * A schema snapshot read through catalog queries only (no pg_dump): every object a migration can create,
 * keyed by a stable readable key (`table public.users`, `column public.users.email`, `function app.f(integer)`)
 * with a definition string that two snapshots can compare.
 *
 * The queries run in one read-only transaction with `search_path = pg_catalog` (SET LOCAL, safe behind
 * poolers), so every name that format_type, pg_get_expr and pg_get_*def print is schema-qualified the same
 * way on every database, whatever its own search_path.
 */
import { inTransaction } from '../db/transaction.js'
import type { Sql } from '../db/connect.js'

export type ObjectKind =
  | 'schema'
  | 'extension'
  | 'table'
  | 'column'
  | 'index'
  | 'constraint'
  | 'view'
  | 'materialized view'
  | 'sequence'
  | 'function'
  | 'procedure'
  | 'aggregate'
  | 'type'
  | 'domain'
  | 'policy'
  | 'trigger'
  | 'row level security'
  | 'grant'

export interface SnapshotObject {
  kind: ObjectKind
  key: string
  schema: string
  name: string
  /** Key of the object this one belongs to (a column's table), so a diff can report a missing table once. */
  parent?: string
  /** What two snapshots compare. */
  definition: string
  /** Structured facts for callers that match objects by shape: column type, index and constraint columns, enum labels. */
  facts?: Record<string, unknown>
}

export interface Snapshot {
  /** server_version_num of the database the snapshot was read from. */
  serverVersion: number
  objects: Record<string, SnapshotObject>
}

export interface SnapshotOptions {
  /** Schemas to leave out, e.g. the ledger schema. */
  exclude?: string[]
  /** Also record table, sequence, function and schema privileges (off by default: roles differ between servers). */
  grants?: boolean
}

const SYSTEM_SCHEMAS = ['pg_catalog', 'information_schema', 'pg_toast']

type Row = Record<string, any>

export async function snapshotSchema(sql: Sql, opts: SnapshotOptions = {}): Promise<Snapshot> {
  const excluded = [...SYSTEM_SCHEMAS, ...(opts.exclude ?? [])]
  const q = sql
  return inTransaction(
    q,
    async () => {
      await q`select set_config('search_path', 'pg_catalog', true)`
      const [{ version }] = await q`select current_setting('server_version_num')::int as version`
      const objects: Record<string, SnapshotObject> = {}
      const add = (o: SnapshotObject) => (objects[o.key] = o)
      const ctx: Reader = { q, excluded, version, add }
      for (const read of readers) await read(ctx)
      if (opts.grants) await readGrants(ctx)
      return { serverVersion: version, objects: sortByKey(objects) } as Snapshot
    },
    'begin read only',
  )
}

interface Reader {
  q: Sql
  excluded: string[]
  version: number
  add(o: SnapshotObject): void
}

function sortByKey(objects: Record<string, SnapshotObject>): Record<string, SnapshotObject> {
  return Object.fromEntries(
    Object.keys(objects)
      .sort()
      .map((k) => [k, objects[k]]),
  )
}

/** Schemas a snapshot reads: not system, not excluded, not temporary. */
const schemaFilter = (alias: string) =>
  `${alias}.nspname <> all($1::text[]) and ${alias}.nspname not like 'pg\\_toast%' and ${alias}.nspname not like 'pg\\_temp\\_%'`

/** Objects that belong to an extension come with it: the extension itself is what is compared. */
const notInExtension = (catalog: string, oid: string) =>
  `not exists (select 1 from pg_depend d where d.classid = '${catalog}'::regclass and d.objid = ${oid} and d.deptype = 'e')`

const run = (r: Reader, text: string) => r.q.unsafe(text, text.includes('$1') ? [r.excluded] : []) as unknown as Promise<Row[]>

async function readSchemas(r: Reader) {
  for (const row of await run(
    r,
    `select n.nspname from pg_namespace n where ${schemaFilter('n')} and ${notInExtension('pg_namespace', 'n.oid')}`,
  )) {
    r.add({ kind: 'schema', key: `schema ${row.nspname}`, schema: row.nspname, name: row.nspname, definition: 'schema' })
  }
}

async function readExtensions(r: Reader) {
  const rows = await run(r, `select e.extname, n.nspname, e.extversion from pg_extension e join pg_namespace n on n.oid = e.extnamespace`)
  for (const row of rows) {
    // The version stays out of the definition: a scratch server may ship another minor version of the same extension.
    r.add({
      kind: 'extension',
      key: `extension ${row.extname}`,
      schema: row.nspname,
      name: row.extname,
      definition: `schema ${row.nspname}`,
      facts: { version: row.extversion },
    })
  }
}

const RELATION_KINDS: Record<string, ObjectKind> = { r: 'table', p: 'table', f: 'table', v: 'view', m: 'materialized view' }

async function readRelations(r: Reader) {
  const rows = await run(
    r,
    `select n.nspname, c.relname, c.relkind, c.relpersistence, c.relrowsecurity, c.relforcerowsecurity,
            case when c.relkind in ('v', 'm') then pg_get_viewdef(c.oid, true) end as viewdef,
            case when c.relkind = 'p' then pg_get_partkeydef(c.oid) end as partkey,
            case when c.relispartition then pg_get_expr(c.relpartbound, c.oid) end as bound,
            (select string_agg(pn.nspname || '.' || p.relname, ', ' order by i.inhseqno)
               from pg_inherits i join pg_class p on p.oid = i.inhparent join pg_namespace pn on pn.oid = p.relnamespace
              where i.inhrelid = c.oid) as parents
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p', 'f', 'v', 'm') and ${schemaFilter('n')} and ${notInExtension('pg_class', 'c.oid')}`,
  )
  for (const row of rows) {
    const kind = RELATION_KINDS[row.relkind]
    const key = `${kind} ${row.nspname}.${row.relname}`
    r.add({ kind, key, schema: row.nspname, name: row.relname, definition: relationDefinition(row), facts: { relkind: row.relkind } })
    if (row.relrowsecurity) {
      r.add({
        kind: 'row level security',
        key: `row level security ${row.nspname}.${row.relname}`,
        schema: row.nspname,
        name: row.relname,
        parent: key,
        definition: row.relforcerowsecurity ? 'enabled, forced' : 'enabled',
      })
    }
  }
}

function relationDefinition(row: Row): string {
  if (row.viewdef !== null) return row.viewdef.trim()
  const parts = [row.relkind === 'f' ? 'foreign table' : row.relpersistence === 'u' ? 'unlogged table' : 'table']
  if (row.partkey) parts.push(`partition by ${row.partkey}`)
  if (row.bound) parts.push(`partition of ${row.parents} ${row.bound}`)
  else if (row.parents) parts.push(`inherits (${row.parents})`)
  return parts.join(' ')
}

async function readColumns(r: Reader) {
  const generated = r.version >= 120000 ? 'a.attgenerated' : `''::text`
  const rows = await run(
    r,
    `select n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod) as type, a.atttypid, a.atttypmod, a.attnotnull,
            pg_get_expr(ad.adbin, ad.adrelid) as default, a.attidentity, ${generated} as generated,
            case when a.attcollation <> t.typcollation then co.collname end as collation
       from pg_attribute a
       join pg_class c on c.oid = a.attrelid
       join pg_namespace n on n.oid = c.relnamespace
       join pg_type t on t.oid = a.atttypid
       left join pg_attrdef ad on ad.adrelid = a.attrelid and ad.adnum = a.attnum
       left join pg_collation co on co.oid = a.attcollation
      where a.attnum > 0 and not a.attisdropped and c.relkind in ('r', 'p', 'f')
        and ${schemaFilter('n')} and ${notInExtension('pg_class', 'c.oid')}
      order by a.attnum`,
  )
  for (const row of rows) {
    r.add({
      kind: 'column',
      key: `column ${row.nspname}.${row.relname}.${row.attname}`,
      schema: row.nspname,
      name: row.attname,
      parent: `table ${row.nspname}.${row.relname}`,
      definition: columnDefinition(row),
      facts: { type: row.type, typeOid: row.atttypid, typmod: row.atttypmod, notNull: row.attnotnull },
    })
  }
}

function columnDefinition(row: Row): string {
  const parts = [row.type]
  if (row.collation) parts.push(`collate ${row.collation}`)
  if (row.attnotnull) parts.push('not null')
  if (row.generated === 's' || row.generated === 'v')
    parts.push(`generated always as (${row.default})${row.generated === 's' ? ' stored' : ' virtual'}`)
  else if (row.default !== null) parts.push(`default ${row.default}`)
  if (row.attidentity === 'a') parts.push('generated always as identity')
  if (row.attidentity === 'd') parts.push('generated by default as identity')
  return parts.join(' ')
}

async function readIndexes(r: Reader) {
  // Indexes behind a primary key, unique or exclusion constraint are reported as that constraint.
  const rows = await run(
    r,
    `select n.nspname, ic.relname as name, c.relname as table, pg_get_indexdef(i.indexrelid) as def, i.indisunique,
            array(select case when k = 0 then null else (select attname from pg_attribute where attrelid = i.indrelid and attnum = k) end
                    from unnest(i.indkey::int2[]) with ordinality as u(k, o) order by o) as columns
       from pg_index i
       join pg_class ic on ic.oid = i.indexrelid
       join pg_class c on c.oid = i.indrelid
       join pg_namespace n on n.oid = ic.relnamespace
      where ${schemaFilter('n')} and ${notInExtension('pg_class', 'ic.oid')}
        and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid and k.contype in ('p', 'u', 'x'))`,
  )
  for (const row of rows) {
    r.add({
      kind: 'index',
      key: `index ${row.nspname}.${row.name}`,
      schema: row.nspname,
      name: row.name,
      parent: `table ${row.nspname}.${row.table}`,
      definition: row.def,
      facts: { table: row.table, columns: row.columns, unique: row.indisunique },
    })
  }
}

async function readConstraints(r: Reader) {
  // Not-null constraints (pg_constraint contype 'n' since Postgres 18) are part of the column definition.
  const rows = await run(
    r,
    `select n.nspname, c.relname as table, k.conname, k.contype, pg_get_constraintdef(k.oid, true) as def,
            array(select attname from unnest(k.conkey) with ordinality as u(num, o)
                    join pg_attribute on attrelid = k.conrelid and attnum = u.num order by o) as columns
       from pg_constraint k
       join pg_class c on c.oid = k.conrelid
       join pg_namespace n on n.oid = c.relnamespace
      where k.contype <> 'n' and ${schemaFilter('n')} and ${notInExtension('pg_class', 'c.oid')}`,
  )
  for (const row of rows) {
    r.add({
      kind: 'constraint',
      key: `constraint ${row.nspname}.${row.table}.${row.conname}`,
      schema: row.nspname,
      name: row.conname,
      parent: `table ${row.nspname}.${row.table}`,
      definition: row.def,
      facts: { table: row.table, type: row.contype, columns: row.columns },
    })
  }
}

async function readSequences(r: Reader) {
  // Identity columns own a sequence of their own (pg_depend 'i'); the column definition already says identity.
  const rows = await run(
    r,
    `select n.nspname, c.relname, format_type(s.seqtypid, null) as type, s.seqstart::text, s.seqincrement::text, s.seqmin::text, s.seqmax::text, s.seqcache::text, s.seqcycle,
            (select tn.nspname || '.' || t.relname
               from pg_depend d join pg_class t on t.oid = d.refobjid join pg_namespace tn on tn.oid = t.relnamespace
              where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'a' limit 1) as owner_table,
            (select tn.nspname || '.' || t.relname || '.' || a.attname
               from pg_depend d join pg_class t on t.oid = d.refobjid join pg_namespace tn on tn.oid = t.relnamespace
               join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
              where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'a' limit 1) as owned_by
       from pg_sequence s
       join pg_class c on c.oid = s.seqrelid
       join pg_namespace n on n.oid = c.relnamespace
      where ${schemaFilter('n')} and ${notInExtension('pg_class', 'c.oid')}
        and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'i')`,
  )
  for (const row of rows) {
    const parts = [
      row.type,
      `start ${row.seqstart}`,
      `increment ${row.seqincrement}`,
      `minvalue ${row.seqmin}`,
      `maxvalue ${row.seqmax}`,
      `cache ${row.seqcache}`,
    ]
    if (row.seqcycle) parts.push('cycle')
    if (row.owned_by) parts.push(`owned by ${row.owned_by}`)
    // A serial column's sequence comes and goes with its table.
    const parent = row.owner_table ? `table ${row.owner_table}` : undefined
    r.add({
      kind: 'sequence',
      key: `sequence ${row.nspname}.${row.relname}`,
      schema: row.nspname,
      name: row.relname,
      parent,
      definition: parts.join(' '),
    })
  }
}

const ROUTINE_KINDS: Record<string, ObjectKind> = { f: 'function', w: 'function', p: 'procedure', a: 'aggregate' }
const VOLATILITY: Record<string, string> = { i: 'immutable', s: 'stable', v: 'volatile' }

async function readRoutines(r: Reader) {
  // Functions written with a SQL-standard body (BEGIN ATOMIC, Postgres 14+) have no prosrc: compare their whole definition.
  const sqlBody = r.version >= 140000 ? `case when p.prosqlbody is not null then pg_get_functiondef(p.oid) end` : 'null::text'
  const rows = await run(
    r,
    `select n.nspname, p.proname, p.prokind, oidvectortypes(p.proargtypes) as argtypes,
            pg_get_function_identity_arguments(p.oid) as identity, pg_get_function_result(p.oid) as result,
            l.lanname, p.provolatile, p.proisstrict, p.prosecdef, p.proconfig, p.prosrc, ${sqlBody} as sqlbody
       from pg_proc p
       join pg_namespace n on n.oid = p.pronamespace
       join pg_language l on l.oid = p.prolang
      where ${schemaFilter('n')} and ${notInExtension('pg_proc', 'p.oid')}`,
  )
  for (const row of rows) {
    const kind = ROUTINE_KINDS[row.prokind] ?? 'function'
    const key = `${kind} ${row.nspname}.${row.proname}(${row.argtypes})`
    r.add({ kind, key, schema: row.nspname, name: row.proname, definition: routineDefinition(row), facts: { identity: row.identity } })
  }
}

function routineDefinition(row: Row): string {
  if (row.prokind === 'a') return `aggregate (${row.identity}) returns ${row.result}`
  const head = [`(${row.identity})`]
  if (row.result) head.push(`returns ${row.result}`)
  head.push(`language ${row.lanname}`, VOLATILITY[row.provolatile] ?? row.provolatile)
  if (row.proisstrict) head.push('strict')
  if (row.prosecdef) head.push('security definer')
  for (const setting of row.proconfig ?? []) head.push(`set ${setting}`)
  const body = row.sqlbody ?? row.prosrc
  return `${head.join(' ')}\n${String(body).trim()}`
}

async function readTypes(r: Reader) {
  const rows = await run(
    r,
    `select n.nspname, t.typname, t.typtype, t.typnotnull, t.typdefault,
            format_type(t.typbasetype, t.typtypmod) as base,
            array(select enumlabel::text from pg_enum where enumtypid = t.oid order by enumsortorder) as labels,
            (select string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', ' order by a.attnum)
               from pg_attribute a where a.attrelid = t.typrelid and a.attnum > 0 and not a.attisdropped) as attributes,
            (select string_agg(coalesce('constraint ' || k.conname || ' ', '') || pg_get_constraintdef(k.oid, true), ' ' order by k.conname)
               from pg_constraint k where k.contypid = t.oid and k.contype <> 'n') as checks,
            (select format_type(rngsubtype, null) from pg_range where rngtypid = t.oid) as subtype
       from pg_type t
       join pg_namespace n on n.oid = t.typnamespace
       left join pg_class c on c.oid = t.typrelid
      where (t.typtype in ('e', 'd', 'r') or (t.typtype = 'c' and c.relkind = 'c'))
        and ${schemaFilter('n')} and ${notInExtension('pg_type', 't.oid')}`,
  )
  for (const row of rows) {
    const kind: ObjectKind = row.typtype === 'd' ? 'domain' : 'type'
    r.add({
      kind,
      key: `${kind} ${row.nspname}.${row.typname}`,
      schema: row.nspname,
      name: row.typname,
      definition: typeDefinition(row),
      facts: row.typtype === 'e' ? { labels: row.labels } : undefined,
    })
  }
}

function typeDefinition(row: Row): string {
  if (row.typtype === 'e') return `enum (${row.labels.map((l: string) => `'${l.replace(/'/g, "''")}'`).join(', ')})`
  if (row.typtype === 'c') return `composite (${row.attributes ?? ''})`
  if (row.typtype === 'r') return `range of ${row.subtype}`
  const parts = [`domain over ${row.base}`]
  if (row.typnotnull) parts.push('not null')
  if (row.typdefault !== null) parts.push(`default ${row.typdefault}`)
  if (row.checks) parts.push(row.checks)
  return parts.join(' ')
}

const POLICY_COMMANDS: Record<string, string> = { '*': 'all', r: 'select', a: 'insert', w: 'update', d: 'delete' }

async function readPolicies(r: Reader) {
  const rows = await run(
    r,
    `select n.nspname, c.relname as table, p.polname, p.polcmd, p.polpermissive,
            array(select case when role = 0 then 'public' else pg_get_userbyid(role) end from unnest(p.polroles) as role order by 1) as roles,
            pg_get_expr(p.polqual, p.polrelid) as using, pg_get_expr(p.polwithcheck, p.polrelid) as check
       from pg_policy p
       join pg_class c on c.oid = p.polrelid
       join pg_namespace n on n.oid = c.relnamespace
      where ${schemaFilter('n')}`,
  )
  for (const row of rows) {
    const parts = [
      `as ${row.polpermissive ? 'permissive' : 'restrictive'}`,
      `for ${POLICY_COMMANDS[row.polcmd] ?? row.polcmd}`,
      `to ${row.roles.join(', ')}`,
    ]
    if (row.using !== null) parts.push(`using (${row.using})`)
    if (row.check !== null) parts.push(`with check (${row.check})`)
    r.add({
      kind: 'policy',
      key: `policy ${row.nspname}.${row.table}.${row.polname}`,
      schema: row.nspname,
      name: row.polname,
      parent: `table ${row.nspname}.${row.table}`,
      definition: parts.join(' '),
    })
  }
}

async function readTriggers(r: Reader) {
  const rows = await run(
    r,
    `select n.nspname, c.relname as table, c.relkind, t.tgname, pg_get_triggerdef(t.oid, true) as def
       from pg_trigger t
       join pg_class c on c.oid = t.tgrelid
       join pg_namespace n on n.oid = c.relnamespace
      where not t.tgisinternal and ${schemaFilter('n')} and ${notInExtension('pg_class', 'c.oid')}`,
  )
  for (const row of rows) {
    r.add({
      kind: 'trigger',
      key: `trigger ${row.nspname}.${row.table}.${row.tgname}`,
      schema: row.nspname,
      name: row.tgname,
      parent: `${RELATION_KINDS[row.relkind] ?? 'table'} ${row.nspname}.${row.table}`,
      definition: row.def,
    })
  }
}

async function readGrants(r: Reader) {
  // The owner's own privileges are implicit and depend on who ran the files; only grants to others are compared.
  const rows = await run(
    r,
    `select 'relation' as on_kind, n.nspname, c.relname as name, case when a.grantee = 0 then 'public' else pg_get_userbyid(a.grantee) end as grantee, a.privilege_type
       from pg_class c join pg_namespace n on n.oid = c.relnamespace, aclexplode(c.relacl) a
      where c.relkind in ('r', 'p', 'f', 'v', 'm', 'S') and a.grantee <> c.relowner and ${schemaFilter('n')} and ${notInExtension('pg_class', 'c.oid')}
     union all
     select 'schema', n.nspname, n.nspname, case when a.grantee = 0 then 'public' else pg_get_userbyid(a.grantee) end, a.privilege_type
       from pg_namespace n, aclexplode(n.nspacl) a
      where a.grantee <> n.nspowner and ${schemaFilter('n')}
     union all
     select 'routine', n.nspname, p.proname || '(' || oidvectortypes(p.proargtypes) || ')', case when a.grantee = 0 then 'public' else pg_get_userbyid(a.grantee) end, a.privilege_type
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace, aclexplode(p.proacl) a
      where a.grantee <> p.proowner and ${schemaFilter('n')} and ${notInExtension('pg_proc', 'p.oid')}`,
  )
  const grouped = new Map<string, { row: Row; privileges: string[] }>()
  for (const row of rows) {
    const on = row.on_kind === 'schema' ? `schema ${row.nspname}` : `${row.nspname}.${row.name}`
    const grantee = row.grantee
    const key = `grant ${on} to ${grantee}`
    const entry = grouped.get(key) ?? { row: { ...row, grantee }, privileges: [] }
    entry.privileges.push(row.privilege_type.toLowerCase())
    grouped.set(key, entry)
  }
  for (const [key, { row, privileges }] of grouped) {
    r.add({ kind: 'grant', key, schema: row.nspname, name: row.name, definition: privileges.sort().join(', ') })
  }
}

const readers = [
  readSchemas,
  readExtensions,
  readRelations,
  readColumns,
  readIndexes,
  readConstraints,
  readSequences,
  readRoutines,
  readTypes,
  readPolicies,
  readTriggers,
]
