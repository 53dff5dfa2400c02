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
import { notInExtension, run, schemaFilter, type Reader, type Row } from './catalog.js'
import { readComments } from './comments.js'
import { readGrants, readOwners } from './privileges.js'

export type { ObjectKind, Snapshot, SnapshotObject } from './types.js'
import type { ObjectKind, Snapshot, SnapshotObject } from './types.js'

export interface SnapshotOptions {
  /** Schemas to leave out, e.g. the ledger schema. */
  exclude?: string[]
  /**
   * Also record privileges: on tables, views, sequences, columns, functions, types and schemas, and default
   * privileges (off by default: roles differ between servers).
   */
  grants?: boolean
  /** Also record who owns each object, when that is not the user taking the snapshot (off by default). */
  owners?: boolean
  /** Extensions to leave out by name, e.g. those a platform installs in every database. */
  excludeExtensions?: string[]
}

const SYSTEM_SCHEMAS = ['pg_catalog', 'information_schema', 'pg_toast']

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
      const ctx: Reader = { q, excluded, version, add, excludeExtensions: opts.excludeExtensions ?? [] }
      for (const read of readers) await read(ctx)
      await readComments(ctx)
      if (opts.grants) await readGrants(ctx)
      if (opts.owners) await readOwners(ctx)
      return { serverVersion: version, objects: sortByKey(objects) } as Snapshot
    },
    'begin read only',
  )
}

function sortByKey(objects: Record<string, SnapshotObject>): Record<string, SnapshotObject> {
  return Object.fromEntries(
    Object.keys(objects)
      .sort()
      .map((k) => [k, objects[k]]),
  )
}

async function readSchemas(r: Reader) {
  for (const row of await run(
    r,
    `select n.nspname, format('%I', n.nspname) as qname from pg_namespace n where ${schemaFilter('n')} and ${notInExtension('pg_namespace', 'n.oid')}`,
  )) {
    r.add({
      kind: 'schema',
      key: `schema ${row.nspname}`,
      schema: row.nspname,
      name: row.nspname,
      definition: 'schema',
      facts: { qname: row.qname },
    })
  }
}

async function readExtensions(r: Reader) {
  const rows = await run(
    r,
    `select e.extname, n.nspname, e.extversion, format('%I', e.extname) as qname, format('%I', n.nspname) as qschema
       from pg_extension e join pg_namespace n on n.oid = e.extnamespace`,
  )
  for (const row of rows) {
    if (r.excludeExtensions.includes(row.extname)) continue
    // The version stays out of the definition: a scratch server may ship another minor version of the same extension.
    r.add({
      kind: 'extension',
      key: `extension ${row.extname}`,
      schema: row.nspname,
      name: row.extname,
      definition: `schema ${row.nspname}`,
      facts: { version: row.extversion, qname: row.qname, qschema: row.qschema },
    })
  }
}

const RELATION_KINDS: Record<string, ObjectKind> = { r: 'table', p: 'table', f: 'table', v: 'view', m: 'materialized view' }

