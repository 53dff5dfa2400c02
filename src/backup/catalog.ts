/** What the catalog says about the tables at risk: which exist, their columns, keys and references. */
import type { Sql } from '../db/connect.js'
import { quoteIdent, quoteLiteral } from '../sql/quote.js'
import type { Name } from './at-risk.js'

export interface ColumnDef {
  name: string
  /** As format_type spells it, e.g. `character varying(40)`, `numeric(10,2)`, `public.mood[]`. */
  type: string
  notNull: boolean
  default?: string
  identity?: 'always' | 'by default'
  /** The expression of a stored generated column: never copied, recomputed by the server. */
  generated?: string
  /** The sequence a serial or identity column takes its values from. */
  sequence?: string
}

export interface TableInfo {
  oid: number
  schema: string
  name: string
  columns: ColumnDef[]
  primaryKey: string[]
}

export const qualified = (t: { schema: string; name: string }) => `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`
export const display = (t: { schema: string; name: string }) => `${t.schema}.${t.name}`

/** The oid of an ordinary or partitioned table, resolved as the server would (search_path for unqualified names). */
export async function tableOid(sql: Sql, name: Name): Promise<number | undefined> {
  const text = name.schema ? `${quoteIdent(name.schema)}.${quoteIdent(name.name)}` : quoteIdent(name.name)
  const [row] = await sql`select c.oid::int as oid from pg_class c where c.oid = to_regclass(${text}) and c.relkind in ('r', 'p')`
  return row?.oid
}

export async function tablesInSchema(sql: Sql, schema: string): Promise<number[]> {
  const rows = await sql`
    select c.oid::int as oid from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = ${schema} and c.relkind in ('r', 'p') and not c.relispartition`
  return rows.map((r) => r.oid)
}

/** Tables that reference these through foreign keys, transitively: what TRUNCATE ... CASCADE also empties. */
export async function referencingTables(sql: Sql, oids: number[]): Promise<number[]> {
  if (!oids.length) return []
  const rows = await sql`
    with recursive refs(oid) as (
      select unnest(${`{${oids.join(',')}}`}::int[])::oid
      union
      select c.conrelid from pg_constraint c join refs on c.confrelid = refs.oid where c.contype = 'f'
    ) select oid::int as oid from refs`
  return rows.map((r) => r.oid).filter((oid) => !oids.includes(oid))
}

/** Columns whose type is this type or domain (or an array of it): DROP TYPE ... CASCADE drops them. */
export async function columnsOfType(sql: Sql, type: Name): Promise<{ oid: number; column: string }[]> {
  const text = type.schema ? `${quoteIdent(type.schema)}.${quoteIdent(type.name)}` : quoteIdent(type.name)
  const rows = await sql`
    select a.attrelid::int as oid, a.attname as column
      from pg_attribute a join pg_class c on c.oid = a.attrelid
     where c.relkind in ('r', 'p') and not c.relispartition and a.attnum > 0 and not a.attisdropped
       and a.atttypid in (select t.oid from pg_type t where t.oid = to_regtype(${text}) union select t.typarray from pg_type t where t.oid = to_regtype(${text}))`
  return rows.map((r) => ({ oid: r.oid, column: r.column }))
}

export async function tableInfo(sql: Sql, oid: number): Promise<TableInfo> {
  const [table] =
    await sql`select n.nspname as schema, c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.oid = ${oid}`
  const columns = await sql`
    select a.attname as name, format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as not_null,
           case when a.attgenerated = '' then pg_get_expr(d.adbin, d.adrelid) end as default,
           case when a.attgenerated <> '' then pg_get_expr(d.adbin, d.adrelid) end as generated,
           a.attidentity as identity,
           pg_get_serial_sequence(format('%I.%I', n.nspname, c.relname), a.attname) as sequence
      from pg_attribute a
      join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
      left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
     where a.attrelid = ${oid} and a.attnum > 0 and not a.attisdropped
     order by a.attnum`
  const [pk] = await sql`
    select coalesce(array_agg(a.attname::text order by k.ord), '{}'::text[]) as columns
      from pg_index i, unnest(i.indkey) with ordinality as k(attnum, ord)
      join pg_attribute a on a.attrelid = ${oid} and a.attnum = k.attnum
     where i.indrelid = ${oid} and i.indisprimary`
  return {
    oid,
    schema: table.schema,
    name: table.name,
    columns: columns.map((c) => ({
      name: c.name,
      type: c.type,
      notNull: c.not_null,
      ...(c.default != null && { default: c.default }),
      ...(c.identity === 'a' && { identity: 'always' as const }),
      ...(c.identity === 'd' && { identity: 'by default' as const }),
      ...(c.generated != null && { generated: c.generated }),
      ...(c.sequence != null && { sequence: c.sequence }),
    })),
    primaryKey: pk.columns,
  }
}

/** A statement that puts back part of a dropped table, and what it is, for people. */
export interface ObjectStatement {
  what: string
  sql: string
  /** A query whose one row says whether the object is there already (dependents of another table). */
  exists?: string
}

