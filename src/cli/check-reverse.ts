import { common, list, str, version, type Flags, type Register, SETUP_HELP } from './options.js'
import { c } from './output.js'

export const registerCheckReverse: Register = (prog, wrap) => {
  prog
    .command(
      'check-reverse',
      'On a scratch database: apply each file, run its down file, apply it again; report every down file as exact, wrong or unfinished.',
    )
    .option('--scratch-url', 'an empty database to use as scratch (default: an embedded Postgres in a temporary directory)')
    .option('--setup', SETUP_HELP)
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
            else if (e.type === 'rebuilt') out.line(`${c.dim('replayed')} the history up to ${e.path} into ${e.target}, to go on`)
            else if (e.type === 'checked') {
              const file = e.file
              const stub = file.down === 'generated' ? c.dim('  (stub strata reverse would write; not on disk)') : ''
              if (file.status === 'exact') return out.line(`${c.green('exact')}       ${file.downPath}${stub}`)
              const label = file.status === 'wrong' ? c.red('wrong') + '      ' : c.yellow('unfinished')
              out.line(`${label}  ${file.downPath}${stub}: ${file.message}`)
              if (file.differences.length) out.line(formatDifferences(file.differences).replace(/^/gm, '    '))
            }
          },
        })
        out.result(result)
        const exact = result.files.filter((file) => file.status === 'exact').length
        const counts = `${exact} exact, ${result.wrong} wrong, ${result.unfinished} unfinished`
        const failure = result.failure
        if (failure && (failure.stage === 'setup' || failure.stage === 'up' || failure.stage === 'rebuild')) {
          process.stderr.write(`${c.red().bold('error')}: ${failure.message}\n`)
          out.line(`${counts} (checked before it stopped)`)
          return 1
        }
        out.line(
          `${counts}${result.unfinished ? ': an unfinished down file raises an error before it changes anything; write its reverse' : ''}`,
        )
        return result.wrong ? 1 : 0
      }),
    )
}