async function readRelations(r: Reader) {
  const rows = await run(
    r,
    `select n.nspname, c.relname, c.relkind, c.relpersistence, c.relrowsecurity, c.relforcerowsecurity, c.reloptions, c.relreplident,
            format('%I.%I', n.nspname, c.relname) as qname,
            case when c.relkind in ('v', 'm') then pg_get_viewdef(c.oid, true) end as viewdef,
            case when c.relkind = 'p' then pg_get_partkeydef(c.oid) end as partkey,
            case when c.relispartition then pg_get_expr(c.relpartbound, c.oid) end as bound,
            (select string_agg(pn.nspname || '.' || p.relname, ', ' order by i.inhseqno)
               from pg_inherits i join pg_class p on p.oid = i.inhparent join pg_namespace pn on pn.oid = p.relnamespace
              where i.inhrelid = c.oid) as parents,
            (select string_agg(format('%I.%I', pn.nspname, p.relname), ', ' order by i.inhseqno)
               from pg_inherits i join pg_class p on p.oid = i.inhparent join pg_namespace pn on pn.oid = p.relnamespace
              where i.inhrelid = c.oid) as qparents,
            (select format('%I', ic.relname) from pg_index i join pg_class ic on ic.oid = i.indexrelid where i.indrelid = c.oid and i.indisreplident) as replindex,
            case when c.relkind = 'v' then
              (select string_agg(format('%I', a.attname) || ' ' || format_type(a.atttypid, a.atttypmod), ', ' order by a.attnum)
                 from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped) end as viewcolumns,
            case when c.relkind in ('v', 'm') then
              array(select distinct dn.nspname || '.' || dc.relname
                      from pg_rewrite w join pg_depend d on d.classid = 'pg_rewrite'::regclass and d.objid = w.oid and d.refclassid = 'pg_class'::regclass
                      join pg_class dc on dc.oid = d.refobjid join pg_namespace dn on dn.oid = dc.relnamespace
                     where w.ev_class = c.oid and d.refobjid <> c.oid) end as reads
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p', 'f', 'v', 'm') and ${schemaFilter('n')} and ${notInExtension('pg_class', 'c.oid')}`,
  )
  for (const row of rows) {
    const kind = RELATION_KINDS[row.relkind]
    const key = `${kind} ${row.nspname}.${row.relname}`
    r.add({
      kind,
      key,
      schema: row.nspname,
      name: row.relname,
      definition: relationDefinition(row),
      facts: {
        relkind: row.relkind,
        qname: row.qname,
        persistence: row.relpersistence,
        partitionBy: row.partkey ?? undefined,
        partitionOf: row.bound ? row.qparents : undefined,
        bound: row.bound ?? undefined,
        inherits: !row.bound && row.qparents ? row.qparents : undefined,
        options: row.reloptions ?? [],
        replicaIdentity: replicaIdentity(row),
        viewdef: row.viewdef ?? undefined,
        viewColumns: row.viewcolumns ?? undefined,
        /** Relations this view reads (schema.name): views are created after those they read, and again when a column they read changes type. */
        reads: row.reads ?? undefined,
      },
    })
    if (row.relrowsecurity || row.relforcerowsecurity) {
      r.add({
        kind: 'row level security',
        key: `row level security ${row.nspname}.${row.relname}`,
        schema: row.nspname,
        name: row.relname,
        parent: key,
        definition: [row.relrowsecurity ? 'enabled' : 'disabled', row.relforcerowsecurity && 'forced'].filter(Boolean).join(', '),
        facts: { qname: row.qname, enabled: row.relrowsecurity, forced: row.relforcerowsecurity },
      })
    }
  }
}

/** REPLICA IDENTITY when it is not the default (the primary key); views and partitioned parents have none to speak of. */
function replicaIdentity(row: Row): string | undefined {
  if (!['r', 'm'].includes(row.relkind)) return undefined
  if (row.relreplident === 'f') return 'full'
  if (row.relreplident === 'n') return 'nothing'
  if (row.relreplident === 'i') return `using index ${row.replindex}`
  return undefined
}

function relationDefinition(row: Row): string {
  // Options and replica identity are appended only when set, so definitions read before they were recorded stay the same.
  const options = row.reloptions?.length ? `with (${row.reloptions.join(', ')})` : ''
  if (row.viewdef !== null) return [row.viewdef.trim(), options].filter(Boolean).join('\n')
  const parts = [row.relkind === 'f' ? 'foreign table' : row.relpersistence === 'u' ? 'unlogged table' : 'table']
  if (row.partkey) parts.push(`partition by ${row.partkey}`)
  if (row.bound) parts.push(`partition of ${row.parents} ${row.bound}`)
  else if (row.parents) parts.push(`inherits (${row.parents})`)
  if (options) parts.push(options)
  const identity = replicaIdentity(row)
  if (identity) parts.push(`replica identity ${identity}`)
  return parts.join(' ')
}

