import { common, list, type Flags, type Register } from './options.js'
import { c } from './output.js'
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
      'Put a backup back: rows into empty or dropped tables, values into dropped or empty columns (--force: over existing data).',
    )
    .option('--force', 'also restore into tables with rows (merge by primary key) and over non-NULL column values', false)
    .option('--table', 'only this table, schema.name or name (repeatable)')
    .example('restore .strata/backups/2025-01-31T09-30-00-000Z')
    .action(
      wrap(async (out, dir, flags) => {
        if (typeof dir !== 'string' || !dir)
          throw new StrataError(
            'usage',
            'strata restore needs the backup directory, e.g. strata restore .strata/backups/2025-01-31T09-30-00-000Z',
          )
        const f = flags as Flags
        const { restore } = await import('../commands/restore.js')
        const result = await restore({ ...common(f), dir, force: !!f.force, tables: list(f, 'table') })
        out.result({ ok: true, ...result })
        out.line(`${c.dim('backup')} ${result.backup}, taken ${result.takenAt} from ${result.takenFrom}`)
        if (result.otherDatabase) out.note(c.yellow(`note: ${result.otherDatabase}`))
        for (const t of result.tables) {
          out.line(`${c.green('restored')}  ${t.table}: ${said[t.action]} ${t.rows} row(s)`)
          if (t.addedColumns.length) out.line(`  added back column(s) ${t.addedColumns.join(', ')}`)
          for (const n of t.notes) out.line(`  ${c.dim(n)}`)
        }
        out.line(`${result.tables.length} table(s) restored in one transaction`)
      }),
    )
}
