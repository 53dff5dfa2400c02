import { common, count, list, str, version, type Flags, type Register, SETUP_HELP } from './options.js'
import { c, targetLine } from './output.js'
import { StrataError } from '../errors.js'

const FORMATS = ['pretty', 'json', 'markdown']

export const registerPlan: Register = (prog, wrap) => {
  prog
    .command('plan', 'What migrate would do, for review: pending files, lint, reverse, data at risk; --trace: locks, rewrites, times.')
    .option(
      '--trace',
      'apply the pending files on a scratch database built from the applied history and record what each statement does',
      false,
    )
    .option('--base', 'files this git revision lacks are pending (e.g. origin/main), instead of the database ledger')
    .option('--scratch-url', 'an empty database to trace on (default: an embedded Postgres in a temporary directory)')
    .option('--setup', SETUP_HELP)
    .option('--sample-rows', 'copy up to this many rows of each table from the target into the scratch database')
    .option('--to', 'plan only up to this version')
    .option('--out-of-order', 'include pending files that sort before the last applied one', false)
    .option('--allow-destructive', 'as migrate: destructive statements do not make the plan fail', false)
    .option('--rule', 'set a lint rule: <rule>=off|warning|error (repeatable)')
    .example('plan --trace')
    .example('plan --trace --base origin/main --format markdown > plan.md')
    .action(
      wrap(async (out, flags) => {
        const f = flags as Flags
        const format = f.json ? 'json' : (str(f, 'format') ?? 'pretty')
        if (!FORMATS.includes(format)) throw new StrataError('usage', `--format ${format}: use pretty, json or markdown`)
        const options = common(f)
        // stdout holds the document alone in json and markdown: say where on stderr.
        if (format !== 'pretty') options.onTarget = (target, server) => process.stderr.write(targetLine(target, server) + '\n')
        const say = (text: string) => (format === 'pretty' ? out.line(text) : process.stderr.write(text + '\n'))
        const { plan } = await import('../commands/plan.js')
        const result = await plan({
          ...options,
          to: version(f, 'to'),
          outOfOrder: !!f['out-of-order'],
          allowDestructive: !!f['allow-destructive'],
          rules: list(f, 'rule'),
          base: str(f, 'base'),
          trace: !!f.trace,
          scratchUrl: str(f, 'scratch-url'),
          setup: list(f, 'setup'),
          sampleRows: count(f, 'sample-rows'),
          onProgress: (e) => {
            if (e.type === 'scratch') say(`${c.dim('scratch')} ${e.shown}`)
            else if (e.type === 'history') say(c.dim(`replayed ${e.files} applied file(s) there`))
            else if (e.type === 'sampled') say(c.dim(`copied ${e.rows} sample row(s) into ${e.tables} table(s)`))
            else if (e.type === 'note') say(c.yellow(`note: ${e.message}`))
          },
        })
        const { renderMarkdown, renderPretty } = await import('../plan/render.js')
        if (format === 'json') process.stdout.write(JSON.stringify(result, null, 2) + '\n')
        else if (format === 'markdown') process.stdout.write(renderMarkdown(result))
        else
          out.line(renderPretty(result, { red: c.red, yellow: c.yellow, green: c.green, cyan: c.cyan, dim: c.dim, bold: c.bold }).trimEnd())
        return result.ok ? 0 : 1
      }),
    )
}
