/**
 * The command line of a fan-out (`--targets FILE`, `--each-schema PATTERN`) for migrate, status and verify:
 * the flags, a line per target, a progress line on a terminal, the summary that names every failed target,
 * and the one JSON document of `--json`.
 */
import { annotation } from '../github.js'
import type { Counts, TargetResult, TargetRun, TargetsEvent, TargetsOptions } from '../targets/index.js'
import type { StrataError } from '../errors.js'
import type { TargetMigrateResult } from '../commands/targets.js'
import type { StatusResult } from '../commands/status.js'
import type { VerifyResult } from '../commands/verify.js'
import { printFindings } from './findings.js'
import { str, type Flags } from './options.js'
import { c, githubAnnotations, ms, type Out } from './output.js'

export function targetOptions(flags: Flags, out: Out, progress: Progress): TargetsOptions {
  return {
    targets: stdinDash(flags) ?? str(flags, 'targets'),
    eachSchema: str(flags, 'each-schema'),
    concurrency: whole(flags, 'concurrency'),
    canary: whole(flags, 'canary'),
    maxFailures: whole(flags, 'max-failures'),
    shard: str(flags, 'shard'),
    onTargets: (e) => progress.event(e, out),
  }
}

/** `--targets -`: the argument parser takes a lone `-` for a flag of its own; it means standard input. */
function stdinDash(flags: Flags, argv = process.argv): string | undefined {
  return flags.targets === true && argv[argv.indexOf('--targets') + 1] === '-' ? '-' : undefined
}

function whole(flags: Flags, key: string): number | undefined {
  const v = str(flags, key)
  return v === undefined ? undefined : /^\d+$/.test(v) ? Number(v) : NaN // NaN: the library says what is wrong
}

/** The line on stderr that a terminal rewrites in place: done, failed, running, left, rate. */
export class Progress {
  private timer?: NodeJS.Timeout
  private shown = false
  private t0 = performance.now()
  counts?: Counts
  /** Of the longest target name (up to 40), for lines that line up. */
  width = 6

  constructor(
    private readonly verb: string,
    private readonly enabled: boolean,
  ) {}

  event(e: TargetsEvent, out: Out): void | Promise<void> {
    if (e.type === 'targets') {
      this.width = Math.min(40, Math.max(6, ...e.names.map((n) => n.length)))
      const shard = e.names.length === e.of ? '' : ` (of ${e.of})`
      out.line(c.dim(`${this.verb} ${e.names.length} target(s)${shard} from ${e.from}, ${e.concurrency} connection(s) at a time`))
      this.start()
    } else if (e.type === 'note') this.print(() => out.note(c.yellow(`${e.target}: ${e.message}`)))
    else if (e.type === 'lint') {
      // Awaited by the linter: the findings are printed before any target applies the files.
      this.clear()
      return printFindings(e.findings, (text) => out.note(text.trimEnd()), githubAnnotations() && !out.json).then(() => this.draw())
    }
  }

  /** Print something with the progress line out of the way. */
  print(write: () => void): void {
    this.clear()
    write()
    this.draw()
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
    this.clear()
  }

  private start(): void {
    this.t0 = performance.now()
    if (!this.enabled) return
    this.timer = setInterval(() => this.draw(), 250)
    this.timer.unref()
  }

  private draw(): void {
    const n = this.counts
    if (!this.timer || !n) return
    const rate = n.done / Math.max(0.001, (performance.now() - this.t0) / 1000)
    process.stderr.write(
      `\r\x1b[2K${this.verb}: ${n.done}/${n.total} done, ${n.failed} failed, ${n.running} running, ${n.left} left, ${rate.toFixed(1)}/s`,
    )
    this.shown = true
  }

  private clear(): void {
    if (this.shown) process.stderr.write('\r\x1b[2K')
    this.shown = false
  }
}

/** Run a fan-out: a line per target as it finishes (`line`), then, in list order, what the summary needs. */
export async function collect<R>(
  run: TargetRun<R>,
  progress: Progress,
  out: Out,
  line: (r: TargetResult<R>, width: number) => string | undefined,
): Promise<TargetResult<R>[]> {
  progress.counts = run.counts
  const results: TargetResult<R>[] = []
  try {
    for await (const r of run) {
      results.push(r)
      const text = r.status === 'not-started' ? undefined : line(r, progress.width)
      if (text !== undefined) progress.print(() => out.line(text))
    }
  } finally {
    progress.stop()
  }
  return results.sort((a, b) => a.index - b.index)
}

const width = (results: TargetResult<unknown>[]) => Math.min(40, Math.max(6, ...results.map((r) => r.target.length)))
const label = (status: string, paint: (s: string) => string) => paint(status.padEnd(10))

// ---- migrate ----

