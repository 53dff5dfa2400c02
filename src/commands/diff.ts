/**
 * `strata diff NAME`: capture drift as the next migration. Replay the files into a scratch database, compare its
 * schema with the live one, write the DDL that turns the first into the second as `<version>_<NAME>.sql`, prove
 * it on the scratch database (applied there, it must yield the live schema exactly), and record it as applied
 * on the live database, which already has those changes. `--check` only compares: exit 1 on drift.
 */
import { resolveOptions, type CommonOptions, type Resolved } from '../config/index.js'
import { openTarget, type Target } from '../db/target.js'
import { refuseNonEmpty, withScratch } from '../db/scratch.js'
import { StrataError } from '../errors.js'
import { readMigrations } from '../runner/files.js'
import type { MigrationFile } from '../runner/file-format.js'
import { ensureLedger, readLedger, recordWithoutRunning } from '../runner/ledger.js'
import { underLock } from '../runner/lock.js'
import { makePlan } from '../runner/plan.js'
import { runWhole } from '../runner/execute.js'
import { diffSnapshots, snapshotSchema, type SchemaDifference, type Snapshot } from '../schema/index.js'
import { withoutLedger } from '../verify/index.js'
import { comparisonScope, replayHistory } from '../verify/shadow.js'
import { targetRoles } from '../db/scratch.js'
import { readSetupFiles } from '../db/setup.js'
import type { Finding } from '../lint/index.js'
import type { Unsupported } from '../diff/index.js'
import { newMigration } from './new.js'

export interface DiffOptions extends CommonOptions {
  /** The new file's name (`<version>_<name>.sql`); not needed with `check`. */
  name?: string
  /** Only compare: the result says whether there is drift; nothing is written or recorded. */
  check?: boolean
  /** Write nothing and record nothing: the result carries the file's text (`sql`), proven like a real one. */
  dryRun?: boolean
  /** Record the new file as applied on the live database (default true); false only writes it. */
  record?: boolean
  /** Confirm recording without asking. */
  yes?: boolean
  /** Asks a person; without it (and without `yes`) recording is refused. */
  confirm?: (question: string) => Promise<boolean>
  /** An empty database to replay into instead of an embedded scratch Postgres. */
  scratchUrl?: string
  /** SQL files run on the scratch database before the history (`supabase`: Strata's Supabase stand-in). */
  setup?: string[]
  excludeSchemas?: string[]
  /** Compare a platform's schemas too (left out by default on a Supabase database). */
  allSchemas?: boolean
  waitMs?: number
  onProgress?: (event: DiffProgress) => void
}

export type DiffProgress = { type: 'replay'; file: MigrationFile } | { type: 'prove'; path: string }

export interface DiffResult {
  target: string
  /** The files' schema (expected) against the live one (actual). */
  differences: SchemaDifference[]
  /** Statements the new file holds. */
  statements: number
  /** Differences no statement could be written for: listed in the file, to be written by hand. */
  unsupported: Unsupported[]
  /** The file written, relative to the working directory; null when nothing was written. */
  path: string | null
  /** The captured SQL (also with dryRun, when no file is written); null when there was nothing to capture. */
  sql: string | null
  version: string | null
  /** What still differs after the file was applied to the files' schema on the scratch database (should be nothing). */
  residual: SchemaDifference[]
  /** Lint errors in the written file (should be none). */
  lintErrors: Finding[]
  recorded: boolean
  /** The platform whose schemas were left out, when one was recognised. */
  platform?: 'supabase'
}

export async function diff(options: DiffOptions = {}): Promise<DiffResult> {
  if (!options.check && !options.name && !options.dryRun)
    throw new StrataError('usage', 'strata diff needs a name for the new file, e.g. strata diff add_profiles; or --check to only compare')
  if (options.name && !/^[A-Za-z0-9_-]+$/.test(options.name.trim().replace(/\s+/g, '_')))
    throw new StrataError('usage', `migration name ${JSON.stringify(options.name)} may contain only letters, digits, _ and -`)
  const recording = !options.check && !options.dryRun && options.record !== false
  if (recording && !options.yes && !options.confirm)
    throw new StrataError(
      'usage',
      'strata diff records the file it writes as applied, which needs confirmation, and there is no terminal to ask on',
      {
        hint: 'pass --yes to record it, or --no-record to only write it',
      },
    )
  const cfg = resolveOptions(options)
  const files = readMigrations(cfg.dir, cfg.cwd, cfg.layout)
  const setup = readSetupFiles(options.setup ?? [], cfg.cwd)
  const target = await openTarget(cfg)
  try {
    await refuseUnappliedHistory(target, files, cfg.schema)
    const scope = await comparisonScope(target.sql, target.url, options)
    const snap = (sql: Target['sql']) =>
      snapshotSchema(sql, { exclude: scope.exclude, excludeExtensions: scope.excludeExtensions, grants: true })
    const [live, roles] = await Promise.all([snap(target.sql), targetRoles(target.sql)])
    const actual = withoutLedger(live, cfg.schema)
    const captured = await withScratch(options.scratchUrl, async (scratch) => {
      if (options.scratchUrl) await refuseNonEmpty(scratch, 'strata diff')
      await replayHistory(scratch.sql, files, { roles, setup, onFile: (file) => options.onProgress?.({ type: 'replay', file }) })
      const expected = await snap(scratch.sql)
      const differences = diffSnapshots(expected, actual)
      if (options.check || !differences.length) return { differences }
      const file = await writeCapture(expected, actual, options, target, cfg.dir, cfg.cwd)
      options.onProgress?.({ type: 'prove', path: file.path })
      return { differences, file, residual: await prove(scratch.sql, file.path, file.text, actual, snap) }
    })
    const result: DiffResult = {
      target: target.shown,
      differences: captured.differences,
      statements: captured.file?.statements ?? 0,
      unsupported: captured.file?.unsupported ?? [],
      path: options.dryRun ? null : (captured.file?.path ?? null),
      sql: captured.file?.text ?? null,
      version: captured.file?.version ?? null,
      residual: captured.residual ?? [],
      lintErrors: captured.file?.lintErrors ?? [],
      recorded: false,
      ...(scope.platform && { platform: scope.platform }),
    }
    if (!captured.file || !recording || !isComplete(result)) return result
    await confirmed(options, `record ${result.path} as applied on ${target.shown} (its changes are already there)?`)
    await record(target, cfg, result, files, options.waitMs ?? 60_000)
    return { ...result, recorded: true }
  } finally {
    await target.close()
  }
}

