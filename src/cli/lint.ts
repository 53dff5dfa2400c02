import { common, list, str, type Flags, type Register } from './options.js'
import { StrataError } from '../errors.js'

export const registerLint: Register = (prog, wrap) => {
  prog
    .command('lint [...paths]', 'Lint migration files without a database.')
    .option('--format', 'pretty, json or github', 'pretty')
    .option('--rule', 'set a rule: <rule>=off|warning|error (repeatable)')
    .option('--cache', 'reuse results for unchanged files from .strata/cache/lint.json (--no-cache to turn off)', true)
    .example('lint')
    .example('lint migrations/007_api_keys.sql --format github')
    .action(
      wrap(async (out, first, flags) => {
        const f = flags as Flags
        const format = f.json ? 'json' : (str(f, 'format') ?? 'pretty')
        if (format !== 'pretty' && format !== 'json' && format !== 'github')
          throw new StrataError('usage', `--format ${format}: use pretty, json or github`)
        const paths = [first, ...(f._ as unknown[])].filter((p): p is string => typeof p === 'string' && p !== '')
        const { runLint } = await import('../commands/lint.js')
        const result = await runLint({
          paths,
          dir: common(f).dir,
          layout: common(f).layout,
          format,
          rules: list(f, 'rule'),
          cache: f.cache !== false,
        })
        process.stdout.write(result.output.endsWith('\n') || !result.output ? result.output : result.output + '\n')
        return result.exitCode
      }),
    )
}
