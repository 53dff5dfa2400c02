/**
 * `strata reset`: for a development database. Drop what the history created, then migrate again from the
 * first file. "What the history created" is read from the database itself: every schema except the system's,
 * the ledger's and a platform's (Supabase's auth, storage...), every object in `public`, and every extension
 * but plpgsql and the platform's. Roles stay (they belong to the server, not to this database); other
 * databases are never touched. The ledger's rows go, its events stay, with a `reset` event.
 *
 * Before anything is dropped, the rows of every table that goes are copied to `.strata/backups/` (strata
 * restore puts them back). Only on a database on this machine (loopback, a unix socket, --embedded):
 * any other host, a Supabase project, or a host pinned with --expect-host needs `--force` and `--yes`.
 */
import { resolveOptions, type Resolved } from '../config/index.js'
import { openTarget, type Target } from '../db/target.js'
import { connectionParams } from '../db/url.js'
import { isSupabaseHost } from '../db/supabase.js'
import { inTransaction } from '../db/transaction.js'
import { StrataError } from '../errors.js'
import { checksum, type MigrationFile } from '../runner/file-format.js'
import { clearRows, readLedgerState } from '../runner/ledger.js'
import { acquireLock } from '../runner/lock.js'
import type { BackupResult } from '../backup/index.js'
import { migrate, type MigrateOptions, type MigrateResult } from './migrate.js'

export interface ResetOptions extends MigrateOptions {
  /** Needed, with `yes`, for any database not on this machine. */
  force?: boolean
  yes?: boolean
  confirm?: (question: string) => Promise<boolean>
  /** Where the backup of the dropped tables goes; default `.strata/backups`. */
  backupRoot?: string
}

export interface ResetResult {
  target: string
  /** What was dropped: `schema app`, `table public.notes`, `extension pg_trgm`... */
  dropped: string[]
  /** The copy of the rows of the dropped tables; null when they held none. */
  backup: BackupResult | null
  migrated: MigrateResult
}

export async function reset(options: ResetOptions = {}): Promise<ResetResult> {
  const cfg = resolveOptions(options)
  refuseRemote(cfg, options)
  const target = await openTarget(cfg)
  const shown = target.shown
  let dropped: string[]
  let backup: BackupResult | null
  try {
    const drops = await whatToDrop(target, cfg.schema)
    await confirmed(
      options,
      `drop ${drops.length} object(s) in ${target.server.database} on ${target.shown}, then migrate from the first file?`,
    )
    backup = await backupRows(target, cfg.cwd, drops, options.backupRoot)
    await inTransaction(target.sql, async () => {
      await acquireLock(target.sql, cfg.schema, options.waitMs ?? 60_000)
      for (const d of drops) await target.sql.unsafe(d.sql)
      if ((await readLedgerState(target.sql, cfg.schema)).exists)
        await clearRows(target.sql, cfg.schema, { dropped: drops.map((d) => d.object), backup: backup?.dir ?? null })
    })
    dropped = drops.map((d) => d.object)
  } finally {
    await target.close()
  }
  const migrated = await migrate({ ...options, onTarget: undefined })
  return { target: shown, dropped, backup, migrated }
}

const LOOPBACK = /^(localhost|127(\.\d+){3}|::1|\[::1\])$/i

/** A database on this machine may be reset; anything else only with --force and --yes, and says why. */
function refuseRemote(cfg: Resolved, options: ResetOptions): void {
  if (cfg.embedded) return
  const endpoints = connectionParams(cfg.url!).endpoints
  const remote = endpoints.filter((e) => !e.socket && !LOOPBACK.test(e.host))
  if (!remote.length) return
  const host = remote[0].host
  const why = isSupabaseHost(host)
    ? `${host} is a Supabase project`
    : cfg.expectHost
      ? `${host} is the host --expect-host pins this job to`
      : `${host} is not on this machine`
  if (options.force && options.yes) return
  throw new StrataError('config', `refusing to reset: ${why}, and strata reset drops every table the history created`, {
    hint: 'reset is for development databases; if this really is one, pass --force --yes',
  })
}

interface Drop {
  object: string
  sql: string
}

