import { common, durationMs, list, str, type Flags, type Register, SETUP_HELP } from './options.js'
import { c } from './output.js'
import { terminalConfirm } from './confirm.js'

export const registerDiff: Register = (prog, wrap) => {
  prog
    .command(
      'diff [name]',
      "Capture drift: write the next migration with the DDL that turns the files' schema into the live one, and record it as applied there.",
    )
    .option('--check', 'only compare: exit 1 and a summary when the database differs from its history, 0 when not', false)
    .option('--dry-run', 'print the SQL it would write (proven on the replay like a real file); write and record nothing', false)
    .option('--record', 'record the written file as applied on the database; --no-record only writes it', true)
    .option('--setup', SETUP_HELP)
    .option('--scratch-url', 'an empty database to replay the history into (default: an embedded Postgres in a temporary directory)')
    .option('--exclude-schema', 'leave a schema out of the comparison (repeatable)')
    .option('--all-schemas', 'on a Supabase database, compare the platform schemas (auth, storage...) too', false)
    .option('--wait', 'how long to wait for a running migrate before recording', '60s')
    .example('diff add_profiles')
    .example('diff --check')
    .example('diff --dry-run')
    .example('diff dashboard_changes --setup supabase --yes')
    .action(
      wrap(async (out, name, flags) => {
        const f = flags as Flags
        const { diff, isComplete } = await import('../commands/diff.js')
        const { formatDifferences } = await import('../schema/index.js')
        const result = await diff({
          ...common(f),
          name: typeof name === 'string' ? name : undefined,
          check: !!f.check,
          dryRun: !!f['dry-run'],
          record: f.record !== false,
          yes: !!f.yes,
          confirm: terminalConfirm(!!f.json),
          scratchUrl: str(f, 'scratch-url'),
          setup: list(f, 'setup'),
          excludeSchemas: list(f, 'exclude-schema'),
          allSchemas: !!f['all-schemas'],
          waitMs: durationMs(f, 'wait'),
          onProgress: (e) => {
            if (e.type === 'prove') out.line(c.dim(`applying ${e.path} to the replayed history to prove it`))
          },
        })
        const drift = result.differences.length > 0
        out.result({ ok: f.check ? !drift : isComplete(result), ...result })
        if (result.platform) out.line(c.dim('a Supabase database: platform schemas are left out; --all-schemas compares them'))
        if (!drift) {
          out.line(c.green('no drift: the database matches the schema its files build; nothing to capture'))
          return 0
        }
        if (f.check) {
          out.line(`the files build (expected) versus this database (actual):`)
          out.line(formatDifferences(result.differences).replace(/^/gm, '  '))
          out.line(c.red(`drift: ${result.differences.length} difference(s); strata diff <name> captures them as a migration`))
          return 1
        }
        const counts = `${result.statements} statement(s) for ${result.differences.length} difference(s)`
        if (f['dry-run']) out.line(result.sql!.trimEnd())
        else out.line(`${c.green('wrote')}     ${result.path}  (${counts})`)
        for (const u of result.unsupported) out.line(`${c.yellow('by hand')}   ${u.object}: ${u.reason}`)
        for (const l of result.lintErrors) out.line(`${c.red('lint')}      ${l.file}:${l.line}:${l.column} ${l.rule}: ${l.message}`)
        if (result.residual.length) {
          out.line(c.red(`applied to the replayed history, ${result.path ?? 'the SQL'} leaves these differences from the live schema:`))
          out.line(formatDifferences(result.residual).replace(/^/gm, '  '))
        }
        if (result.recorded) {
          out.line(`${c.green('recorded')}  version ${Number(result.version)} as applied on this database (its changes are already there)`)
          return 0
        }
        if (f['dry-run']) {
          out.line(c.dim(`--dry-run: nothing written or recorded (${counts})`))
          return isComplete(result) ? 0 : 1
        }
        if (!isComplete(result)) {
          out.line(c.red(`not recorded: finish ${result.path} by hand, then strata repair --applied ${Number(result.version)}`))
          return 1
        }
        out.line(`not recorded (--no-record): where these changes already are, run strata repair --applied ${Number(result.version)}`)
        return 0
      }),
    )
}