async function readColumns(r: Reader) {
  const generated = r.version >= 120000 ? 'a.attgenerated' : `''::text`
  // Postgres 17 keeps a default statistics target as null, earlier versions as -1.
  const statistics = r.version >= 170000 ? 'a.attstattarget' : 'nullif(a.attstattarget, -1)'
  const rows = await run(
    r,
    `select n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod) as type, a.atttypid, a.atttypmod, a.attnotnull,
            pg_get_expr(ad.adbin, ad.adrelid) as default, a.attidentity, ${generated} as generated, a.attislocal,
            ${statistics} as statistics, case when a.attstorage <> t.typstorage then a.attstorage end as storage,
            case when a.attcollation <> t.typcollation then co.collname end as collation,
            case when a.attcollation <> t.typcollation then format('%I.%I', con.nspname, co.collname) end as qcollation,
            format('%I.%I', n.nspname, c.relname) as qtable, format('%I', a.attname) as qname, a.attnum
       from pg_attribute a
       join pg_class c on c.oid = a.attrelid
       join pg_namespace n on n.oid = c.relnamespace
       join pg_type t on t.oid = a.atttypid
       left join pg_attrdef ad on ad.adrelid = a.attrelid and ad.adnum = a.attnum
       left join pg_collation co on co.oid = a.attcollation
       left join pg_namespace con on con.oid = co.collnamespace
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
      facts: {
        type: row.type,
        typeOid: row.atttypid,
        typmod: row.atttypmod,
        notNull: row.attnotnull,
        default: row.generated ? null : row.default,
        generated: row.generated === 's' ? 'stored' : row.generated === 'v' ? 'virtual' : null,
        expression: row.generated ? row.default : null,
        identity: row.attidentity === 'a' ? 'always' : row.attidentity === 'd' ? 'by default' : null,
        collation: row.qcollation,
        statistics: row.statistics,
        storage: STORAGE[row.storage],
        inherited: !row.attislocal,
        position: row.attnum,
        qtable: row.qtable,
        qname: row.qname,
      },
    })
  }
}

const STORAGE: Record<string, string> = { p: 'plain', e: 'external', m: 'main', x: 'extended' }

function columnDefinition(row: Row): string {
  const parts = [row.type]
  if (row.collation) parts.push(`collate ${row.collation}`)
  if (row.attnotnull) parts.push('not null')
  if (row.generated === 's' || row.generated === 'v')
    parts.push(`generated always as (${row.default})${row.generated === 's' ? ' stored' : ' virtual'}`)
  else if (row.default !== null) parts.push(`default ${row.default}`)
  if (row.attidentity === 'a') parts.push('generated always as identity')
  if (row.attidentity === 'd') parts.push('generated by default as identity')
  if (row.statistics !== null && row.statistics !== undefined) parts.push(`statistics ${row.statistics}`)
  if (row.storage) parts.push(`storage ${STORAGE[row.storage]}`)
  return parts.join(' ')
}

async function readIndexes(r: Reader) {
  // Indexes behind a primary key, unique or exclusion constraint are reported as that constraint.
  const rows = await run(
    r,
    `select n.nspname, ic.relname as name, c.relname as table, c.relkind, pg_get_indexdef(i.indexrelid) as def, i.indisunique,
            format('%I.%I', n.nspname, ic.relname) as qname,
            exists (select 1 from pg_inherits h where h.inhrelid = i.indexrelid) as inherited,
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
      parent: `${RELATION_KINDS[row.relkind] ?? 'table'} ${row.nspname}.${row.table}`,
      definition: row.def,
      // An index on a partition that belongs to an index on its parent comes and goes with that one.
      facts: { table: row.table, columns: row.columns, unique: row.indisunique, qname: row.qname, inherited: row.inherited },
    })
  }
}