export function migrateLine(r: TargetResult<TargetMigrateResult>, width: number): string {
  const name = r.target.padEnd(width)
  if (r.error)
    return `${label('failed', c.red)} ${name}  ${c.dim(`${versionText(r.error.facts.versionReached)}, ${ms(r.ms)}`)}  ${r.error.message}`
  const res = r.result!
  const did = res.dryRun ? `would apply ${res.plan.length}` : res.applied.length ? `applied ${res.applied.length}` : 'up to date'
  return `${label('ok', c.green)} ${name}  ${c.dim(versionText(res.version))}  ${did}  ${c.dim(ms(r.ms))}`
}

const versionText = (v: unknown) => (v === null || v === undefined ? 'no version applied' : `at version ${v}`)

/** The summary and the JSON document; returns the exit code. */
export async function migrateSummary(results: TargetResult<TargetMigrateResult>[], out: Out, elapsedMs: number): Promise<number> {
  const ok = results.filter((r) => r.status === 'ok')
  const migrated = ok.filter((r) => r.result!.applied.length).length
  const files = ok.reduce((n, r) => n + r.result!.applied.length, 0)
  const failed = results.filter((r) => r.status === 'failed')
  const notStarted = results.filter((r) => r.status === 'not-started')
  const summary = {
    targets: results.length,
    ok: ok.length,
    migrated,
    upToDate: ok.length - migrated,
    failed: failed.length,
    notStarted: notStarted.length,
    filesApplied: files,
    ms: Math.round(elapsedMs),
  }
  const dry = ok.filter((r) => r.result!.dryRun)
  const blocked = dry.find((r) => r.result!.lint.blocking.length) // a real run would stop there
  out.result({
    ok: !failed.length && !notStarted.length && !blocked,
    summary,
    targets: results.map((r) => ({
      target: r.target,
      kind: r.kind,
      status: r.status,
      ms: Math.round(r.ms),
      version: r.result ? r.result.version : (r.error?.facts.versionReached ?? null),
      applied: r.result?.applied ?? r.error?.facts.appliedFiles ?? [],
      ...(r.result?.dryRun && { plan: r.result.plan }),
      ...(r.error && { error: errorJson(r.error) }),
      ...(r.reason && { reason: r.reason }),
    })),
  })
  const problems =
    `${failed.length ? c.red(`${failed.length} failed`) : '0 failed'}, ` +
    `${notStarted.length ? c.yellow(`${notStarted.length} not started`) : '0 not started'}`
  if (dry.length) {
    const pending = dry.filter((r) => r.result!.plan.length)
    const files = pending.reduce((n, r) => n + r.result!.plan.length, 0)
    out.line(
      `${results.length} target(s), dry run: ${pending.length} would apply ${files} file(s), ${dry.length - pending.length} up to date, ${problems}`,
    )
  } else {
    out.line(
      `${results.length} target(s): ${c.green(`${ok.length} ok`)} (${migrated} migrated, ${ok.length - migrated} already up to date), ` +
        `${problems}; ${files} file(s) applied in ${ms(elapsedMs)}`,
    )
  }
  await printFailures(failed, out)
  printNotStarted(notStarted, out)
  if (blocked) out.line(c.red(`a real run would stop: lint found ${blocked.result!.lint.blocking.length} error(s) in pending files`))
  return failed.length || notStarted.length || blocked ? 1 : 0
}

/** Every failed target with its error, where and how to fix it; as GitHub annotations too in Actions. */
async function printFailures(failed: TargetResult<unknown>[], out: Out): Promise<void> {
  if (!failed.length) return
  out.line(c.red().bold(`failed: ${failed.length}`))
  const lint = failed.find((r) => r.error!.code === 'lint')
  if (lint) await printFindings((lint.error!.facts.findings as never[]) ?? [], (text) => out.line(text.trimEnd()), false)
  for (const r of failed) {
    const e = r.error!
    out.line(`  ${c.bold(r.target)}: ${e.message}`)
    for (const l of e.facts.context ?? []) out.line(`      ${l}`)
    if (e.facts.detail) out.line(`    ${c.dim('detail')}: ${e.facts.detail}`)
    if (e.facts.hint) out.line(`    ${c.cyan('hint')}: ${e.facts.hint}`)
    if (typeof e.facts.outcome === 'string') out.line(`    ${e.facts.outcome}`)
    if (githubAnnotations() && !out.json) {
      const { file, line, column } = e.facts
      process.stdout.write(annotation('error', { file, line, col: column, title: `strata: ${r.target}` }, e.message))
    }
  }
}

function printNotStarted(notStarted: TargetResult<unknown>[], out: Out): void {
  if (!notStarted.length) return
  const names = notStarted.slice(0, 20).map((r) => r.target)
  const more = notStarted.length > names.length ? `, and ${notStarted.length - names.length} more` : ''
  out.line(c.yellow(`not started (${notStarted[0].reason}): ${names.join(', ')}${more}`))
}

