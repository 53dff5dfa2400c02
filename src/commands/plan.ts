/**
 * `strata plan`: what `migrate` would do, for a person reviewing it. The pending files in order, each with its
 * transaction mode, lint findings, reverse status and the data its destructive statements put at risk (row
 * counts from the target when there is one); with --trace, what each statement really does on a scratch
 * database built from the applied history (src/plan/trace.ts). The target is only read, in read-only
 * transactions: plan writes no ledger row and creates nothing there.
 *
 * Which files are pending: the target's ledger; or, without a database or with --base, the files that a git
 * revision does not have (a pull request's new files); else every file.
 */
import { readSetupFiles } from '../db/setup.js'
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { resolveFiles, resolveOptions, type CommonOptions } from '../config/index.js'
import type { Sql } from '../db/connect.js'
import { openTarget } from '../db/target.js'
import { targetRoles } from '../db/scratch.js'
import { inTransaction } from '../db/transaction.js'
import { StrataError } from '../errors.js'
import type { Finding } from '../lint/index.js'
import { statementsOf } from '../runner/execute.js'
import { readMigrations } from '../runner/files.js'
import { decideRunModes } from '../runner/run-mode.js'
import { normalize, type MigrationFile } from '../runner/file-format.js'
import { readLedger, type LedgerRow } from '../runner/ledger.js'
import { lintPending } from '../runner/lint-gate.js'
import { describeBlocker, makePlan } from '../runner/plan.js'
import { quoteIdent, quoteLiteral } from '../sql/quote.js'
import type { AtRisk, PlanResult, PlannedFile, RelationSize, ReverseStatus } from '../plan/types.js'
import type { TraceProgress } from '../plan/trace.js'
import { oneLine } from '../plan/render.js'
import { downPathOf, isBlank } from './reverse.js'

export type * from '../plan/types.js'

export interface PlanOptions extends CommonOptions {
  /** Plan only up to this version (as migrate --to). */
  to?: number
  outOfOrder?: boolean
  allowDestructive?: boolean
  /** Per-rule severity overrides, `<rule>=off|warning|error`. */
  rules?: string[]
  /** Files this git revision lacks are pending, whatever the database's ledger says (e.g. `origin/main`). */
  base?: string
  /** Apply the pending files on a scratch database and record what each statement does. */
  trace?: boolean
  /** An empty database to trace on; default: an embedded Postgres in a temporary directory. */
  scratchUrl?: string
  /** SQL files run first on the scratch database (stand-ins for platform schemas, roles, extensions). */
  setup?: string[]
  /** Copy up to this many rows of each table from the target into the scratch database. */
  sampleRows?: number
  onProgress?: (event: TraceProgress) => void
}

export type { TraceProgress as PlanProgress }

