/** `strata status`: one line per file: applied / pending / changed / missing / failed, with time and duration. */
import { resolveOptions, type CommonOptions } from '../config/index.js'
import { withTarget } from '../db/target.js'
import { readHistoryMeanwhile, type History } from '../runner/folder.js'
import type { Skipped } from '../layouts/index.js'
import { readLedger } from '../runner/ledger.js'
import { makePlan, type EntryState } from '../runner/plan.js'

export interface StatusEntry {
  version: number
  name: string
  state: EntryState
  /** The file on disk; null when it is missing. */
  file: string | null
  /** The file's path, or for a missing file where it would be. */
  path: string
  appliedAt: string | null
  executionMs: number | null
  appliedBy: string | null
}

export interface StatusResult {
  target: string
  server: { version: string; database: string; user: string }
  entries: StatusEntry[]
  counts: Record<EntryState, number>
  /** Whose layout the folder was read in, and whether that was detected rather than asked for. */
  layout: { name: string; detected: boolean }
  /** Files the layout's tool itself skips (e.g. names the Supabase CLI does not read), listed so none is skipped silently. */
  skipped: Skipped[]
}

export interface StatusOptions extends CommonOptions {
  /** The history, already read (a fan-out over targets reads it once); else read from the directory. */
  history?: History
}

export async function status(options: StatusOptions = {}): Promise<StatusResult> {
  const cfg = resolveOptions(options)
  return withTarget(
    cfg,
    () => options.history ?? readHistoryMeanwhile(cfg.dir, cfg.cwd, cfg.layout),
    async (target, { files, layout, detected, skipped }) => {
      const plan = makePlan(files, await readLedger(target.sql, cfg.schema), { dir: cfg.dir })
      const counts = { applied: 0, pending: 0, changed: 0, missing: 0, failed: 0, running: 0, 'out-of-order': 0 }
      const entries = plan.entries.map((e): StatusEntry => {
        counts[e.state]++
        return {
          version: e.version,
          name: e.name,
          state: e.state,
          file: e.file?.path ?? null,
          path: e.path,
          appliedAt: e.row?.finished_at?.toISOString() ?? null,
          executionMs: e.row?.execution_ms ?? null,
          appliedBy: e.row?.applied_by ?? null,
        }
      })
      return { target: target.shown, server: target.server, entries, counts, layout: { name: layout, detected }, skipped }
    },
    { arrays: false },
  )
}