/**
 * Everything of a table besides its columns and primary key, recorded when it is backed up so that a
 * dropped table comes back as it was. Names are schema-qualified (read with search_path = pg_catalog).
 */
export interface TableObjects {
  owner: string
  /** Row level security: restore refuses to leave it off when it was on. */
  rls: { enabled: boolean; forced: boolean }
  /** Run after the rows are in, in order: indexes, constraints, foreign keys, triggers, policies, grants, comments, owner. */
  statements: ObjectStatement[]
  /** Views on it and foreign keys of other tables that point at it: DROP TABLE ... CASCADE removes them. Put back when they are gone. */
  dependents: ObjectStatement[]
  /** What strata cannot put back (partitioning, inheritance, storage options...): said at restore, never dropped silently. */
  notRestored: string[]
}

export async function tableObjects(sql: Sql, oid: number): Promise<TableObjects> {
  const [{ path }] = await sql`select current_setting('search_path') as path`
  await sql`select set_config('search_path', 'pg_catalog', true)` // every name pg_get_*def prints comes qualified
  try {
    return await readTableObjects(sql, oid)
  } finally {
    await sql`select set_config('search_path', ${path}, true)`
  }
}

async function readTableObjects(sql: Sql, oid: number): Promise<TableObjects> {
  const [t] = await sql`
    select format('%I.%I', n.nspname, c.relname) as name, pg_get_userbyid(c.relowner) as owner, c.relrowsecurity as rls,
           c.relforcerowsecurity as forced, c.relkind, c.relpersistence, c.reloptions::text as options, c.relreplident,
           exists (select 1 from pg_inherits i where i.inhrelid = c.oid) as inherits, obj_description(c.oid, 'pg_class') as comment
      from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.oid = ${oid}`
  const name = t.name as string
  const statements: ObjectStatement[] = []
  const add = (what: string, text: string) => statements.push({ what, sql: text })
  const indexes = await sql`
    select i.indexrelid::regclass::text as name, pg_get_indexdef(i.indexrelid) as def from pg_index i
     where i.indrelid = ${oid} and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid and k.conrelid = ${oid})`
  for (const i of indexes) add(`index ${i.name}`, i.def)
  const constraints = await sql`
    select conname, contype, pg_get_constraintdef(oid) as def from pg_constraint
     where conrelid = ${oid} and contype not in ('p', 'n') order by contype = 'f', conname`
  for (const k of constraints) add(`constraint ${k.conname}`, `alter table ${name} add constraint ${quoteIdent(k.conname)} ${k.def}`)
  const triggers = await sql`select tgname, pg_get_triggerdef(oid) as def from pg_trigger where tgrelid = ${oid} and not tgisinternal`
  for (const g of triggers) add(`trigger ${g.tgname}`, g.def)
  const policies = await sql`
    select policyname, permissive, roles::text[] as roles, cmd, qual, with_check from pg_policies
     where schemaname = (select nspname from pg_namespace n join pg_class c on c.relnamespace = n.oid where c.oid = ${oid})
       and tablename = (select relname from pg_class where oid = ${oid})`
  for (const p of policies) add(`policy ${p.policyname}`, policySql(name, p))
  for (const g of await grants(sql, oid, name)) statements.push(g)
  // The sequences of serial columns come back with the table: so do their grants.
  const owned = await sql`
    select d.objid::regclass::text as seq from pg_depend d join pg_class s on s.oid = d.objid
     where d.refobjid = ${oid} and d.classid = 'pg_class'::regclass and s.relkind = 'S' and d.deptype = 'a'`
  for (const { seq } of owned) {
    const rows = await sql`
      select a.privilege_type, a.is_grantable, case when a.grantee = 0 then 'public' else quote_ident(pg_get_userbyid(a.grantee)) end as grantee
        from pg_class c, aclexplode(c.relacl) a where c.oid = ${seq}::regclass and a.grantee <> c.relowner`
    for (const g of rows)
      add(
        `grant ${g.privilege_type} on sequence ${seq} to ${g.grantee}`,
        `grant ${g.privilege_type} on sequence ${seq} to ${g.grantee}${g.is_grantable ? ' with grant option' : ''}`,
      )
  }
  if (t.comment !== null) add('comment on the table', `comment on table ${name} is ${quoteLiteral(t.comment)}`)
  const columnComments = await sql`
    select attname, col_description(attrelid, attnum) as comment from pg_attribute
     where attrelid = ${oid} and attnum > 0 and not attisdropped and col_description(attrelid, attnum) is not null`
  for (const c of columnComments)
    add(`comment on column ${c.attname}`, `comment on column ${name}.${quoteIdent(c.attname)} is ${quoteLiteral(c.comment)}`)
  add(`owner ${t.owner}`, `alter table ${name} owner to ${quoteIdent(t.owner)}`)
  const referencedBy = await sql`
    select conname, conrelid::regclass::text as tbl, pg_get_constraintdef(oid) as def from pg_constraint
     where confrelid = ${oid} and conrelid <> ${oid} and contype = 'f'`
  // Views on the table: DROP TABLE ... CASCADE drops them too.
  const views = await sql`
    select distinct v.oid::regclass::text as name, v.relkind, pg_get_viewdef(v.oid) as def
      from pg_depend d join pg_rewrite r on r.oid = d.objid join pg_class v on v.oid = r.ev_class
     where d.classid = 'pg_rewrite'::regclass and d.refobjid = ${oid} and v.oid <> ${oid}`
  const notRestored = [
    t.relkind === 'p' && 'partitioning: recreated as a plain table that holds every row',
    t.inherits && 'inheritance from its parent table',
    t.relpersistence === 'u' && 'UNLOGGED: recreated as a logged table',
    t.options && `storage options ${t.options}`,
    t.relreplident !== 'd' && 'REPLICA IDENTITY (back to the default)',
  ].filter((x): x is string => !!x)
  return {
    owner: t.owner,
    rls: { enabled: t.rls, forced: t.forced },
    statements,
    dependents: [
      ...views.map((v) => ({
        what: `${v.relkind === 'm' ? 'materialized view' : 'view'} ${v.name}`,
        sql: `create ${v.relkind === 'm' ? 'materialized view' : 'view'} ${v.name} as ${String(v.def).replace(/;\s*$/, '')}`,
        exists: `select to_regclass(${quoteLiteral(v.name)}) is not null as exists`,
      })),
      ...referencedBy.map((r) => ({
        what: `foreign key ${r.conname} of ${r.tbl}`,
        sql: `alter table ${r.tbl} add constraint ${quoteIdent(r.conname)} ${r.def}`,
        exists: `select exists (select 1 from pg_constraint where conname = ${quoteLiteral(r.conname)} and conrelid = to_regclass(${quoteLiteral(r.tbl)})) as exists`,
      })),
    ],
    notRestored,
  }
}