export async function plan(options: PlanOptions = {}): Promise<PlanResult> {
  const env = options.env ?? process.env
  const cwd = options.cwd ?? process.cwd()
  const withDatabase = !!(options.embedded || options.url || env.DATABASE_URL)
  if (options.sampleRows && !withDatabase)
    throw new StrataError('usage', '--sample-rows copies rows from the target: give --url (or DATABASE_URL)')
  if ((options.sampleRows || options.scratchUrl || options.setup?.length) && !options.trace)
    throw new StrataError('usage', '--sample-rows, --scratch-url and --setup are options of plan --trace')
  const cfg = withDatabase ? resolveOptions(options) : undefined
  const { dir, layout } = cfg ?? resolveFiles({ ...options, cwd, env })
  const files = readMigrations(dir, cwd, layout)
  const setup = readSetupFiles(options.setup ?? [], cwd)
  const target = cfg ? await openTarget(cfg) : undefined
  try {
    const read = <T>(work: (sql: Sql) => Promise<T>) => readOnly(target!.sql, work)
    const ledger = target && !options.base ? await read((sql) => readLedgerIfAny(sql, cfg!.schema)) : undefined
    const split = splitHistory(files, ledger, options, cwd, dir)
    await decideRunModes(split.pending) // the mode migrate would run each in, for the plan and the trace
    const lint = await lintPending(split.pending, {
      cwd,
      rules: options.rules,
      allowDestructive: options.allowDestructive,
      gate: false,
      history: files,
      layout,
    })
    const planned = await Promise.all(split.pending.map((file) => planFile(file, lint.findings)))
    await addReverse(planned, split.pending, files, cwd)
    await addRisks(planned, split.pending, lint.findings, target && read)
    const result: PlanResult = {
      ok: !split.blockers.length && !lint.blocking.length,
      target: target?.shown ?? null,
      pendingFrom: split.from,
      applied: split.history.length,
      blockers: split.blockers,
      traced: !!options.trace,
      files: planned,
    }
    if (options.trace && split.pending.length) {
      const { tracePending } = await import('../plan/trace.js') // only --trace pays for the scratch server
      const roles = target ? await read(targetRoles) : []
      const traced = await tracePending({
        scratchUrl: options.scratchUrl,
        setup,
        roles,
        history: split.history,
        pending: split.pending,
        sample: options.sampleRows ? { rows: options.sampleRows, read } : undefined,
        onProgress: options.onProgress,
      })
      result.scratch = { shown: traced.shown, ...(options.sampleRows && { sampleRows: options.sampleRows }) }
      for (const t of traced.files)
        Object.assign(
          planned.find((p) => p.path === t.path)!,
          t,
        )
      if (planned.some((p) => p.error)) result.ok = false
      if (target) result.sizes = await read((sql) => sizesOf(sql, flagged(planned)))
    }
    return result
  } finally {
    await target?.close()
  }
}

/** The target is only read: every read in a read-only transaction of its own, short, so no lock or snapshot lingers. */
function readOnly<T>(sql: Sql, work: (sql: Sql) => Promise<T>): Promise<T> {
  return inTransaction(sql, () => work(sql), 'begin isolation level repeatable read read only')
}

async function readLedgerIfAny(sql: Sql, schema: string): Promise<LedgerRow[]> {
  const [{ exists }] = await sql`select to_regclass(${`${quoteIdent(schema)}.migrations`}) is not null as exists`
  return exists ? readLedger(sql, schema) : []
}

interface History {
  history: MigrationFile[]
  pending: MigrationFile[]
  blockers: string[]
  from: PlanResult['pendingFrom']
}

function splitHistory(files: MigrationFile[], ledger: LedgerRow[] | undefined, options: PlanOptions, cwd: string, dir: string): History {
  const inRange = (f: MigrationFile) => options.to === undefined || f.version <= options.to
  if (ledger) {
    const p = makePlan(files, ledger, { outOfOrder: options.outOfOrder, to: options.to })
    const history = p.entries.filter((e) => (e.state === 'applied' || e.state === 'changed') && e.file).map((e) => e.file!)
    return { history, pending: p.pending, blockers: p.blockers.map(describeBlocker), from: { kind: 'ledger' } }
  }
  if (options.base) {
    const known = filesAt(options.base, resolve(cwd, dir))
    const isNew = (f: MigrationFile) => !known.has(relative(resolve(cwd, dir), resolve(cwd, f.path)).split('\\').join('/'))
    const last = Math.max(-Infinity, ...files.filter((f) => !isNew(f)).map((f) => f.version))
    const early = files.filter((f) => isNew(f) && f.version < last && !options.outOfOrder)
    return {
      history: files.filter((f) => !isNew(f)),
      pending: files.filter((f) => isNew(f) && inRange(f)),
      blockers: early.map(
        (f) => `${f.path} is new but sorts before ${options.base}'s last file: rename it to a later version, or pass --out-of-order`,
      ),
      from: { kind: 'git', base: options.base },
    }
  }
  return { history: [], pending: files.filter(inRange), blockers: [], from: { kind: 'none' } }
}