/** Everything the history made here, in an order that drops cleanly (CASCADE takes what depends on it). */
async function whatToDrop(target: Target, ledger: string): Promise<Drop[]> {
  const { isSupabaseDatabase, SUPABASE_PLATFORM_EXTENSIONS, SUPABASE_PLATFORM_SCHEMAS } = await import('../db/supabase.js')
  const supabase = await isSupabaseDatabase(target.sql, target.url)
  const kept = ['public', ledger, ...(supabase ? SUPABASE_PLATFORM_SCHEMAS : [])]
  const keptExtensions = ['plpgsql', ...(supabase ? [...SUPABASE_PLATFORM_EXTENSIONS, 'uuid-ossp', 'pgcrypto'] : [])]
  const rows = await target.sql.unsafe(
    `select 1 as step, 'extension ' || e.extname as object, format('drop extension if exists %I cascade', e.extname) as sql
       from pg_extension e where e.extname <> all($2::text[])
     union all
     select 2, 'schema ' || n.nspname, format('drop schema if exists %I cascade', n.nspname)
       from pg_namespace n
      where n.nspname <> all($1::text[]) and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_(toast|temp)'
        and not exists (select 1 from pg_depend d where d.classid = 'pg_namespace'::regclass and d.objid = n.oid and d.deptype = 'e')
     union all
     select 3, case c.relkind when 'v' then 'view ' when 'm' then 'materialized view ' when 'S' then 'sequence ' when 'f' then 'foreign table ' else 'table ' end || 'public.' || c.relname,
            format('drop %s if exists public.%I cascade', case c.relkind when 'v' then 'view' when 'm' then 'materialized view' when 'S' then 'sequence' when 'f' then 'foreign table' else 'table' end, c.relname)
       from pg_class c
      where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f') and not c.relispartition
        and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype in ('e', 'a', 'i'))
     union all
     select 4, case p.prokind when 'p' then 'procedure ' when 'a' then 'aggregate ' else 'function ' end || 'public.' || p.proname,
            format('drop routine if exists public.%I(%s) cascade', p.proname, pg_get_function_identity_arguments(p.oid))
       from pg_proc p
      where p.pronamespace = 'public'::regnamespace
        and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
     union all
     select 5, case t.typtype when 'd' then 'domain ' else 'type ' end || 'public.' || t.typname,
            format('drop %s if exists public.%I cascade', case t.typtype when 'd' then 'domain' else 'type' end, t.typname)
       from pg_type t left join pg_class c on c.oid = t.typrelid
      where t.typnamespace = 'public'::regnamespace and (t.typtype in ('e', 'd', 'r', 'm') or (t.typtype = 'c' and c.relkind = 'c'))
        and not exists (select 1 from pg_depend d where d.classid = 'pg_type'::regclass and d.objid = t.oid and d.deptype = 'e')
     order by 1, 2`,
    [kept, keptExtensions],
  )
  return rows.map((r) => ({ object: r.object as string, sql: r.sql as string }))
}

/** The rows of every table that goes, read the way `strata backup` reads tables a migration drops. */
async function backupRows(target: Target, cwd: string, drops: Drop[], root?: string): Promise<BackupResult | null> {
  const statements = drops.filter((d) => /^(schema|table) /.test(d.object)).map((d) => `${d.sql};`)
  if (!statements.length) return null
  const content = statements.join('\n')
  const file: MigrationFile = {
    version: 0,
    name: 'reset',
    path: 'strata reset',
    content,
    checksum: checksum(content),
    noTransaction: false,
  }
  const { backupAtRisk } = await import('../backup/index.js')
  return backupAtRisk({ sql: target.sql, files: [file], findings: [], cwd, target: target.url, root })
}

async function confirmed(options: ResetOptions, question: string): Promise<void> {
  if (options.yes) return
  if (!options.confirm)
    throw new StrataError(
      'usage',
      'strata reset drops what the history created and needs confirmation, but there is no terminal to ask on',
      {
        hint: 'pass --yes to confirm',
      },
    )
  if (!(await options.confirm(question))) throw new StrataError('usage', 'reset cancelled: nothing changed')
}