function policySql(table: string, p: Record<string, any>): string {
  const roles = (p.roles as string[]).map((r) => (r === 'public' ? 'public' : quoteIdent(r))).join(', ')
  return [
    `create policy ${quoteIdent(p.policyname)} on ${table} as ${String(p.permissive).toLowerCase()} for ${String(p.cmd).toLowerCase()} to ${roles}`,
    p.qual !== null ? `using (${p.qual})` : '',
    p.with_check !== null ? `with check (${p.with_check})` : '',
  ]
    .filter(Boolean)
    .join(' ')
}

/** Table and column privileges as GRANT statements (the owner's own are implicit). */
async function grants(sql: Sql, oid: number, name: string): Promise<ObjectStatement[]> {
  const rows = await sql`
    select null::text as col, a.privilege_type, a.is_grantable, case when a.grantee = 0 then 'public' else quote_ident(pg_get_userbyid(a.grantee)) end as grantee
      from pg_class c, aclexplode(c.relacl) a where c.oid = ${oid} and a.grantee <> c.relowner
    union all
    select att.attname::text, a.privilege_type, a.is_grantable, case when a.grantee = 0 then 'public' else quote_ident(pg_get_userbyid(a.grantee)) end
      from pg_attribute att, aclexplode(att.attacl) a where att.attrelid = ${oid} and att.attnum > 0 and not att.attisdropped and att.attacl is not null
    order by 1 nulls first, 4, 2`
  return rows.map((g) => ({
    what: `grant ${g.privilege_type}${g.col ? ` (${g.col})` : ''} to ${g.grantee}`,
    sql: `grant ${g.privilege_type}${g.col ? ` (${quoteIdent(g.col)})` : ''} on table ${name} to ${g.grantee}${g.is_grantable ? ' with grant option' : ''}`,
  }))
}

/** A foreign key whose ON DELETE action reaches into another table. */
export interface CascadeEdge {
  /** The referencing table and its key columns, the referenced table and its columns. */
  child: number
  childColumns: string[]
  parent: number
  parentColumns: string[]
  /** c: the rows go; n / d: the key columns are set to NULL / their default. */
  action: 'c' | 'n' | 'd'
}

/** Foreign keys with ON DELETE CASCADE, SET NULL or SET DEFAULT that point at this table. */
export async function cascadesInto(sql: Sql, parent: number): Promise<CascadeEdge[]> {
  const rows = await sql`
    select k.conrelid::int as child, k.confrelid::int as parent, k.confdeltype as action,
           (select array_agg(a.attname::text order by x.ord) from unnest(k.conkey) with ordinality x(n, ord) join pg_attribute a on a.attrelid = k.conrelid and a.attnum = x.n) as child_columns,
           (select array_agg(a.attname::text order by x.ord) from unnest(k.confkey) with ordinality x(n, ord) join pg_attribute a on a.attrelid = k.confrelid and a.attnum = x.n) as parent_columns
      from pg_constraint k where k.contype = 'f' and k.confrelid = ${parent} and k.confdeltype in ('c', 'n', 'd')`
  return rows.map((r) => ({
    child: r.child,
    childColumns: r.child_columns,
    parent: r.parent,
    parentColumns: r.parent_columns,
    action: r.action,
  }))
}
