import { common, type Flags, type Register } from './options.js'
import { StrataError } from '../errors.js'

export const registerNew: Register = (prog, wrap) => {
  prog
    .command('new [name]', 'Create the next migration file.')
    .option('--with-down', 'also create the empty .down.sql', false)
    .example('new add_user_metas')
    .action(
      wrap(async (out, name, flags) => {
        if (typeof name !== 'string' || !name) throw new StrataError('usage', 'strata new needs a name, e.g. strata new add_user_metas')
        const { newMigration } = await import('../commands/new.js')
        const f = flags as Flags
        const result = newMigration({ name, dir: common(f).dir, layout: common(f).layout, withDown: !!f['with-down'] })
        out.result({ ok: true, ...result })
        out.line(`created ${result.path}`)
        if (result.downPath) out.line(`created ${result.downPath}`)
      }),
    )
}