/** The migration files a git revision has, as paths relative to the migrations directory. */
function filesAt(revision: string, dir: string): Set<string> {
  try {
    const out = execFileSync('git', ['ls-tree', '-r', '--name-only', revision, '--', '.'], {
      cwd: dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    return new Set(out.split('\n').filter(Boolean))
  } catch (e) {
    const why = String((e as { stderr?: string }).stderr || (e as Error).message)
      .trim()
      .split('\n')[0]
    throw new StrataError('config', `--base ${revision}: git cannot list the migrations there: ${why}`, {
      hint: 'run inside the git checkout, and fetch the base branch first (actions/checkout with fetch-depth: 0)',
    })
  }
}

async function planFile(file: MigrationFile, findings: Finding[]): Promise<PlannedFile> {
  const statements = await statementsOf(normalize(file.content))
  return {
    path: file.path,
    version: file.version,
    name: file.name,
    mode: file.noTransaction ? 'no-transaction' : 'transaction',
    findings: findings.filter((f) => f.file === file.path),
    reverse: 'missing',
    reverseNote: '',
    atRisk: [],
    statements: statements.map((s) => ({
      line: s.line,
      column: s.column,
      sql: oneLine(s.text),
      ms: null,
      locks: null,
      rewrites: null,
      scans: null,
      flags: [],
    })),
  }
}

/** Whether each file has a down file that undoes it; for those without, what `strata reverse` would write. */
async function addReverse(planned: PlannedFile[], pending: MigrationFile[], all: MigrationFile[], cwd: string): Promise<void> {
  const without = new Set<MigrationFile>()
  for (const [i, file] of pending.entries()) {
    const path = join(cwd, downPathOf(file))
    const text = existsSync(path) ? readFileSync(path, 'utf8') : undefined
    if (text === undefined || isBlank(text)) {
      without.add(file)
      continue
    }
    const [status, note] = downStatus(text, file)
    Object.assign(planned[i], { reverse: status, reverseNote: note })
  }
  if (!without.size) return
  const { reverseHistory } = await import('../reverse/index.js')
  const stubs = await reverseHistory(
    all.map((f) => ({ path: f.path, content: f.content })),
    (_, i) => without.has(all[i]!),
  )
  for (const stub of stubs) {
    const p = planned.find((x) => x.path === stub.path)
    if (!p) continue
    p.reverseNote = stub.error
      ? 'no down file'
      : stub.complete
        ? 'no down file; strata reverse can write a complete one'
        : 'no down file; strata reverse would write a stub that needs a hand-written part'
  }
}

function downStatus(text: string, file: MigrationFile): [ReverseStatus, string] {
  const header = /^--\s*strata:reverses\s+\S+\s+sha256:([0-9a-f]{64})\s*$/m.exec(text)
  if (!header) return ['complete', 'hand-written down file; strata check-reverse proves it']
  if (header[1] !== file.checksum)
    return ['unfinished', 'a stub written for an earlier version of the file: write it again (strata reverse --force)']
  if (/^-- NOT FINISHED:/m.test(text)) return ['unfinished', 'stub by strata reverse: some statements need a hand-written reverse']
  return ['complete', 'stub by strata reverse']
}

/** The data the destructive statements would destroy, counted on the target when there is one. */
async function addRisks(
  planned: PlannedFile[],
  pending: MigrationFile[],
  findings: Finding[],
  read: (<T>(work: (sql: Sql) => Promise<T>) => Promise<T>) | undefined,
): Promise<void> {
  const { findRisks } = await import('../backup/at-risk.js')
  const { risks } = await findRisks(pending, findings)
  if (!risks.length) return
  const counted = read ? await read((sql) => Promise.all(risks.map((r) => countRisk(sql, r.target)))) : risks.map(() => undefined)
  for (const [i, { target, reason }] of risks.entries()) {
    const entry: AtRisk = { line: reason.line, rule: reason.rule, what: describeRisk(target), rows: counted[i]?.rows ?? null }
    if (counted[i]?.estimated) entry.estimated = true
    planned.find((p) => p.path === reason.file)?.atRisk.push(entry)
  }
}

type RiskTarget = Awaited<ReturnType<typeof import('../backup/at-risk.js').findRisks>>['risks'][number]['target']

function describeRisk(t: RiskTarget): string {
  const name = (n: { schema?: string; name: string }) => (n.schema ? `${n.schema}.${n.name}` : n.name)
  switch (t.kind) {
    case 'rows':
      return `${name(t.table)} (every row)`
    case 'columns':
      return t.columns.map((c) => `${name(t.table)}.${c}`).join(', ')
    case 'schema':
      return `schema ${t.schema} (every table in it)`
    case 'referencing':
      return `tables that reference ${t.tables.map(name).join(', ')} (emptied by CASCADE)`
    case 'type-columns':
      return `columns of type ${name(t.type)} (dropped by CASCADE)`
  }
}

/** Rows a risk covers on the target; undefined when its tables are not there (yet). */
async function countRisk(sql: Sql, t: RiskTarget): Promise<{ rows: number; estimated: boolean } | undefined> {
  const { tableOid, tablesInSchema, referencingTables, columnsOfType } = await import('../backup/catalog.js')
  let oids: number[]
  if (t.kind === 'rows' || t.kind === 'columns') oids = [await tableOid(sql, t.table)].filter((o): o is number => !!o)
  else if (t.kind === 'schema') oids = await tablesInSchema(sql, t.schema)
  else if (t.kind === 'referencing')
    oids = await referencingTables(
      sql,
      (await Promise.all(t.tables.map((n) => tableOid(sql, n)))).filter((o): o is number => !!o),
    )
  else oids = [...new Set((await columnsOfType(sql, t.type)).map((c) => c.oid))]
  if (!oids.length) return undefined
  const counts = await Promise.all(oids.map((oid) => rowCount(sql, oid)))
  return { rows: counts.reduce((s, c) => s + c.rows, 0), estimated: counts.some((c) => c.estimated) }
}

/** Tables this large are not counted: the planner's estimate says enough, and counting would scan them. */
const COUNT_LIMIT = 100_000

async function rowCount(sql: Sql, oid: number): Promise<{ rows: number; estimated: boolean }> {
  const [{ estimate, name }] = await sql.unsafe(
    `select c.reltuples::float8 as estimate, format('%I.%I', n.nspname, c.relname) as name from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.oid = ${oid}`,
  )
  if (estimate >= COUNT_LIMIT) return { rows: Math.round(estimate), estimated: true }
  const [{ n }] = await sql.unsafe(`select count(*)::float8 as n from ${name}`)
  return { rows: n, estimated: false }
}

/** Relations the trace flagged: their size on the target tells how long the lock or rewrite will really take. */
function flagged(planned: PlannedFile[]): string[] {
  return [...new Set(planned.flatMap((p) => p.statements.flatMap((s) => s.flags.map((f) => f.relation))))]
}

async function sizesOf(sql: Sql, names: string[]): Promise<Record<string, RelationSize>> {
  if (!names.length) return {}
  const rows = await sql.unsafe(
    `select n.nspname || '.' || c.relname as name, c.oid::int as oid, c.reltuples::float8 as estimate, pg_total_relation_size(c.oid)::float8 as bytes
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname || '.' || c.relname = any(array[${names.map(quoteLiteral).join(', ')}]::text[])`,
  )
  const sizes: Record<string, RelationSize> = {}
  for (const r of rows) {
    const count = await rowCount(sql, r.oid)
    sizes[r.name] = { rows: count.rows, estimated: count.estimated, bytes: r.bytes }
  }
  return sizes
}
