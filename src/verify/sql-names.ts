/**
 * Names and types as the parser gives them, turned into two forms: text the server can resolve
 * (`"public"."mood"[]`, `"pg_catalog"."varchar"(20)`) and the readable form used in keys and messages
 * (`public.mood[]`, `character varying(20)`).
 */
import type { Node, TypeName } from '@pgsql/types'
import { quoteIdent } from '../sql/quote.js'
import { BUILTIN_TYPE_NAMES } from '../sql/type-names.js'

/** A type as written in a migration, with its schema filled in when the files themselves created it. */
export interface TypeRef {
  /** Schema as written or resolved; undefined means "resolved by the server's search_path" (built-in and extension types). */
  schema?: string
  name: string
  /** Integer modifiers (20 in varchar(20)); undefined when there are none or they are not plain integers. */
  mods?: number[]
  /** True when modifiers exist that this module cannot render (interval fields): compare the base type only. */
  baseOnly?: boolean
  arrayDims: number
}

const SERIALS: Record<string, string> = {
  serial: 'int4',
  serial4: 'int4',
  bigserial: 'int8',
  serial8: 'int8',
  smallserial: 'int2',
  serial2: 'int2',
}

export function typeRef(t: TypeName | undefined): TypeRef | undefined {
  if (!t?.names?.length || t.pct_type) return undefined
  const parts = strings(t.names)
  let name = parts.pop()!
  let schema = parts.pop()
  if (!schema && SERIALS[name]) {
    name = SERIALS[name]
    schema = 'pg_catalog'
  }
  const ref: TypeRef = { schema, name, arrayDims: t.arrayBounds?.length ?? 0 }
  const mods = (t.typmods ?? []).map(integerConstant)
  if (mods.length && mods.every((m): m is number => m !== undefined) && name !== 'interval') ref.mods = mods
  else if (mods.length) ref.baseOnly = true
  return ref
}

export const isSerial = (t: TypeName | undefined) => !!t?.names && t.names.length === 1 && strings(t.names)[0] in SERIALS

function integerConstant(node: Node): number | undefined {
  const c = (node as { A_Const?: { ival?: { ival?: number } } }).A_Const
  if (!c?.ival) return undefined
  return c.ival.ival ?? 0
}

export function strings(nodes: Node[] | undefined): string[] {
  return (nodes ?? []).flatMap((n) => ('String' in n ? [n.String.sval ?? ''] : []))
}

export { quoteIdent }

/** Text that to_regtype / to_regprocedure parse; the server resolves an unqualified name through its search_path. */
export function typeSql(t: TypeRef): string {
  const name = (t.schema ? `${quoteIdent(t.schema)}.` : '') + quoteIdent(t.name)
  return name + (t.mods ? `(${t.mods.join(',')})` : '') + '[]'.repeat(t.arrayDims)
}

/** How format_type would print it, near enough for keys and messages: `character varying(20)`, `public.mood[]`. */
export function typeText(t: TypeRef): string {
  const builtin = !t.schema || t.schema === 'pg_catalog'
  const sqlName = builtin ? BUILTIN_TYPE_NAMES[t.name.toLowerCase()] : undefined
  const mods = t.mods ? `(${t.mods.join(',')})` : ''
  let text: string
  if (sqlName && / with(out)? time zone$/.test(sqlName)) text = sqlName.replace(/ with/, `${mods} with`)
  else text = `${sqlName ?? (builtin ? t.name : `${t.schema}.${t.name}`)}${mods}`
  return text + '[]'.repeat(t.arrayDims)
}
