import { common, list, type Flags, type Register } from './options.js'
import { c } from './output.js'
import { tableProgress } from './progress.js'
import { StrataError } from '../errors.js'

const said: Record<string, string> = {
  recreated: 'recreated the table and put back',
  filled: 'put back',
  merged: 'merged (--force)',
  appended: 'appended (--force)',
  columns: 'put back column values of',
}

export const registerRestore: Register = (prog, wrap) => {
  prog
    .command(
      'restore [dir]',
      'Put a backup back: an at-risk backup into its database, a full backup (backup --all) into an empty database.',
    )
    .option('--force', 'at-risk: also restore into tables with rows (merge by primary key) and over non-NULL column values', false)
    .option('--table', 'at-risk: only this table, schema.name or name (repeatable)')
    .example('restore .strata/backups/2025-01-31T09-30-00-000Z')
    .example('restore backups/2025-01-31 --url postgres://localhost/empty_db')
    .action(
      wrap(async (out, dir, flags) => {
        if (typeof dir !== 'string' || !dir)
          throw new StrataError(
            'usage',
            'strata restore needs the backup directory, e.g. strata restore .strata/backups/2025-01-31T09-30-00-000Z',
          )
        const f = flags as Flags
        const { restore } = await import('../commands/restore.js')
        const progress = tableProgress(out)
        const options = common(f)
        const result = await restore({
          ...options,
          migrationsDir: options.dir,
          dir,
          force: !!f.force,
          tables: list(f, 'table'),
          onProgress: (e) => {
            if (e.type === 'replayed') out.line(`${c.green('replayed')}  ${e.file}`)
            else if (e.type === 'loading') progress.moving('loading', e.table, e.bytes, e.ms)
            else if (e.type === 'loaded') progress.done('loaded', e.table, e.rows, e.bytes, e.ms)
            else if (e.type === 'note') out.note(c.yellow(`note: ${e.message}`))
          },
        })
        out.result({ ok: true, ...result })
        out.line(`${c.dim('backup')} ${result.backup}, taken ${result.takenAt} from ${result.takenFrom}`)
        if (result.otherDatabase) out.note(c.yellow(`note: ${result.otherDatabase}`))
        if (result.full) {
          const r = result.full
          if (r.missingRoles.length) out.note(c.yellow(`note: roles the source had and this server lacks: ${r.missingRoles.join(', ')}`))
          const rows = r.tables.reduce((n, t) => n + t.rows, 0)
          out.line(
            `restored: ${r.replayed} file(s) replayed up to version ${r.version ?? '(none)'}, ${r.tables.length} table(s) with ${rows.toLocaleString('en')} row(s) (counts match the manifest), ${r.sequences} sequence(s) set`,
          )
          return
        }
        for (const t of result.tables) {
          out.line(`${c.green('restored')}  ${t.table}: ${said[t.action]} ${t.rows} row(s)`)
          if (t.addedColumns.length) out.line(`  added back column(s) ${t.addedColumns.join(', ')}`)
          for (const n of t.notes) out.line(`  ${n.startsWith('not restored') ? c.yellow(n) : c.dim(n)}`)
        }
        out.line(`${result.tables.length} table(s) restored in one transaction`)
      }),
    )
}
