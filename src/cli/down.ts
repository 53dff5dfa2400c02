import { common, version, type Flags, type Register, withLockFlags, lockOptions } from './options.js'
import { c, ms } from './output.js'
import type { DownStep } from '../commands/down.js'
import type { AtRiskCount } from '../backup/index.js'
import { terminalConfirm } from './confirm.js'

export const registerDown: Register = (prog, wrap) => {
  withLockFlags(prog.command('down', 'Roll back: run down files newest first, each in a transaction with its ledger row removed.'))
    .option('--to', 'keep this version and below (0: roll back everything); default: only the newest applied file')
    .option('--dry-run', 'print what would be rolled back, touch nothing', false)
    .option('--backup', 'first copy the rows and columns the down files destroy into .strata/backups/', false)
    .example('down')
    .example('down --to 5 --dry-run')
    .action(
      wrap(async (out, flags) => {
        const f = flags as Flags
        const { down } = await import('../commands/down.js')
        const result = await down({
          ...common(f),
          to: version(f, 'to'),
          dryRun: !!f['dry-run'],
          backup: !!f.backup,
          yes: !!f.yes,
          confirm: asker(!!f.json),
          ...lockOptions(f),
          onProgress: (e) => {
            if (e.type === 'waiting') out.note(c.yellow(e.message))
            else if (e.type === 'rolled-back')
              out.line(`${c.green('rolled back')}  ${e.step.path}  ${c.dim(`${e.step.downPath}, ${ms(e.ms)}`)}`)
            else if (e.type === 'skipped') out.line(`${c.dim('skipped')}  ${e.step.path}  ${c.dim(e.reason)}`)
            else if (e.type === 'note') out.note(c.yellow(`note: ${e.message}`))
            else if (e.type === 'at-risk') for (const line of atRiskLines(e.atRisk)) out.line(line)
            else if (e.type === 'backup') {
              for (const t of e.tables) out.line(`${c.green('backed up')}  ${t.table}: ${t.rows} rows`)
              out.line(`backup       ${e.dir}  (strata restore ${e.dir} puts it back)`)
            }
          },
        })
        out.result({ ok: true, ...result })
        if (!result.plan.length) out.line('nothing to roll back')
        else if (result.dryRun) {
          for (const p of result.plan) out.line(`${c.cyan('would roll back')}  ${p.path}  ${c.dim(`with ${p.downPath}`)}`)
          for (const line of atRiskLines(result.atRisk)) out.line(line)
        } else out.line(`${result.rolledBack.length} migration(s) rolled back`)
      }),
    )
}

/** Show what would be rolled back and the rows it destroys, then ask: only a person at a terminal can answer (else down needs --yes). */
function asker(json: boolean): ((plan: DownStep[], target: string, atRisk: AtRiskCount[]) => Promise<boolean>) | undefined {
  const confirm = terminalConfirm(json)
  if (!confirm) return undefined
  return (plan, target, atRisk) => {
    const lines = [...plan.map((p) => `  ${p.path}  (${p.downPath})`), ...atRiskLines(atRisk)]
    process.stderr.write(`about to roll back on ${target}:\n${lines.join('\n')}\n`)
    return confirm(atRisk.some((r) => r.rows > 0) ? 'roll back and destroy these rows? (--backup copies them first)' : 'roll back?')
  }
}

export function atRiskLines(atRisk: AtRiskCount[]): string[] {
  return atRisk.map((r) =>
    r.columns
      ? `  ${c.yellow('destroys')} ${r.table}: column(s) ${r.columns.join(', ')} of ${r.rows.toLocaleString('en')} row(s)  ${c.dim(`${r.file}:${r.line}`)}`
      : `  ${c.yellow('destroys')} ${r.table}: ${r.rows.toLocaleString('en')} row(s)  ${c.dim(`${r.file}:${r.line}`)}`,
  )
}
