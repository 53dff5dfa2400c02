import { common, durationMs, version, type Flags, type Register } from './options.js'
import { c } from './output.js'
import { terminalConfirm } from './confirm.js'

export const registerRepair: Register = (prog, wrap) => {
  prog
    .command('repair', 'Fix the ledger deliberately, with an event: --applied, --rolled-back, --accept-checksum or --reapply <version>.')
    .option('--applied', 'record this version as applied without running it (after fixing the database by hand)')
    .option('--rolled-back', 'remove this version from the ledger; the database is not changed')
    .option('--accept-checksum', 'accept the edited file on disk as what was applied')
    .option('--reapply', 'run this applied file again, in one transaction with its event (when its objects went missing)')
    .option('--force', '--applied: record even when objects the file creates are missing', false)
    .option('--wait', 'how long to wait for a running migrate', '60s')
    .example('repair --applied 7')
    .example('repair --accept-checksum 12 --yes')
    .example('repair --reapply 3')
    .action(
      wrap(async (out, flags) => {
        const f = flags as Flags
        const { repair } = await import('../commands/repair.js')
        const result = await repair({
          ...common(f),
          applied: version(f, 'applied'),
          rolledBack: version(f, 'rolled-back'),
          acceptChecksum: version(f, 'accept-checksum'),
          reapply: version(f, 'reapply'),
          force: !!f.force,
          yes: !!f.yes,
          confirm: terminalConfirm(!!f.json),
          waitMs: durationMs(f, 'wait'),
        })
        out.result({ ok: true, ...result })
        for (const p of result.missing) out.line(`${c.yellow('missing')}    ${p.message}`)
        const done =
          result.action === 'reapply'
            ? `ran version ${result.version} (${result.name}) again in ${result.ms} ms`
            : result.action === 'rolled-back'
              ? `removed version ${result.version} (${result.name}) from the ledger`
              : result.action === 'applied'
                ? `recorded version ${result.version} (${result.name}) as applied`
                : `accepted the edited file of version ${result.version} (${result.name})`
        out.line(`${c.green('repaired')}  ${done}; the change is in the events table`)
      }),
    )
}
