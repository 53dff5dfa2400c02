/**
 * `plan --trace --sample-rows N`: up to N rows of each table copied from the target into the scratch database,
 * so that rewrites, index builds and validation scans take a time that means something. The target is only
 * read (COPY ... TO STDOUT, in the caller's read-only transaction). Rows the history's own inserts already put
 * there are kept (ON CONFLICT DO NOTHING), and foreign keys are not checked while loading a sample, which
 * holds the rows of each table, not of the tables it references.
 */
import { pipeline } from 'node:stream/promises'
import type { Sql } from '../db/connect.js'
import { quoteIdent } from '../sql/quote.js'

export async function sampleRows(
  target: Sql,
  scratch: Sql,
  rows: number,
  onNote: (message: string) => void,
): Promise<{ tables: number; rows: number }> {
  const tables = await scratch.unsafe(
    `select n.nspname as schema, c.relname as name,
            array(select a.attname::text from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped and a.attgenerated = '' order by a.attnum) as columns
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p') and not c.relispartition and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_'`,
  )
  // Triggers and foreign keys off for this session: a sample of a table need not hold the rows it references.
  const replica = await scratch.unsafe(`set session_replication_role = replica`).then(
    () => true,
    () => false,
  )
  let copied = 0
  let count = 0
  try {
    for (const table of tables) {
      const columns = await commonColumns(target, table.schema, table.name, table.columns as string[])
      if (!columns.length) continue
      try {
        const n = await copyTable(target, scratch, `${quoteIdent(table.schema)}.${quoteIdent(table.name)}`, columns, rows)
        copied += n
        if (n) count++
      } catch (e) {
        onNote(
          `no sample rows for ${table.schema}.${table.name}: ${(e as Error).message}${replica ? '' : ' (the scratch user cannot turn foreign keys off)'}`,
        )
      }
    }
  } finally {
    if (replica) await scratch.unsafe('reset session_replication_role')
  }
  if (count) await scratch.unsafe('analyze') // plans on the scratch database as on data of this shape
  return { tables: count, rows: copied }
}

/** The stored columns the table has on both sides (the target may be ahead or behind in small ways). */
async function commonColumns(target: Sql, schema: string, name: string, columns: string[]): Promise<string[]> {
  const [row] = await target`
    select array(select a.attname::text from pg_attribute a
                  where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped and a.attgenerated = '') as columns
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = ${schema} and c.relname = ${name} and c.relkind in ('r', 'p')`
  if (!row) return []
  const there = new Set(row.columns as string[])
  return columns.filter((c) => there.has(c))
}

async function copyTable(target: Sql, scratch: Sql, table: string, columns: string[], rows: number): Promise<number> {
  const list = columns.map(quoteIdent).join(', ')
  await scratch.unsafe(`begin; create temp table strata_sample (like ${table}) on commit drop`)
  try {
    const from = await target.unsafe(`copy (select ${list} from ${table} limit ${rows}) to stdout`).readable()
    const into = await scratch.unsafe(`copy strata_sample (${list}) from stdin`).writable()
    await pipeline(from, into)
    // postgres.js 3.4 can leave its socket paused after a COPY that ended in a full chunk (see src/backup/index.ts).
    ;(from as unknown as { _read(size: number): void })._read(0)
    const [{ n }] = await scratch.unsafe(
      `with added as (insert into ${table} (${list}) overriding system value select ${list} from strata_sample on conflict do nothing returning 1)
       select count(*)::int as n from added`,
    )
    await scratch.unsafe('commit')
    return n
  } catch (e) {
    await scratch.unsafe('rollback').catch(() => {})
    throw e
  }
}
