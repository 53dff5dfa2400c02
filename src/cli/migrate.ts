import { common, list, version, type Flags, type Register, withLockFlags, lockOptions } from './options.js'
import { c, githubAnnotations, ms, type Out } from './output.js'
import { terminalConfirm } from './confirm.js'
import { printFindings } from './findings.js'
import type { Finding } from '../lint/index.js'
import { ticker } from './ticker.js'
import { collectEvery } from './gc.js'
import { targetFlags, wantsFanOut } from './target-flags.js'

export const registerMigrate: Register = (prog, wrap) => {
  targetFlags(
    withLockFlags(
      prog.command('migrate', 'Apply pending migrations in order, each in a transaction with its ledger row.', { alias: 'up' }),
    ),
    true,
  )
    .option('--to', 'stop after this version')
    .option('--dry-run', 'print the plan and lint findings, touch nothing; exit 1 when lint would stop a real run', false)
    .option('--single-transaction', 'all pending files in one transaction: all or nothing', false)
    .option('--out-of-order', 'apply pending files that sort before the last applied one', false)
    .option('--allow-destructive', 'let destructive statements (DROP, TRUNCATE, ...) through', false)
    .option('--backup', 'before destructive statements run, copy the data they put at risk into .strata/backups/', false)
    .option('--rule', 'set a lint rule: <rule>=off|warning|error (repeatable)')
    .example('migrate --url postgres://app@localhost/app')
    .example('migrate --dry-run')
    .example('migrate --targets tenants.txt --canary 1 --concurrency 8')
    .action(
      wrap(async (out, flags) => {
        const f = flags as Flags
        if (wantsFanOut(f)) return migrateEach(out, f)
        const { migrate } = await import('../commands/migrate.js')
        const running = ticker(!f.json && !!process.stderr.isTTY)
        const collect = collectEvery(1000) // memory stays flat over a long history (src/cli/gc.ts)
        const say = (print: () => void) => (running.stop(), print())
        try {
          const result = await migrate({
            ...common(f),
            ...applyOptions(f),
            confirm: terminalConfirm(!!f.json),
            onProgress: (e) => {
              if (e.type === 'start') running.start(`applying ${e.file.path}`)
              else if (e.type === 'waiting') say(() => out.note(c.yellow(e.message)))
              else if (e.type === 'lint') return printLint(e.findings, (text) => out.note(text.trimEnd()))
              else if (e.type === 'applied') {
                collect()
                say(() => out.line(`${c.green('applied')}  ${e.file.path}  ${c.dim(ms(e.ms))}`))
              } else if (e.type === 'note') say(() => out.note(c.yellow(`note: ${e.message}`)))
              else if (e.type === 'backup')
                say(() => out.line(`${c.cyan('backup')}  ${e.dir}  ${c.dim(e.tables.map((t) => `${t.table}: ${t.rows} rows`).join(', '))}`))
              else if (e.type === 'skipped') say(() => out.line(`${c.dim('skipped')}  ${e.file.path}  ${c.dim(e.reason)}`))
            },
          })
          running.stop()
          out.result({ ok: !(result.dryRun && result.lint.blocking.length), ...result })
          if (result.dryRun) {
            if (!result.plan.length) out.line('nothing to apply')
            for (const p of result.plan) out.line(`${c.cyan('would apply')}  ${p.path}  ${c.dim(p.mode)}`)
            if (result.lint.blocking.length) {
              out.line(c.red(`a real run would stop here: lint found ${result.lint.blocking.length} error(s) in pending files`))
              return 1
            }
          } else if (!result.applied.length)
            out.line(
              result.skipped.length ? 'nothing left to apply: another runner applied them' : 'nothing to apply: the database is up to date',
            )
          else out.line(`${result.applied.length} migration(s) applied in ${ms(result.applied.reduce((t, a) => t + a.ms, 0))}`)
        } finally {
          running.stop()
        }
      }),
    )
}

/** What one run and a fan-out over targets both take from the flags. */
function applyOptions(f: Flags) {
  return {
    to: version(f, 'to'),
    dryRun: !!f['dry-run'],
    singleTransaction: !!f['single-transaction'],
    outOfOrder: !!f['out-of-order'],
    allowDestructive: !!f['allow-destructive'],
    ...lockOptions(f),
    rules: list(f, 'rule'),
    backup: !!f.backup,
    yes: !!f.yes,
  }
}

/** --targets / --each-schema: every target an ordinary run; a line per target, then the summary (src/cli/targets.ts). */
async function migrateEach(out: Out, f: Flags): Promise<number> {
  const { migrateTargets } = await import('../commands/targets.js')
  const { collect, migrateLine, migrateSummary, Progress, targetOptions } = await import('./targets.js')
  const progress = new Progress('migrate', !f.json && !!process.stderr.isTTY)
  const t0 = performance.now()
  const run = migrateTargets({
    ...common(f),
    ...targetOptions(f, out, progress),
    ...applyOptions(f),
  })
  const results = await collect(run, progress, out, migrateLine)
  return migrateSummary(results, out, performance.now() - t0)
}

/**
 * Findings of new work in full; those of an adopted history (before "strata.enforceFrom") as one line: a
 * database built from a long adopted history would otherwise print thousands of old warnings.
 */
function printLint(findings: Finding[], write: (text: string) => void): Promise<void> {
  const adopted = findings.filter((f) => f.adopted)
  if (adopted.length) {
    const files = new Set(adopted.map((f) => f.file)).size
    write(
      c.dim(`adopted history: ${adopted.length} lint warning(s) in ${files} file(s) before "strata.enforceFrom" (strata lint lists them)`),
    )
  }
  return printFindings(
    findings.filter((f) => !f.adopted),
    write,
    githubAnnotations(),
  )
}
