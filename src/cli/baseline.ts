import { common, durationMs, version, type Flags, type Register } from './options.js'
import { c } from './output.js'
import { StrataError } from '../errors.js'

export const registerBaseline: Register = (prog, wrap) => {
  prog
    .command('baseline', 'Record files up to --to as applied without running them, for a database that already has the schema.')
    .option('--to', 'the last version the database already has')
    .option('--force', 'record even when objects those files create are missing', false)
    .option('--wait', 'how long to wait for a running migrate', '60s')
    .example('baseline --to 42')
    .action(
      wrap(async (out, flags) => {
        const f = flags as Flags
        const to = version(f, 'to')
        if (to === undefined)
          throw new StrataError('usage', 'strata baseline needs --to <version>: the last version the database already has')
        const { baseline } = await import('../commands/baseline.js')
        const result = await baseline({ ...common(f), to, force: !!f.force, waitMs: durationMs(f, 'wait') })
        out.result({ ok: true, ...result })
        for (const r of result.recorded) out.line(`${c.green('baselined')}  ${r.path}`)
        for (const p of result.objects) out.line(`${c.yellow('missing')}    ${p.message}`)
        out.line(
          `${result.recorded.length} file(s) recorded as applied without running them; strata verify checks their objects from now on`,
        )
        if (result.config?.enforceFrom)
          out.line(
            `package.json "strata": wrote "enforceFrom": "${result.enforceFrom}" (lint warns about the baselined files, never blocks)`,
          )
      }),
    )
}
