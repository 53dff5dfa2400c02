import { common, list, str, type Flags, type Register, SETUP_HELP } from './options.js'
import { c } from './output.js'
import { targetFlags, wantsFanOut } from './target-flags.js'

export const registerVerify: Register = (prog, wrap) => {
  targetFlags(prog.command('verify', 'Exit 0 only when the database matches its files: clean history and every object the files create.'))
    .option('--shadow', 'also replay every file into an embedded scratch database and diff the two schemas', false)
    .option('--exclude-schema', 'leave a schema out of the --shadow diff (repeatable), e.g. auth')
    .option('--setup', SETUP_HELP)
    .option('--scratch-url', 'an empty database for --shadow to replay into (default: an embedded Postgres in a temporary directory)')
    .option('--all-schemas', 'on a Supabase database, compare the platform schemas (auth, storage...) too', false)
    .example('verify')
    .example('verify --shadow --json')
    .example('verify --shadow --setup supabase')
    .action(
      wrap(async (out, flags) => {
        const f = flags as Flags
        if (wantsFanOut(f)) {
          const { verifyTargets } = await import('../commands/targets.js')
          const { collect, Progress, targetOptions, verifyLine, verifySummary } = await import('./targets.js')
          const progress = new Progress('verify', !f.json && !!process.stderr.isTTY)
          const run = verifyTargets({ ...common(f), ...targetOptions(f, out, progress), shadow: !!f.shadow })
          return verifySummary(await collect(run, progress, out, verifyLine), out)
        }
        const { verify } = await import('../commands/verify.js')
        const result = await verify({
          ...common(f),
          shadow: !!f.shadow,
          excludeSchemas: list(f, 'exclude-schema'),
          setup: list(f, 'setup'),
          scratchUrl: str(f, 'scratch-url'),
          allSchemas: !!f['all-schemas'],
        })
        out.result(result)
        for (const h of result.history) out.line(`${c.red(h.state.padEnd(12))} ${h.message}`)
        for (const o of result.objects) {
          out.line(`${c.red(o.kind.padEnd(12))} ${o.message}`)
        }
        for (const u of result.unchecked) out.line(`${c.yellow('unchecked'.padEnd(12))} ${u.file}:${u.line}: ${u.statement}: ${u.reason}`)
        if (result.shadow) {
          const { formatDifferences } = await import('../schema/index.js')
          if (result.shadow.platform)
            out.line(
              c.dim(
                `--shadow: a Supabase database: platform schemas left out (${result.shadow.excluded!.length}); --all-schemas compares them`,
              ),
            )
          out.line(
            result.shadow.differences.length
              ? `${c.bold('--shadow')}: the files build (expected) versus this database (actual):`
              : `${c.bold('--shadow')}: no differences from a fresh replay of the files`,
          )
          if (result.shadow.differences.length) out.line(formatDifferences(result.shadow.differences).replace(/^/gm, '  '))
        }
        for (const s of result.suggestions) out.line(`${c.cyan('fix')}          ${s}`)
        out.line(summary(result))
        return result.ok ? 0 : 1
      }),
    )
}

function summary(r: Awaited<ReturnType<typeof import('../commands/verify.js').verify>>): string {
  if (r.ok)
    return c.green(
      `verified: ${r.files} applied file(s), ${r.checked} object(s) present${r.unchecked.length ? `, ${r.unchecked.length} statement(s) unchecked` : ''}`,
    )
  const parts = [
    r.history.length && `${r.history.length} history problem(s)`,
    r.objects.length && `${r.objects.length} object problem(s)`,
    r.shadow?.differences.length && `${r.shadow.differences.length} schema difference(s)`,
  ].filter(Boolean)
  return c.red(`verify failed: ${parts.join(', ')}`)
}