/** A file is recorded only when it is whole: it proved out on the scratch database, lints clean, and misses nothing. */
export const isComplete = (r: DiffResult) => !r.residual.length && !r.lintErrors.length && !r.unsupported.length

/** Drift is measured against the applied history: with pending or edited files it would capture their absence. */
async function refuseUnappliedHistory(target: Target, files: MigrationFile[], schema: string): Promise<void> {
  const plan = makePlan(files, await readLedger(target.sql, schema))
  const open = plan.entries.filter((e) => e.state !== 'applied')
  if (!open.length) return
  throw new StrataError(
    'history',
    `strata diff compares the database with its applied history, and ${open.length} file(s) are not applied as they are on disk`,
    {
      context: open.map((e) => `${e.state}: ${e.file?.path ?? `version ${e.version} (${e.name})`}`),
      hint: 'run strata migrate (or fix the history: strata status shows each problem) and then strata diff',
    },
  )
}

interface Capture {
  path: string
  version: string
  text: string
  statements: number
  unsupported: Unsupported[]
  lintErrors: Finding[]
}

async function writeCapture(
  expected: Snapshot,
  actual: Snapshot,
  options: DiffOptions,
  target: Target,
  dir: string,
  cwd: string,
): Promise<Capture> {
  const { planMigration, renderMigration } = await import('../diff/index.js') // only strata diff pays for the engine
  const plan = planMigration(expected, actual)
  const name = options.name ?? 'drift'
  const recordNote =
    options.record === false || options.dryRun
      ? 'Not recorded anywhere: on the database that has these changes, run strata repair --applied <this version>.'
      : 'Recorded as applied there (it already has these changes); other databases get them from strata migrate.'
  const text = renderMigration(plan, {
    header: [
      `${name}: captured by strata diff on ${new Date().toISOString().slice(0, 10)}`,
      // The database by name only: the file is committed, and a host or user name is nobody's business there.
      `from database ${target.server.database}: turns the schema the earlier files build into the live one.`,
      recordNote,
    ],
  })
  const written = options.dryRun ? { path: `${name}.sql`, version: '' } : newMigration({ name, dir, cwd, content: text })
  const { lintSources } = await import('../lint/index.js')
  const findings = await lintSources([{ path: written.path, content: text }])
  return {
    path: written.path,
    version: written.version,
    text,
    statements: plan.changes.reduce((n, c) => n + c.statements.length, 0),
    unsupported: plan.unsupported,
    lintErrors: findings.filter((f) => f.severity === 'error'),
  }
}

/** Apply the new file where the history was replayed: what still differs from the live schema is what it fails to capture. */
async function prove(
  sql: Target['sql'],
  path: string,
  text: string,
  actual: Snapshot,
  snap: (sql: Target['sql']) => Promise<Snapshot>,
): Promise<SchemaDifference[]> {
  try {
    await runWhole(sql, { path, content: text })
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e)
    return [{ kind: 'different', object: path, expected: 'the file applies to the schema the earlier files build', actual: message }]
  }
  return diffSnapshots(actual, await snap(sql))
}

async function confirmed(options: DiffOptions, question: string): Promise<void> {
  if (options.yes) return
  if (!(await options.confirm!(question)))
    throw new StrataError('usage', 'not recorded: the file is written; record it later with strata repair --applied <version>')
}

async function record(
  target: Target,
  { schema, dir, cwd, layout }: Pick<Resolved, 'schema' | 'dir' | 'cwd' | 'layout'>,
  result: DiffResult,
  before: MigrationFile[],
  waitMs: number,
) {
  const file = readMigrations(dir, cwd, layout).find((f) => f.path === result.path || String(f.version) === String(Number(result.version)))
  if (!file) throw new StrataError('files', `${result.path} was written but cannot be read back as a migration file`)
  await ensureLedger(target.sql, schema, waitMs)
  await underLock(target.sql, schema, waitMs, async (tx) => {
    // Another runner may have applied something since the comparison: then the capture is stale.
    const rows = await readLedger(tx, schema)
    const known = new Set(before.map((f) => f.version))
    const newer = rows.filter((r) => !known.has(r.version))
    if (newer.length)
      throw new StrataError(
        'history',
        `not recorded: version ${newer[0].version} was applied while strata diff compared; the capture may be stale`,
        {
          hint: `delete ${result.path} and run strata diff again`,
        },
      )
    await recordWithoutRunning(tx, schema, file, 'diff', { statements: result.statements, differences: result.differences.length })
  })
}