async function readConstraints(r: Reader) {
  // Not-null constraints (pg_constraint contype 'n' since Postgres 18) are part of the column definition.
  const rows = await run(
    r,
    `select n.nspname, c.relname as table, k.conname, k.contype, pg_get_constraintdef(k.oid, true) as def, k.conislocal,
            format('%I.%I', n.nspname, c.relname) as qtable, format('%I', k.conname) as qname,
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
      facts: {
        table: row.table,
        type: row.contype,
        columns: row.columns,
        qtable: row.qtable,
        qname: row.qname,
        // A partition's copy of its parent's constraint comes with the partition.
        inherited: !row.conislocal,
      },
    })
  }
}

async function readSequences(r: Reader) {
  // Identity columns own a sequence of their own (pg_depend 'i'); the column definition already says identity.
  const rows = await run(
    r,
    `select n.nspname, c.relname, format('%I.%I', n.nspname, c.relname) as qname, format_type(s.seqtypid, null) as type, s.seqstart::text, s.seqincrement::text, s.seqmin::text, s.seqmax::text, s.seqcache::text, s.seqcycle,
            (select tn.nspname || '.' || t.relname
               from pg_depend d join pg_class t on t.oid = d.refobjid join pg_namespace tn on tn.oid = t.relnamespace
              where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'a' limit 1) as owner_table,
            (select tn.nspname || '.' || t.relname || '.' || a.attname
               from pg_depend d join pg_class t on t.oid = d.refobjid join pg_namespace tn on tn.oid = t.relnamespace
               join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
              where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'a' limit 1) as owned_by,
            (select format('%I.%I.%I', tn.nspname, t.relname, a.attname)
               from pg_depend d join pg_class t on t.oid = d.refobjid join pg_namespace tn on tn.oid = t.relnamespace
               join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
              where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'a' limit 1) as qowned_by
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
      facts: {
        qname: row.qname,
        type: row.type,
        start: row.seqstart,
        increment: row.seqincrement,
        min: row.seqmin,
        max: row.seqmax,
        cache: row.seqcache,
        cycle: row.seqcycle,
        ownedBy: row.qowned_by ?? undefined,
      },
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
            l.lanname, p.provolatile, p.proisstrict, p.prosecdef, p.proconfig, p.prosrc, ${sqlBody} as sqlbody,
            format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)) as qname,
            case when p.prokind <> 'a' then pg_get_functiondef(p.oid) end as def
       from pg_proc p
       join pg_namespace n on n.oid = p.pronamespace
       join pg_language l on l.oid = p.prolang
      where ${schemaFilter('n')} and ${notInExtension('pg_proc', 'p.oid')}`,
  )
  for (const row of rows) {
    const kind = ROUTINE_KINDS[row.prokind] ?? 'function'
    const key = `${kind} ${row.nspname}.${row.proname}(${row.argtypes})`
    r.add({
      kind,
      key,
      schema: row.nspname,
      name: row.proname,
      definition: routineDefinition(row),
      facts: { identity: row.identity, qname: row.qname, result: row.result, def: row.def ?? undefined },
    })
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
    `select n.nspname, t.typname, t.typtype, t.typnotnull, t.typdefault, format('%I.%I', n.nspname, t.typname) as qname,
            (select string_agg(format('%I', a.attname) || ' ' || format_type(a.atttypid, a.atttypmod), ', ' order by a.attnum)
               from pg_attribute a where a.attrelid = t.typrelid and a.attnum > 0 and not a.attisdropped) as qattributes,
            (select json_agg(json_build_object('name', k.conname, 'qname', format('%I', k.conname), 'def', pg_get_constraintdef(k.oid, true)) order by k.conname)
               from pg_constraint k where k.contypid = t.oid and k.contype <> 'n') as constraints,
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
      facts: {
        qname: row.qname,
        typtype: row.typtype,
        labels: row.typtype === 'e' ? row.labels : undefined,
        attributes: row.qattributes ?? undefined,
        subtype: row.subtype ?? undefined,
        base: row.typtype === 'd' ? row.base : undefined,
        notNull: row.typnotnull,
        default: row.typdefault ?? undefined,
        constraints: row.constraints ?? [],
      },
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
            pg_get_expr(p.polqual, p.polrelid) as using, pg_get_expr(p.polwithcheck, p.polrelid) as check,
            format('%I.%I', n.nspname, c.relname) as qtable, format('%I', p.polname) as qname,
            array(select case when role = 0 then 'public' else format('%I', pg_get_userbyid(role)) end from unnest(p.polroles) as role order by 1) as qroles
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
      facts: {
        qtable: row.qtable,
        qname: row.qname,
        qroles: row.qroles,
        permissive: row.polpermissive,
        command: POLICY_COMMANDS[row.polcmd] ?? row.polcmd,
        using: row.using,
        check: row.check,
      },
    })
  }
}

async function readTriggers(r: Reader) {
  const rows = await run(
    r,
    `select n.nspname, c.relname as table, c.relkind, t.tgname, pg_get_triggerdef(t.oid, true) as def, t.tgconstraint <> 0 as isconstraint,
            ${r.version >= 130000 ? 't.tgparentid <> 0' : 'false'} as inherited,
            format('%I.%I', n.nspname, c.relname) as qtable, format('%I', t.tgname) as qname
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
      // A partition's clone of its parent's trigger comes with the partition.
      facts: { qtable: row.qtable, qname: row.qname, constraint: row.isconstraint, inherited: row.inherited },
    })
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
