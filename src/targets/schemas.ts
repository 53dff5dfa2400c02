/**
 * `--each-schema PATTERN`: every schema of the `--url` database whose name is LIKE the pattern is a tenant.
 * Each tenant has a ledger of its own, in a schema of its own beside it (`strata_<tenant>` with the default
 * --schema), so that the tenant's own tables keep every name, and each tenant has its own lock. The files run
 * with the tenant first in their search_path, then the database's own ("$user", public), so extensions
 * installed once in public stay usable.
 */
import { createHash } from 'node:crypto'
import type { Sql } from '../db/connect.js'
import { changeUrl } from '../db/url.js'
import { quoteIdent } from '../sql/quote.js'
import type { TargetSpec } from './list.js'

const MAX_IDENTIFIER = 63 // bytes: Postgres cuts longer names (NAMEDATALEN - 1)

/** The ledger schema of a tenant: `<schema>_<tenant>`, or with a hash when the tenant's name is not plain or too long. */
export function tenantLedger(schema: string, tenant: string): string {
  const plain = `${schema}_${tenant}`
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(plain) && plain.length <= MAX_IDENTIFIER) return plain
  const hash = createHash('sha256').update(tenant).digest('hex').slice(0, 8)
  return `${`${schema}_${tenant.replace(/[^A-Za-z0-9_]/g, '_')}`.slice(0, MAX_IDENTIFIER - 9)}_${hash}`
}

/**
 * The tenant schemas, sorted by name. Never a system schema, the ledger schema, or any schema that holds a
 * Strata ledger (the tenants' own ledgers, which `%` patterns would match too).
 */
export async function discoverSchemas(sql: Sql, url: string, pattern: string, ledgerSchema: string): Promise<TargetSpec[]> {
  const [paths] = await sql.unsafe(`select current_setting('search_path') as path, to_json(current_schemas(false)) as schemas`)
  const rows = await sql.unsafe(
    `select n.nspname as name
       from pg_namespace n
      where n.nspname like $1 and n.nspname <> $2 and n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
        and not exists (select from pg_class c
                         where c.relnamespace = n.oid and c.relname = 'migrations' and c.relkind = 'r'
                           and obj_description(c.oid, 'pg_class') like 'Strata:%')
      order by n.nspname collate "C"`,
    [pattern, ledgerSchema],
  )
  return rows.map(({ name }) => ({
    name,
    kind: 'schema' as const,
    url,
    schema: tenantLedger(ledgerSchema, name),
    searchPath: paths.path ? `${quoteIdent(name)}, ${paths.path}` : quoteIdent(name),
    searchSchemas: [name, ...(paths.schemas as string[]).filter((s) => s !== name)],
  }))
}

/**
 * A tenant's URL with its search_path as a connection setting: statements outside a transaction (no-transaction
 * files) see only that one. Poolers in transaction mode refuse or drop it; then transactional files still get
 * the tenant's search_path in each transaction, and a no-transaction file refuses to run (src/runner/no-transaction.ts).
 */
export function withSessionSearchPath(spec: TargetSpec): string {
  return changeUrl(spec.url, { params: { search_path: spec.searchPath! } })
}

/** A pooler refused the connection setting (PgBouncer: `unsupported startup parameter: search_path`). */
export function refusedSearchPath(e: unknown): boolean {
  const err = e as { code?: string; message?: string }
  return err?.code === 'connection' && /startup parameter/i.test(err.message ?? '')
}
