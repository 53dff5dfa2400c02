import { common, type Flags, type Register } from './options.js'
import { c, ms } from './output.js'
import { targetFlags, wantsFanOut } from './target-flags.js'

const paint: Record<string, (s: string) => string> = {
  applied: c.green,
  pending: c.cyan,
  changed: c.red,
  missing: c.red,
  failed: c.red,
  running: c.yellow,
  'out-of-order': c.yellow,
}

export const registerStatus: Register = (prog, wrap) => {
  targetFlags(
    prog.command('status', 'One line per migration: applied, pending, changed, missing, failed, running or out-of-order.'),
  ).action(
    wrap(async (out, flags) => {
      if (wantsFanOut(flags as Flags)) {
        const { statusTargets } = await import('../commands/targets.js')
        const { collect, Progress, statusSummary, targetOptions } = await import('./targets.js')
        const progress = new Progress('status', !(flags as Flags).json && !!process.stderr.isTTY)
        const run = statusTargets({ ...common(flags as Flags), ...targetOptions(flags as Flags, out, progress) })
        return statusSummary(await collect(run, progress, out, () => undefined), out)
      }
      const { status } = await import('../commands/status.js')
      const result = await status(common(flags as Flags))
      out.result({ ok: true, ...result })
      const width = Math.max(7, ...result.entries.map((e) => e.path.length))
      for (const e of result.entries) {
        const name = e.path.padEnd(width)
        const when = e.appliedAt ? `${e.appliedAt.replace('T', ' ').slice(0, 19)}  ${ms(e.executionMs)}` : ''
        out.line(`${paint[e.state](e.state.padEnd(12))} ${name}  ${c.dim(when)}`)
      }
      const summary = Object.entries(result.counts)
        .filter(([, n]) => n > 0)
        .map(([s, n]) => `${n} ${s}`)
      for (const s of result.skipped) out.line(`${c.dim('skipped'.padEnd(12))} ${s.path}  ${c.dim(s.reason)}`)
      const layout =
        result.layout.name === 'strata' ? '' : ` (read as a ${result.layout.name} folder${result.layout.detected ? ', detected' : ''})`
      out.line((summary.length ? summary.join(', ') : 'no migrations') + layout)
    }),
  )
}
