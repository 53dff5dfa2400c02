import { common, list, str, type Flags, type Register } from './options.js'
import { StrataError } from '../errors.js'

export const registerLint: Register = (prog, wrap) => {
  prog
    .command('lint [...paths]', 'Lint migration files without a database.')
    .option('--format', 'pretty, json or github (default pretty; under GitHub Actions, pretty followed by annotations)')
    .option('--rule', 'set a rule: <rule>=off|warning|error (repeatable)')
    .option('--cache', 'reuse results for unchanged files from .strata/cache/lint.json (--no-cache to turn off)', true)
    .option('--fix', 'rewrite the idempotency findings (IF NOT EXISTS, IF EXISTS, OR REPLACE, guards); never in an applied file', false)
    .option('--dry-run', 'with --fix: show the diff, write nothing', false)
    .example('lint')
    .example('lint --fix --dry-run migrations/20240101120000_init.sql')
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
        const fix = !!f.fix
        if (f['dry-run'] && !fix) throw new StrataError('usage', 'lint --dry-run goes with --fix (lint alone writes nothing)')
        const result = await runLint({
          ...common(f),
          paths,
          format,
          rules: list(f, 'rule'),
          cache: f.cache !== false,
          fix,
          dryRun: !!f['dry-run'],
        })
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
