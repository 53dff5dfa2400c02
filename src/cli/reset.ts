import { common, lockOptions, withLockFlags, type Flags, type Register } from './options.js'
import { c } from './output.js'
import { terminalConfirm } from './confirm.js'

export const registerReset: Register = (prog, wrap) => {
  withLockFlags(
    prog.command('reset', 'Development databases: drop what the history created (rows backed up first), then migrate from the first file.'),
  )
    .option('--force', 'with --yes: reset a database that is not on this machine', false)
    .option('--single-transaction', 'migrate all files in one transaction', false)
    .option('--allow-destructive', 'let destructive statements in the files through', false)
    .example('reset --embedded')
    .example('reset --url postgres://localhost/app_dev --yes')
    .action(
      wrap(async (out, flags) => {
        const f = flags as Flags
        const { reset } = await import('../commands/reset.js')
        const result = await reset({
          ...common(f),
          force: !!f.force,
          yes: !!f.yes,
          confirm: terminalConfirm(!!f.json),
          singleTransaction: !!f['single-transaction'],
          allowDestructive: !!f['allow-destructive'],
          ...lockOptions(f),
          onProgress: (e) => {
            if (e.type === 'applied') out.line(`${c.green('applied')}  ${e.file.path}`)
          },
        })
        out.result({ ok: true, ...result })
        out.line(
          `${c.yellow('dropped')}  ${result.dropped.length} object(s)${result.dropped.length ? `: ${result.dropped.slice(0, 8).join(', ')}${result.dropped.length > 8 ? ', ...' : ''}` : ''}`,
        )
        if (result.backup) out.line(`${c.cyan('backup')}   ${result.backup.dir}  ${c.dim('(strata restore puts the rows back)')}`)
        out.line(`reset: ${result.migrated.applied.length} migration(s) applied from the first file`)
      }),
    )
}
