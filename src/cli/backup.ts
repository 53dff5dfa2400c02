import { common, list, str, version, type Flags, type Register } from './options.js'
import { c, type Out } from './output.js'
import { mb, tableProgress } from './progress.js'
import type { FullBackupResult } from '../commands/backup.js'

export const registerBackup: Register = (prog, wrap) => {
  prog
    .command('backup', 'Copy the data the pending migrations would destroy into .strata/backups/<timestamp>/; --all: the whole database.')
    .option('--to', 'only the pending files up to this version')
    .option('--out-of-order', 'include pending files that sort before the last applied one', false)
    .option('--out', 'directory for backups (default .strata/backups); with --all, the backup directory itself')
    .option('--all', 'a full backup: the ledger and every table, no pg_dump needed', false)
    .option('--allow-drift', '--all: back up even when the database does not match its history', false)
    .option('--check', '--all: restore the backup into a scratch database and compare', false)
    .option('--scratch-url', '--check: an empty database to restore into (default: an embedded scratch Postgres)')
    .option('--exclude-schema', '--all: leave a schema out (repeatable), e.g. auth')
    .example('backup --url "$DATABASE_URL"')
    .example('backup --all --check --out backups/2025-01-31')
    .action(
      wrap(async (out, flags) => {
        const f = flags as Flags
        const options = common(f)
        const { backup } = await import('../commands/backup.js')
        if (f.all) return printFull(out, await backupAll(f, options, out))
        const result = await backup({
          ...options,
          to: version(f, 'to'),
          outOfOrder: !!f['out-of-order'],
          root: str(f, 'out'),
          onNote: (message) => out.note(c.yellow(`note: ${message}`)),
        })
        out.result({ ok: true, ...result })
        if (!result.backup) {
          out.line(
            result.pending.length
              ? `nothing to back up: the ${result.pending.length} pending file(s) destroy no data that exists in this database`
              : 'nothing to back up: no pending migrations',
          )
          return
        }
        for (const t of result.backup.tables)
          out.line(`${c.green('backed up')}  ${t.table}  ${c.dim(`${t.rows} row(s)${t.where ? ' that a cascade removes' : ''}`)}`)
        out.line(`backup in ${result.backup.dir}`)
        out.line(`to put it back: strata restore ${result.backup.dir}`)
      }),
    )
}

async function backupAll(f: Flags, options: ReturnType<typeof common>, out: Out): Promise<FullBackupResult> {
  const { backup } = await import('../commands/backup.js')
  const progress = tableProgress(out)
  return backup({
    ...options,
    all: true,
    root: str(f, 'out'),
    allowDrift: !!f['allow-drift'],
    check: !!f.check,
    scratchUrl: str(f, 'scratch-url'),
    excludeSchemas: list(f, 'exclude-schema'),
    onProgress: (e) => {
      if (e.type === 'copying') progress.moving('backing up', e.table, e.bytes, e.ms)
      else if (e.type === 'table') progress.done('backed up', e.table, e.rows, e.bytes, e.ms)
      else if (e.type === 'loading') progress.moving('checking', e.table, e.bytes, e.ms)
      else if (e.type === 'note') out.note(c.yellow(`note: ${e.message}`))
    },
  })
}

function printFull(out: Out, r: FullBackupResult): number {
  out.result({ ok: !r.check || r.check.ok, ...r })
  for (const n of r.notes) out.line(c.yellow(`note: ${n}`))
  out.line(
    `full backup in ${r.dir}: ${r.files.length} file(s), ${r.rows.toLocaleString('en')} row(s), ${mb(r.bytes)} of rows, ${r.sequences} sequence(s), history up to version ${r.version ?? '(none)'}`,
  )
  if (r.check) {
    for (const m of r.check.mismatches) out.line(`${c.red('mismatch')}  ${m}`)
    if (r.check.differences.length) {
      out.line(`${c.red('schema')}  the restored catalog differs from the source's:`)
      for (const d of r.check.differences) out.line(`  ${d.kind} ${d.object}`)
    }
    out.line(
      r.check.ok
        ? c.green(
            `checked: restored into ${r.check.scratch}; ${r.check.tables} table(s) and ${r.check.rows.toLocaleString('en')} row(s) read back identical, same catalog`,
          )
        : c.red(`check failed: the backup does not restore to the same database`),
    )
    if (!r.check.ok) return 1
  }
  out.line(`to restore: strata restore ${r.dir} --url <an empty database>`)
  return 0
}
