/** What every catalog reader of a snapshot shares: the query helper and the filters that keep system and extension objects out. */
import type { Sql } from '../db/connect.js'
import type { SnapshotObject } from './types.js'

export type Row = Record<string, any>

export interface Reader {
  q: Sql
  /** Schemas left out: the system's and the caller's. */
  excluded: string[]
  excludeExtensions: string[]
  version: number
  add(o: SnapshotObject): void
}

/** Schemas a snapshot reads: not system, not excluded, not temporary. */
export const schemaFilter = (alias: string) =>
  `${alias}.nspname <> all($1::text[]) and ${alias}.nspname not like 'pg\\_toast%' and ${alias}.nspname not like 'pg\\_temp\\_%'`

/** Objects that belong to an extension come with it: the extension itself is what is compared. */
export const notInExtension = (catalog: string, oid: string) =>
  `not exists (select 1 from pg_depend d where d.classid = '${catalog}'::regclass and d.objid = ${oid} and d.deptype = 'e')`

export const run = (r: Reader, text: string) => r.q.unsafe(text, text.includes('$1') ? [r.excluded] : []) as unknown as Promise<Row[]>

/** A role as grants and policies name it: `public` for the pseudo-role 0. */
export const roleName = (oid: string) => `case when ${oid} = 0 then 'public' else pg_get_userbyid(${oid}) end`
export const quotedRole = (oid: string) => `case when ${oid} = 0 then 'public' else format('%I', pg_get_userbyid(${oid})) end`
