/**
 * `strata verify`: ok only when the database matches its files. The history must be clean (nothing pending,
 * missing, changed, failed, running or out of order) and every object the applied files create, and did not
 * later drop, must be in the catalog. `--shadow` also replays every file into a scratch database and diffs
 * the two schemas.
 */
import { resolveOptions, type CommonOptions } from '../config/index.js'
import { openTarget } from '../db/target.js'
import { readMigrations } from '../runner/files.js'
import { type MigrationFile } from '../runner/file-format.js'
import { readLedger } from '../runner/ledger.js'
import { describeBlocker, makePlan, type EntryState, type PlanEntry } from '../runner/plan.js'
import { diffSnapshots, snapshotSchema, type SchemaDifference } from '../schema/index.js'
import { findObjectDrift, withoutLedger, type ObjectProblem, type Unchecked } from '../verify/index.js'

export interface VerifyOptions extends CommonOptions {
  /** Replay every file into an embedded scratch database and diff its schema with this one. */
  shadow?: boolean
  /** Schemas the --shadow diff leaves out besides the ledger's, e.g. platform schemas such as auth or storage. */
  excludeSchemas?: string[]
  onProgress?: (event: VerifyProgress) => void
}

export type VerifyProgress = { type: 'shadow'; file: MigrationFile }

export interface HistoryProblem {
  version: number
  name: string
  state: Exclude<EntryState, 'applied'>
  file: string | null
  message: string
}

export interface VerifyResult {
  ok: boolean
  target: string
  /** Files and ledger rows that disagree. */
  history: HistoryProblem[]
  /** Objects the applied files create that are missing or not as created. */
  objects: ObjectProblem[]
  /** How many files were walked and how many objects looked up. */
  files: number
  checked: number
  /** Statements whose objects cannot be known from the file: not checked, and listed so. */
  unchecked: Unchecked[]
  /** With --shadow: the scratch database (expected) against this one (actual). */
  shadow: { differences: SchemaDifference[] } | null
}

export async function verify(options: VerifyOptions = {}): Promise<VerifyResult> {
  const cfg = resolveOptions(options)
  const files = readMigrations(cfg.dir, cfg.cwd, cfg.layout)
  const target = await openTarget(cfg)
  try {
    const plan = makePlan(files, await readLedger(target.sql, cfg.schema), { dir: cfg.dir })
    const history = plan.entries.filter((e) => e.state !== 'applied').map(historyProblem)
    // An edited file was still applied: walk what is on disk now, the only text there is.
    const applied = plan.entries.filter((e) => (e.state === 'applied' || e.state === 'changed') && e.file).map((e) => e.file!)
    const drift = await findObjectDrift(target.sql, applied, cfg.schema)
    let shadow: VerifyResult['shadow'] = null
    if (options.shadow) {
      const { shadowSnapshot, targetRoles } = await import('../verify/shadow.js')
      const exclude = options.excludeSchemas ?? []
      const [actual, roles] = await Promise.all([snapshotSchema(target.sql, { exclude }), targetRoles(target.sql)])
      const expected = await shadowSnapshot(files, { roles, exclude, onFile: (file) => options.onProgress?.({ type: 'shadow', file }) })
      shadow = { differences: diffSnapshots(expected, withoutLedger(actual, cfg.schema)) }
    }
    return {
      ok: !history.length && !drift.problems.length && !shadow?.differences.length,
      target: target.shown,
      history,
      objects: drift.problems,
      files: applied.length,
      checked: drift.checked,
      unchecked: drift.unchecked,
      shadow,
    }
  } finally {
    await target.close()
  }
}

function historyProblem(e: PlanEntry): HistoryProblem {
  const message =
    e.state === 'pending' && e.file?.repeatable && e.row
      ? `${e.path} changed since it was applied: a repeatable, strata migrate applies it again`
      : e.state === 'pending'
        ? `${e.path} is pending: it has not been applied to this database (run strata migrate)`
        : describeBlocker(e)
  return { version: e.version, name: e.name, state: e.state as HistoryProblem['state'], file: e.file?.path ?? null, message }
}
