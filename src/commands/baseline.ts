/**
 * `strata baseline --to V`: for a database that already has the schema, record every file up to V as
 * applied without running it. Only on an empty ledger. Before it records anything it checks, through the
 * catalog, that the objects those files create really exist: a baseline must never mark as applied what
 * is not there (the incident behind `strata verify`). `force` records anyway and reports what is missing.
 */
import { resolveOptions, type CommonOptions } from '../config/index.js'
import { openTarget } from '../db/target.js'
import { StrataError } from '../errors.js'
import { readMigrations } from '../runner/files.js'
import { ensureLedger, readLedger, recordWithoutRunning } from '../runner/ledger.js'
import { underLock } from '../runner/lock.js'
import type { ObjectProblem, Unchecked } from '../verify/index.js'
import { checkBeforeRecording } from '../verify/before-recording.js'
import { recordProjectConfig } from '../config/project.js'

export interface BaselineOptions extends CommonOptions {
  /** The last version the database already has. */
  to: number
  /** Record even when objects those files create are missing. */
  force?: boolean
  waitMs?: number
}

export interface BaselineResult {
  target: string
  recorded: { version: number; name: string; path: string }[]
  /** Objects the recorded files create that are missing (only with force; otherwise baseline refuses). */
  objects: ObjectProblem[]
  unchecked: Unchecked[]
  /** What was written into package.json "strata" (enforceFrom, unless a person set it); null: no package.json. */
  config: Record<string, string> | null
  /** The first version of new work: the baselined files before it are an adopted history. */
  enforceFrom: string
}

export async function baseline(options: BaselineOptions): Promise<BaselineResult> {
  if (!Number.isSafeInteger(options.to))
    throw new StrataError('usage', 'strata baseline needs --to <version>: the last version the database already has')
  const cfg = resolveOptions(options)
  const files = readMigrations(cfg.dir, cfg.cwd, cfg.layout).filter((f) => f.version <= options.to)
  if (!files.length) throw new StrataError('usage', `--to ${options.to}: no migration file has a version up to ${options.to}`)
  const waitMs = options.waitMs ?? 60_000
  const target = await openTarget(cfg)
  try {
    refuseNonEmpty((await readLedger(target.sql, cfg.schema)).length)
    const drift = await checkBeforeRecording(target.sql, {
      files,
      recording: files.map((f) => f.version),
      ledgerSchema: cfg.schema,
      force: options.force,
      command: 'baseline',
      hint: `baseline is for a database that already has this schema: check --to ${options.to}, apply what is missing`,
    })
    await ensureLedger(target.sql, cfg.schema, waitMs)
    await underLock(target.sql, cfg.schema, waitMs, async (tx) => {
      refuseNonEmpty((await readLedger(tx, cfg.schema)).length)
      for (const file of files)
        await recordWithoutRunning(tx, cfg.schema, file, 'baseline', {
          baseline_to: options.to,
          forced: drift.forced,
        })
    })
    // New work starts after the baselined files.
    const enforceFrom = String(options.to + 1)
    const config = recordProjectConfig(cfg.cwd, { enforceFrom }) ?? null
    return {
      target: target.shown,
      recorded: files.map((f) => ({ version: f.version, name: f.name, path: f.path })),
      objects: drift.problems,
      unchecked: drift.unchecked,
      config,
      enforceFrom,
    }
  } finally {
    await target.close()
  }
}

function refuseNonEmpty(rows: number): void {
  if (!rows) return
  throw new StrataError('history', `refusing to baseline: the ledger already records ${rows} migration(s)`, {
    hint: 'baseline only starts a ledger; to fix single versions use strata repair --applied <version>',
  })
}
