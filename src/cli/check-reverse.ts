import { common, list, str, version, type Flags, type Register } from './options.js'
import { c } from './output.js'

export const registerCheckReverse: Register = (prog, wrap) => {
  prog
    .command('check-reverse', 'On a scratch database: apply all files, run the down files back, and check each restores the schema.')
    .option('--scratch-url', 'an empty database to use as scratch (default: an embedded Postgres in a temporary directory)')
    .option('--setup', 'SQL file to run first, e.g. stand-ins for platform schemas (repeatable)')
    .option('--to', 'check only the files above this version')
    .example('check-reverse')
    .example('check-reverse --to 12 --setup test/platform.sql')
    .action(
      wrap(async (out, flags) => {
        const f = flags as Flags
        const { checkReverse, formatDifferences } = await import('../commands/check-reverse.js')
        const result = await checkReverse({
          dir: common(f).dir,
          layout: common(f).layout,
          url: str(f, 'scratch-url'),
          setup: list(f, 'setup'),
          to: version(f, 'to'),
          onProgress: (e) => {
            if (e.type === 'scratch') out.line(`${c.dim('scratch')} ${e.target}`)
            else if (e.type === 'restored')
              out.line(
                `${c.green('restored')}  ${e.downPath}${e.generated ? c.dim('  (stub strata reverse would write; not on disk)') : ''}`,
              )
            else if (e.type === 'reapplied') out.line(`${c.green('reapplied')} ${e.count} file(s): same schema as before the round trip`)
          },
        })
        out.result(result)
        if (result.ok) {
          out.line(`${result.files.length} down file(s) restore the schema exactly`)
          return 0
        }
        const failure = result.failure!
        process.stderr.write(`${c.red().bold('error')}: ${failure.message}\n`)
        if (failure.differences.length) process.stderr.write(formatDifferences(failure.differences).replace(/^/gm, '  ') + '\n')
        return 1
      }),
    )
}
