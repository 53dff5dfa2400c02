import { common, durationMs, version, type Flags, type Register } from './options.js'
import { c } from './output.js'
import { terminalConfirm } from './confirm.js'

export const registerRepair: Register = (prog, wrap) => {
  prog
    .command('repair', 'Fix the ledger deliberately, with an event: --applied, --rolled-back or --accept-checksum <version>.')
    .option('--applied', 'record this version as applied without running it (after fixing the database by hand)')
    .option('--rolled-back', 'remove this version from the ledger; the database is not changed')
    .option('--accept-checksum', 'accept the edited file on disk as what was applied')
    .option('--wait', 'how long to wait for a running migrate', '60s')
    .example('repair --applied 7')
    .example('repair --accept-checksum 12 --yes')
    .action(
      wrap(async (out, flags) => {
        const f = flags as Flags
        const { repair } = await import('../commands/repair.js')
        const result = await repair({
          ...common(f),
          applied: version(f, 'applied'),
          rolledBack: version(f, 'rolled-back'),
          acceptChecksum: version(f, 'accept-checksum'),
          yes: !!f.yes,
          confirm: terminalConfirm(!!f.json),
          waitMs: durationMs(f, 'wait'),
        })
        out.result({ ok: true, ...result })
        const done =
          result.action === 'rolled-back'
            ? `removed version ${result.version} (${result.name}) from the ledger`
            : result.action === 'applied'
              ? `recorded version ${result.version} (${result.name}) as applied`
              : `accepted the edited file of version ${result.version} (${result.name})`
        out.line(`${c.green('repaired')}  ${done}; the change is in the events table`)
      }),
    )
}
