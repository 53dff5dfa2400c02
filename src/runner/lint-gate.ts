/**
 * The lint step of `migrate`: every pending file is parsed and linted before anything touches the database.
 * Errors stop the run; destructive findings pass only with --allow-destructive, and are then `accepted`.
 */
import { basename, dirname } from 'node:path'
import { StrataError } from '../errors.js'
import { readProjectConfig } from '../config/project.js'
import { flywayVersion } from '../layouts/flyway.js'
import type { MigrationFile } from './file-format.js'
import type { Finding } from '../lint/index.js'

export interface LintSummary {
  /** Every finding, in file order; accepted destructive ones have `accepted` set. */
  findings: Finding[]
  errors: number
  warnings: number
  /** Errors that stop a real run (what `--dry-run` reports with exit 1). */
  blocking: Finding[]
}

export async function lintPending(
  files: MigrationFile[],
  opts: { cwd: string; rules?: string[]; allowDestructive?: boolean; gate: boolean; history?: MigrationFile[]; layout?: string },
): Promise<LintSummary> {
  if (!files.length) return { findings: [], errors: 0, warnings: 0, blocking: [] } // nothing pending: never load the parser
  const { lintConfigOnDisk, lintSourcesCached, lintCacheFile, loadLintConfig } = await import('../lint/index.js')
  const sources = files.map((f) => ({ path: f.path, content: f.content, noTransaction: f.noTransaction }))
  // The files before a pending one are read only if a rule asks.
  const config = lintConfigOnDisk(opts.cwd, (await loadLintConfig(opts.cwd, opts.rules)).rules, sources, opts.history)
  const from = enforceFrom(opts.cwd, opts.history ?? files, opts.layout)
  const { columnTypesBefore } = await import('../lint/column-types.js')
  // Only new work needs the history's column types: an adopted file's findings are warnings either way.
  const isNew = (path: string) => from === undefined || !files.some((f) => f.path === path && f.version < from)
  config.columnTypes = await columnTypesBefore(
    opts.history ?? files,
    sources.filter((s) => isNew(s.path)),
  )
  const findings = asAdopted(await lintSourcesCached(sources, config, lintCacheFile(opts.cwd)), files, from).map((f) =>
    f.severity === 'error' && f.category === 'destructive' && opts.allowDestructive ? { ...f, accepted: '--allow-destructive' } : f,
  )
  return summarize(findings, opts.gate)
}

/** Count the findings; with `gate`, throw the refusal when any error is not accepted. */
export function summarize(findings: Finding[], gate: boolean): LintSummary {
  const errors = findings.filter((f) => f.severity === 'error')
  const blocking = errors.filter((f) => !f.accepted)
  if (gate && blocking.length) throw lintRefusal(blocking)
  return { findings, errors: errors.length, warnings: findings.length - errors.length, blocking }
}

/**
 * One linter for many runs of the same files (a fan-out over targets): each file is linted once, whichever
 * run reaches it first, and `onFindings` hears about each file's findings once.
 */
export function sharedLinter(onFindings: (findings: Finding[]) => void | Promise<void>): typeof lintPending {
  const byPath = new Map<string, Promise<Finding[]>>()
  return async (files, opts) => {
    const fresh = files.filter((f) => !byPath.has(f.path))
    if (fresh.length) {
      const linted = lintPending(fresh, { ...opts, gate: false }).then(async ({ findings }) => {
        if (findings.length) await onFindings(findings)
        return findings
      })
      for (const f of fresh)
        byPath.set(
          f.path,
          linted.then((all) => all.filter((finding) => finding.file === f.path)),
        )
    }
    const findings = (await Promise.all(files.map((f) => byPath.get(f.path)!))).flat()
    return summarize(findings, opts.gate)
  }
}

/** The error that stops a run: it carries every blocking finding, for the CLI to print as `strata lint` does. */
export function lintRefusal(blocking: Finding[]): StrataError {
  const first = blocking[0]
  const destructiveOnly = blocking.every((f) => f.category === 'destructive')
  const files = new Set(blocking.map((f) => f.file)).size
  return new StrataError('lint', `lint found ${blocking.length} error(s) in ${files} pending file(s); nothing was applied`, {
    file: first.file,
    line: first.line,
    column: first.column,
    findings: blocking,
    hint: destructiveOnly
      ? 'these statements destroy data: review them, then pass --allow-destructive (and --backup to copy the data at risk first)'
      : 'fix the files, or suppress a finding you accept with -- strata:ignore <rule> above the statement',
  })
}

/**
 * package.json "strata.enforceFrom" as a ledger version: the first file of new work. It may name a version as
 * its tool writes it (`20240101000000`, Flyway's `17.1`) or a file of the history by its name or folder.
 */
export function enforceFrom(cwd: string, files: MigrationFile[], layout?: string): number | undefined {
  const text = readProjectConfig(cwd).enforceFrom
  if (text === undefined) return undefined
  const named = files.find((f) => [basename(f.path), basename(f.path).replace(/\.sql$/i, ''), basename(dirname(f.path))].includes(text))
  if (named) return named.version
  // Flyway's versions are dotted (17.1) and packed into the ledger's integers (src/layouts/flyway.ts).
  const flyway = layout === 'flyway' || /^\d+([._]\d+)+$/.test(text) ? flywayVersion(text) : undefined
  if (typeof flyway === 'number') return flyway
  if (/^\d+$/.test(text) && Number.isSafeInteger(Number(text))) return Number(text)
  throw new StrataError(
    'config',
    `package.json "strata.enforceFrom" is ${JSON.stringify(text)}: not a version or a migration of this history`,
    {
      hint: 'write the first version of new work, e.g. "20240101000000" (files before it are the adopted history); strata adopt and strata baseline write it for you',
    },
  )
}

/** Findings in files before `from` are an adopted history's: warnings that never block, marked so. */
export function asAdopted(findings: Finding[], files: MigrationFile[], from: number | undefined): Finding[] {
  if (from === undefined) return findings
  const adopted = new Set(files.filter((f) => f.version < from && !f.repeatable).map((f) => f.path))
  return findings.map((f) => (adopted.has(f.file) ? { ...f, severity: 'warning' as const, adopted: true } : f))
}
