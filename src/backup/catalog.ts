/** What the catalog says about the tables at risk: which exist, their columns, keys and references. */
import type { Sql } from '../db/connect.js'
import { quoteIdent } from '../sql/quote.js'
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
