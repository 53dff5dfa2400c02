import { common, list, str, type Flags, type Register } from './options.js'
import { StrataError } from '../errors.js'

export const registerLint: Register = (prog, wrap) => {
  prog
    .command('lint [...paths]', 'Lint migration files without a database.')
    .option('--format', 'pretty, json or github (default pretty; under GitHub Actions, pretty followed by annotations)')
    .option('--rule', 'set a rule: <rule>=off|warning|error (repeatable)')
    .option('--cache', 'reuse results for unchanged files from .strata/cache/lint.json (--no-cache to turn off)', true)
    .example('lint')
    .example('lint migrations/007_api_keys.sql --format github')
    .action(
      wrap(async (out, first, flags) => {
        const f = flags as Flags
        const given = f.json ? 'json' : str(f, 'format')
        const format = given ?? 'pretty'
        if (format !== 'pretty' && format !== 'json' && format !== 'github')
          throw new StrataError('usage', `--format ${format}: use pretty, json or github`)
        const paths = [first, ...(f._ as unknown[])].filter((p): p is string => typeof p === 'string' && p !== '')
        const { runLint } = await import('../commands/lint.js')
        const result = await runLint({ paths, dir: common(f).dir, format, rules: list(f, 'rule'), cache: f.cache !== false })
        process.stdout.write(result.output.endsWith('\n') || !result.output ? result.output : result.output + '\n')
        // In a GitHub Actions job, findings also become annotations on the pull request (the log keeps the pretty text).
        if (!given && process.env.GITHUB_ACTIONS === 'true') {
          const { formatGithub } = await import('../lint/format.js')
          process.stdout.write(formatGithub(result.findings))
        }
        return result.exitCode
      }),
    )
}
