import { common, durationMs, type Flags, type Register } from './options.js'
import { c } from './output.js'
import type { AdoptSource } from '../commands/adopt.js'
import { StrataError } from '../errors.js'

const SOURCES = ['prisma', 'supabase', 'dbmate', 'goose', 'golang-migrate', 'flyway']

export const registerAdopt: Register = (prog, wrap) => {
  prog
    .command('adopt [source]', `Take over the history another tool kept in the database: ${SOURCES.join(', ')}.`)
    .option('--wait', 'how long to wait for a running migrate', '60s')
    .option('--force', 'record even when objects the adopted files create are missing', false)
    .example('adopt prisma --dir prisma/migrations')
    .example('adopt goose --dir db/migrations')
    .action(
      wrap(async (out, source, flags) => {
        const f = flags as Flags
        if (!SOURCES.includes(source as string))
          throw new StrataError(
            'usage',
            `strata adopt needs one of ${SOURCES.join(', ')}${source ? `, not ${JSON.stringify(source)}` : ''}`,
          )
        const { adopt } = await import('../commands/adopt.js')
        const result = await adopt({ ...common(f), from: source as AdoptSource, waitMs: durationMs(f, 'wait'), force: !!f.force })
        out.result({ ok: true, ...result })
        for (const r of result.recorded) out.line(`${c.green('adopted')}  ${r.path}`)
        for (const p of result.missing) out.line(`${c.yellow('missing')}  ${p.message}`)
        for (const s of result.skipped) out.line(`${c.yellow('skipped')}  ${s.migration}: ${s.reason}`)
        for (const p of result.pending)
          out.line(`${c.cyan('pending')}  ${p.path}: not applied by ${result.from}; strata migrate will apply it`)
        const again = result.alreadyRecorded.length ? ` (${result.alreadyRecorded.length} already in the ledger)` : ''
        out.line(`${result.recorded.length} migration(s) adopted from ${result.from}${again}; run strata verify to check their objects`)
        const written = Object.entries(result.config ?? {}).map(([k, v]) => `"${k}": "${v}"`)
        if (written.length)
          out.line(
            `package.json "strata": wrote ${written.join(', ')} (files before enforceFrom are the adopted history: lint warns, never blocks)`,
          )
        else if (result.enforceFrom && !result.config)
          out.line(
            `add "strata": { "enforceFrom": "${result.enforceFrom}" } to package.json: files before it are the adopted history (lint warns, never blocks)`,
          )
      }),
    )
}