function errorJson(e: StrataError) {
  // The source line and caret are for people; what a run reached is on the target itself.
  const { context: _context, versionReached: _version, appliedFiles: _applied, ...facts } = e.facts
  return { code: e.code, message: e.message, ...facts }
}

// ---- status ----

export function statusSummary(results: TargetResult<StatusResult>[], out: Out): number {
  const rows = results.map((r) => {
    const counts = r.result?.counts
    const applied = r.result?.entries.filter((e) => e.state === 'applied') ?? []
    const problems = counts ? counts.failed + counts.running + counts.changed + counts.missing + counts['out-of-order'] : 0
    return { r, version: applied.at(-1)?.version ?? null, applied: counts?.applied ?? 0, pending: counts?.pending ?? 0, problems }
  })
  const failed = results.filter((r) => r.status === 'failed')
  out.result({
    ok: !failed.length,
    targets: rows.map(({ r, version, applied, pending, problems }) => ({
      target: r.target,
      kind: r.kind,
      status: r.status,
      version,
      applied,
      pending,
      problems,
      ...(r.result && { counts: r.result.counts }),
      ...(r.error && { error: errorJson(r.error) }),
    })),
  })
  const w = width(results)
  out.line(c.dim(`${'target'.padEnd(w)}  ${'version'.padStart(14)}  ${'applied'.padStart(7)}  ${'pending'.padStart(7)}  problems`))
  for (const { r, version, applied, pending, problems } of rows) {
    if (r.error) {
      out.line(`${r.target.padEnd(w)}  ${c.red(`error: ${r.error.message}`)}`)
      continue
    }
    const detail = problems ? c.red(problemText(r.result!.counts)) : c.dim('-')
    const v = String(version ?? '-').padStart(14)
    out.line(
      `${r.target.padEnd(w)}  ${v}  ${String(applied).padStart(7)}  ${(pending ? c.cyan : c.dim)(String(pending).padStart(7))}  ${detail}`,
    )
  }
  const byVersion = new Map<string, number>()
  for (const { r, version } of rows)
    if (!r.error) byVersion.set(String(version ?? 'none'), (byVersion.get(String(version ?? 'none')) ?? 0) + 1)
  const spread = [...byVersion].map(([v, n]) => `${n} at ${v === 'none' ? 'no version' : `version ${v}`}`).join(', ')
  out.line(`${results.length} target(s): ${spread}${failed.length ? `; ${c.red(`${failed.length} could not be read`)}` : ''}`)
  return failed.length ? 1 : 0
}

function problemText(counts: StatusResult['counts']): string {
  return (['failed', 'running', 'changed', 'missing', 'out-of-order'] as const)
    .filter((s) => counts[s])
    .map((s) => `${counts[s]} ${s}`)
    .join(', ')
}

// ---- verify ----

export function verifyLine(r: TargetResult<VerifyResult>, width: number): string {
  const name = r.target.padEnd(width)
  if (r.error) return `${label('error', c.red)} ${name}  ${r.error.message}`
  const v = r.result!
  if (v.ok) return `${label('verified', c.green)} ${name}  ${c.dim(`${v.files} file(s), ${v.checked} object(s)`)}`
  const parts = [v.history.length && `${v.history.length} history problem(s)`, v.objects.length && `${v.objects.length} object problem(s)`]
  return `${label('drift', c.red)} ${name}  ${parts.filter(Boolean).join(', ')}`
}

export function verifySummary(results: TargetResult<VerifyResult>[], out: Out): number {
  const drift = results.filter((r) => r.result && !r.result.ok)
  const errors = results.filter((r) => r.error)
  out.result({
    ok: !drift.length && !errors.length,
    targets: results.map((r) => ({
      target: r.target,
      kind: r.kind,
      status: r.error ? 'error' : r.result!.ok ? 'verified' : 'drift',
      ...(r.result && { history: r.result.history, objects: r.result.objects, files: r.result.files, checked: r.result.checked }),
      ...(r.error && { error: errorJson(r.error) }),
    })),
  })
  for (const r of drift) {
    out.line(c.red().bold(`${r.target}:`))
    for (const h of r.result!.history) out.line(`  ${c.red(h.state.padEnd(12))} ${h.message}`)
    for (const o of r.result!.objects) out.line(`  ${c.red(o.kind.padEnd(12))} ${o.message}`)
  }
  const ok = results.length - drift.length - errors.length
  out.line(
    `${results.length} target(s): ${c.green(`${ok} verified`)}, ${drift.length ? c.red(`${drift.length} drifted`) : '0 drifted'}, ` +
      `${errors.length ? c.red(`${errors.length} could not be verified`) : '0 errors'}`,
  )
  return drift.length || errors.length ? 1 : 0
}
