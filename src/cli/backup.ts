import { common, str, version, type Flags, type Register } from './options.js'
import { c } from './output.js'

export const registerBackup: Register = (prog, wrap) => {
  prog
    .command('backup', 'Copy the data the pending migrations would destroy into .strata/backups/<timestamp>/.')
    .option('--to', 'only the pending files up to this version')
    .option('--out-of-order', 'include pending files that sort before the last applied one', false)
    .option('--out', 'directory for backups (default .strata/backups)')
    .example('backup --url "$DATABASE_URL"')
    .action(
      wrap(async (out, flags) => {
        const f = flags as Flags
        const options = common(f)
        const { backup } = await import('../commands/backup.js')
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
        for (const t of result.backup.tables) out.line(`${c.green('backed up')}  ${t.table}  ${c.dim(`${t.rows} row(s)`)}`)
        out.line(`backup in ${result.backup.dir}`)
        out.line(`to put it back: strata restore ${result.backup.dir}`)
      }),
    )
}
