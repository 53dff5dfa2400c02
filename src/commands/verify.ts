/**
 * `strata verify`: ok only when the database matches its files. The history must be clean (nothing pending,
 * missing, changed, failed, running or out of order) and every object the applied files create, and did not
 * later drop, must be in the catalog. `--shadow` also replays every file into a scratch database and diffs
 * the two schemas.
 */
import { resolveOptions, type CommonOptions } from '../config/index.js'
import { openTarget } from '../db/target.js'
import { readMigrations, type History } from '../runner/files.js'
import { type MigrationFile } from '../runner/file-format.js'
import { readLedger } from '../runner/ledger.js'
import { describeBlocker, makePlan, type EntryState, type PlanEntry } from '../runner/plan.js'
import { alignPrivileges, diffSnapshots, snapshotSchema, type SchemaDifference } from '../schema/index.js'
import { findObjectDrift, withoutLedger, type ObjectProblem, type Unchecked } from '../verify/index.js'

export interface VerifyOptions extends CommonOptions {
  /** Replay every file into an embedded scratch database and diff its schema with this one. */
  shadow?: boolean
  /** Schemas the --shadow diff leaves out besides the ledger's (and, on a Supabase database, the platform's). */
  excludeSchemas?: string[]
  /** --shadow: compare the platform's schemas too (left out by default on a Supabase database). */
  allSchemas?: boolean
  /** --shadow: SQL files run on the scratch database before the history (`supabase` for Strata's Supabase stand-in). */
  setup?: string[]
  /** --shadow: an empty database to replay into instead of an embedded scratch Postgres. */
  scratchUrl?: string
  onProgress?: (event: VerifyProgress) => void
  /** The history, already read (a fan-out over targets reads it once); else read from the directory. */
  history?: History
  /** --each-schema: the schemas unqualified names in the files resolve to (the tenant first); else the database's search_path. */
  searchPath?: string[]
  /** --each-schema: schemas to leave out of the object check (the other tenants). */
  skipSchemas?: string[]
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
  /** With --shadow: the scratch database (expected) against this one (actual), and the platform whose schemas were left out. */
  shadow: { differences: SchemaDifference[]; platform?: 'supabase'; excluded?: string[] } | null
  /** Commands that fix what was found: an applied file whose objects went missing runs again with `strata repair --reapply`. */
  suggestions: string[]
}

export async function verify(options: VerifyOptions = {}): Promise<VerifyResult> {
  const cfg = resolveOptions(options)
  const files = options.history?.files ?? readMigrations(cfg.dir, cfg.cwd, cfg.layout)
  const target = await openTarget(cfg)
  try {
    const plan = makePlan(files, await readLedger(target.sql, cfg.schema), { dir: cfg.dir })
    const history = plan.entries.filter((e) => e.state !== 'applied').map(historyProblem)
    // An edited file was still applied: walk what is on disk now, the only text there is.
    const applied = plan.entries.filter((e) => (e.state === 'applied' || e.state === 'changed') && e.file).map((e) => e.file!)
    const drift = await findObjectDrift(target.sql, applied, cfg.schema, { searchPath: options.searchPath, skip: options.skipSchemas })
    let shadow: VerifyResult['shadow'] = null
    if (options.shadow) {
      const [{ comparisonScope, shadowSnapshot }, { targetRoles }] = await Promise.all([
        import('../verify/shadow.js'),
        import('../db/scratch.js'),
      ])
      const { readSetupFiles } = await import('../db/setup.js')
      const setup = readSetupFiles(options.setup ?? [], cfg.cwd)
      const scope = await comparisonScope(target.sql, target.url, options)
      const compared = { exclude: scope.exclude, excludeExtensions: scope.excludeExtensions, grants: true }
      const [actual, roles] = await Promise.all([snapshotSchema(target.sql, compared), targetRoles(target.sql)])
      const replayed = await shadowSnapshot(files, {
        ...compared,
        roles,
        setup,
        scratchUrl: options.scratchUrl,
        onFile: (file) => options.onProgress?.({ type: 'shadow', file }),
      })
      const expected = alignPrivileges(replayed, actual.serverVersion)
      shadow = {
        differences: diffSnapshots(expected, withoutLedger(actual, cfg.schema)),
        ...(scope.platform && { platform: scope.platform, excluded: scope.exclude }),
      }
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
      suggestions: suggest(
        drift.problems,
        plan.entries.filter((e) => e.state === 'applied' && e.file).map((e) => e.file!),
      ),
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

/** Each applied, unedited file with missing objects: running it again is the fix (its statements are idempotent, lint sees to that). */
function suggest(problems: ObjectProblem[], applied: MigrationFile[]): string[] {
  const versions = [...new Set(problems.filter((p) => p.kind === 'missing').map((p) => p.version))].sort((a, b) => a - b)
  return versions
    .filter((v) => applied.some((f) => f.version === v))
    .map(
      (v) => `strata repair --reapply ${v}   (runs ${applied.find((f) => f.version === v)!.path} again, in one transaction with its event)`,
    )
}
